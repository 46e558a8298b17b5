"""Hand a contribution to someone: a patch file, a git bundle, or a push.

A patch (`git format-patch`) suits email and `git am`; a bundle carries the
commits and the branch for `git fetch`/`git pull` from a file, which works for
binary files and needs no shared server. Both are written atomically. Push
only happens on request and only to a remote the user configured.
"""

from __future__ import annotations

from pathlib import Path

from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_path, atomic_write_bytes
from ilabdesk.taxonomy.gitcmd import GitError, git_out, resolve_commit, run_git


def _range(repo: Path, branch: str, base: str | None) -> tuple[str, str]:
    tip = resolve_commit(repo, f"refs/heads/{branch}")
    if tip is None:
        raise UserError(f"branch {branch!r} does not exist in {repo}")
    base_sha = resolve_commit(repo, base) if base else resolve_commit(repo, f"{tip}^")
    if base_sha is None:
        raise UserError(f"base {base!r} is not a commit in {repo}")
    return base_sha, tip


def export_patch(repo: Path | str, branch: str, output: Path | str, *, base: str | None = None) -> Path:
    """Write `base..branch` (default: the branch's last commit) as a mbox patch for `git am`."""
    repo, output = Path(repo), Path(output)
    base_sha, tip = _range(repo, branch, base)
    patch = run_git(repo, "format-patch", "--stdout", "--binary", f"{base_sha}..{tip}").stdout
    if not patch:
        raise UserError(f"branch {branch!r} has no commits after {base or 'its parent'}")
    atomic_write_bytes(output, patch)
    return output


def export_bundle(repo: Path | str, branch: str, output: Path | str, *, base: str | None = None) -> Path:
    """Write a git bundle with `branch` (commits after `base`) that `git fetch FILE branch` can read."""
    repo, output = Path(repo), Path(output).resolve()
    base_sha, _tip = _range(repo, branch, base)
    with atomic_path(output) as tmp:
        tmp.unlink()  # git bundle refuses to overwrite an existing file
        run_git(repo, "bundle", "create", "--quiet", str(tmp), f"refs/heads/{branch}", f"^{base_sha}")
    return output


def push_branch(repo: Path | str, branch: str, remote: str | None = None) -> str:
    """Push `branch` to `remote` (default: the only remote, or "origin"); returns the remote used."""
    repo = Path(repo)
    remotes = git_out(repo, "remote").split()
    if not remotes:
        raise UserError(
            f"{repo} has no git remote configured, so there is nowhere to push",
            hint="add your fork: git remote add origin URL, or export --patch / --bundle instead",
        )
    if remote is None:
        remote = remotes[0] if len(remotes) == 1 else "origin"
    if remote not in remotes:
        raise UserError(f"remote {remote!r} is not configured (remotes: {', '.join(remotes)})")
    try:
        run_git(repo, "push", "--quiet", remote, f"refs/heads/{branch}:refs/heads/{branch}", timeout=600)
    except GitError as exc:
        raise UserError(f"push to {remote} failed: {exc.stderr}", hint="check access to the remote") from None
    return remote
