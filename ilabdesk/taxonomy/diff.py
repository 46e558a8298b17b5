"""Which leaves changed: the same answer as `ilab taxonomy diff`.

`ilab` lists qna.yaml files under `knowledge/` and `compositional_skills/`
that differ between a base and the working tree (staged or not, deletions
left out), plus untracked ones. The base is found like ilab does: for a
branch (`main`, `origin/main`) the first commit on HEAD's first-parent line
that the branch contains (so work already merged upstream is not listed);
for anything else (`HEAD~2`, a sha, a tag) that commit itself. `empty` means
every leaf, with no git needed. Misnamed files (`qna.yml`) are returned
separately so the caller can warn, as ilab does, instead of dropping them
silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ilabdesk.errors import UserError
from ilabdesk.taxonomy.gitcmd import git_out, resolve_commit, run_git
from ilabdesk.taxonomy.leaf import QNA_NAME
from ilabdesk.taxonomy.validate import TAXONOMY_FOLDERS

EMPTY_BASE = "empty"


@dataclass
class TaxonomyDiff:
    """Changed/untracked leaves (absolute qna.yaml paths) and misnamed leaf files."""

    leaves: list[Path] = field(default_factory=list)
    misnamed: list[Path] = field(default_factory=list)


def _classify(rel: str, out: TaxonomyDiff, root: Path) -> None:
    parts = rel.split("/")
    if parts[0] not in TAXONOMY_FOLDERS:
        return
    if parts[-1] == QNA_NAME:
        out.leaves.append(root / rel)
    elif parts[-1].casefold() in {"qna.yaml", "qna.yml"}:
        out.misnamed.append(root / rel)


def _all_files(root: Path) -> list[str]:
    rels = []
    for folder in TAXONOMY_FOLDERS:
        for dirpath, dirnames, filenames in os.walk(root / folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                rels.append((Path(dirpath) / name).relative_to(root).as_posix())
    return rels


def _base_commit(root: Path, base: str) -> str:
    """The commit to diff against, found the way `ilab taxonomy diff` finds it."""
    local_branches = git_out(root, "for-each-ref", "--format=%(refname:short)", "refs/heads").splitlines()
    if "/" in base or base in local_branches:
        ref = f"refs/remotes/{base}" if "/" in base else f"refs/heads/{base}"
        if resolve_commit(root, ref) is None:
            raise _missing_base(root, base)
        if resolve_commit(root, "HEAD") is None:
            raise UserError(f"{root}: the repository has no commits yet", hint="use --base empty")
        chain = git_out(root, "rev-list", "--first-parent", "HEAD").split()
        outside = set(git_out(root, "rev-list", "--first-parent", "HEAD", "--not", ref).split())
        for sha in chain:
            if sha not in outside:
                return sha
        raise UserError(
            f'{root}: no commit of HEAD is on "{base}"; the branches share no history',
            hint="use --base empty to list every leaf",
        )
    sha = resolve_commit(root, base)
    if sha is None:
        raise _missing_base(root, base)
    return sha


def _missing_base(root: Path, base: str) -> UserError:
    refs = git_out(root, "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes").split()
    known = ", ".join(refs[:8]) or "none"
    return UserError(
        f'{root}: the git ref "{base}" does not exist (branches here: {known})',
        hint="pass --base with one of those, a commit, or `empty` to list every leaf "
        "(`origin/main` needs `git fetch origin` first)",
    )


def diff_taxonomy(root: Path | str, base: str = "origin/main") -> TaxonomyDiff:
    """Leaves changed against `base` plus untracked ones (or all leaves for base "empty")."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise UserError(f"{root}: not a folder", hint="pass --taxonomy with your taxonomy checkout")
    out = TaxonomyDiff()
    if base == EMPTY_BASE:
        for rel in _all_files(root):
            _classify(rel, out, root)
    else:
        if run_git(root, "rev-parse", "--git-dir", check=False).returncode != 0:
            raise UserError(
                f"{root}: not a git repository, so there is nothing to diff against",
                hint="use --base empty to list every leaf",
            )
        sha = _base_commit(root, base)
        changed = run_git(root, "diff", "--name-only", "--relative", "--diff-filter=d", "-z", sha).stdout
        untracked = run_git(root, "ls-files", "--others", "--exclude-standard", "-z").stdout
        names = {n for n in (changed + b"\0" + untracked).decode("utf-8", "surrogateescape").split("\0") if n}
        for rel in names:
            _classify(rel, out, root)
    out.leaves.sort()
    out.misnamed.sort()
    return out


def changed_leaves(root: Path | str, base: str = "origin/main") -> list[Path]:
    """qna.yaml paths changed against `base` (see module doc); base "empty" = all leaves."""
    return diff_taxonomy(root, base).leaves


def changed_since(root: Path | str, base: str) -> tuple[str, list[Path]]:
    """(the ref compared with, resolved changed leaves): `base`, or HEAD in a checkout that lacks it
    (a new repository, the sample), so that the user's own edits still stand out."""
    try:
        return base, [Path(p).resolve() for p in changed_leaves(root, base=base)]
    except UserError as exc:
        if "does not exist" not in str(exc):
            raise
        return "HEAD", [Path(p).resolve() for p in changed_leaves(root, base="HEAD")]
