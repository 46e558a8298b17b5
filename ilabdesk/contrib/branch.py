"""Commit chosen leaves onto a new branch without touching the user's work tree.

People keep half-finished edits in their taxonomy checkout. A contribution
must contain exactly the chosen leaves and leave everything else alone, so
nothing here runs `checkout`, `stash` or `add` on the real index: the commit is
built with plumbing on a private index file (GIT_INDEX_FILE) seeded from the
base commit, then `update-ref` creates the branch. HEAD, the user's index and
every file on disk stay as they were.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ilabdesk.errors import UserError
from ilabdesk.taxonomy.gitcmd import git_out, repo_toplevel, resolve_commit, run_git
from ilabdesk.taxonomy.leaf import ATTRIBUTION_NAME, qna_file
from ilabdesk.taxonomy.validate import validate_file

ZERO_SHA = "0" * 40


@dataclass
class Contribution:
    """The branch made: its name, commit, the commit it is based on, and the files it adds."""

    repo: Path
    branch: str
    commit: str
    base: str
    files: list[str]


def _check_branch_name(repo: Path, branch: str) -> None:
    if run_git(repo, "check-ref-format", "--branch", branch, check=False).returncode != 0:
        raise UserError(f"{branch!r} is not a valid git branch name", hint="use letters, digits, '-', '_' and '/'")
    if resolve_commit(repo, f"refs/heads/{branch}") is not None:
        raise UserError(f"branch {branch!r} already exists in {repo}", hint="choose another --branch name")


def leaf_files(leaves: list[Path | str], repo: Path) -> list[str]:
    """Repo-relative paths of each leaf's qna.yaml and attribution.txt (when present)."""
    files: list[str] = []
    for leaf in leaves:
        qna = qna_file(Path(leaf)).resolve()
        if repo not in qna.parents:
            raise UserError(f"{qna} is not inside the taxonomy repository {repo}")
        for path in (qna, qna.with_name(ATTRIBUTION_NAME)):
            if path.is_file():
                rel = path.relative_to(repo).as_posix()
                if rel not in files:
                    files.append(rel)
    return files


def contribute(
    root: Path | str,
    leaves: list[Path | str],
    branch: str,
    message: str,
    *,
    base: str = "HEAD",
    allow_invalid: bool = False,
) -> Contribution:
    """Create `branch` = `base` + the leaves' current files (from disk, saved or not) in one commit.

    Leaves are validated first (offline); any error refuses the contribution
    unless `allow_invalid`, because a reviewer would reject it anyway.
    """
    repo = repo_toplevel(Path(root))
    if repo is None:
        raise UserError(f"{root} is not inside a git repository", hint="clone the taxonomy with git first")
    repo = repo.resolve()
    if not leaves:
        raise UserError("no leaves chosen to contribute")
    if not message.strip():
        raise UserError("the commit message is empty", hint="describe what the leaves teach")
    _check_branch_name(repo, branch)
    base_sha = resolve_commit(repo, base)
    if base_sha is None:
        raise UserError(f"base {base!r} is not a commit in {repo}", hint="use a branch such as main or origin/main")
    if not allow_invalid:
        for leaf in leaves:
            report = validate_file(qna_file(Path(leaf)), check_documents=False)
            if report.errors:
                raise UserError(
                    "leaf has validation errors:\n  " + "\n  ".join(report.errors[:10]),
                    hint="fix them (ilabdesk taxonomy validate) or pass --allow-invalid",
                )
    files = leaf_files(leaves, repo)
    with tempfile.TemporaryDirectory(prefix="ilabdesk-contrib-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        run_git(repo, "read-tree", base_sha, env=env)
        for rel in files:
            blob = git_out(repo, "hash-object", "-w", "--", rel)
            mode = "100755" if os.access(repo / rel, os.X_OK) else "100644"
            run_git(repo, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{rel}", env=env)
        tree = git_out(repo, "write-tree", env=env)
    if tree == git_out(repo, "rev-parse", f"{base_sha}^{{tree}}"):
        raise UserError(
            f"the chosen leaves are identical to {base}; there is nothing to contribute",
            hint="edit and save the leaf first, or pick another base",
        )
    commit = git_out(repo, "commit-tree", tree, "-p", base_sha, input=message.encode("utf-8"))
    run_git(repo, "update-ref", "-m", f"ilabdesk contribute: {branch}", f"refs/heads/{branch}", commit, ZERO_SHA)
    return Contribution(repo=repo, branch=branch, commit=commit, base=base_sha, files=files)
