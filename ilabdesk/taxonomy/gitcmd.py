"""Run git for the taxonomy code: one place that turns git failures into UserErrors.

We call the git program (not a Python git library) because users already have
it, it understands their credentials and config, and its plumbing commands
(`ls-tree`, `cat-file`, a private index via GIT_INDEX_FILE) let us read any
commit without touching their working tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ilabdesk.errors import UserError


class GitError(UserError):
    """A git command failed; `stderr` keeps git's own words."""

    def __init__(self, message: str, *, stderr: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.stderr = stderr


def git_exe() -> str:
    exe = shutil.which("git")
    if exe is None:
        raise UserError("git is not installed", hint="install git (https://git-scm.com) and try again")
    return exe


def run_git(
    cwd: Path | str,
    *args: str,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    timeout: float | None = 120,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git args` in `cwd`; raise GitError with git's message when `check` and it fails."""
    full_env = dict(os.environ)
    full_env.setdefault("GIT_TERMINAL_PROMPT", "0")  # never hang on a password prompt
    full_env["LC_ALL"] = "C"
    if env:
        full_env.update(env)
    try:
        result = subprocess.run(
            [git_exe(), *args],
            cwd=str(cwd),
            env=full_env,
            input=input,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} in {cwd} took longer than {timeout:.0f} s") from None
    if check and result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {' '.join(args[:2])} failed in {cwd}: {stderr}", stderr=stderr)
    return result


def git_out(cwd: Path | str, *args: str, **kwargs) -> str:
    """stdout of a git command as text, stripped."""
    return run_git(cwd, *args, **kwargs).stdout.decode("utf-8", "replace").strip()


def repo_toplevel(path: Path | str) -> Path | None:
    """The work tree root containing `path`, or None when it is not in a git repository."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    result = run_git(folder, "rev-parse", "--show-toplevel", check=False)
    if result.returncode != 0:
        return None
    return Path(result.stdout.decode().strip())


def resolve_commit(repo: Path | str, rev: str) -> str | None:
    """Full sha of `rev` if it names a commit in `repo`, else None."""
    if not rev or rev.startswith("-"):
        return None
    result = run_git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    return result.stdout.decode().strip() if result.returncode == 0 else None
