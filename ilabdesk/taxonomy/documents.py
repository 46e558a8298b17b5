"""A knowledge leaf's `document:` block: find the repo, the commit and the files.

InstructLab clones the repo into a temp dir, checks out the commit and globs
the patterns. We read the commit's tree with git plumbing instead: a local
repo (path or file:// URL) is used in place, offline, with nothing copied;
a remote repo is mirrored once into the cache and reused. Pattern matching
follows Python's `glob.glob(os.path.join(checkout, pattern))`, which is what
`ilab` uses: `*` stays inside one folder (`**` is just `*`), names starting with
a dot only match a pattern that starts with a dot.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_write_bytes
from ilabdesk.settings import paths
from ilabdesk.taxonomy.gitcmd import GitError, git_out, resolve_commit, run_git
from ilabdesk.taxonomy.leaf import Leaf, load_leaf

# What `ilab` accepts as knowledge documents; any other matched file is an error there.
DOCUMENT_SUFFIXES = (".md", ".pdf")
_REMOTE = re.compile(r"^(https?|ssh|git|ftps?)://|^[\w.-]+@[\w.-]+:")


@dataclass(frozen=True)
class DocumentSource:
    """The parsed `document:` block."""

    repo: str
    commit: str
    patterns: tuple[str, ...]

    @property
    def is_remote(self) -> bool:
        return bool(_REMOTE.match(self.repo))


def document_source(data: dict[str, Any], qna: Path) -> DocumentSource:
    """Read the `document:` block or raise a UserError saying which key is wrong."""
    doc = data.get("document")
    if not isinstance(doc, dict):
        raise UserError(f"{qna}: no `document:` block", hint="knowledge leaves need document: {repo, commit, patterns}")
    repo, commit, patterns = doc.get("repo"), doc.get("commit"), doc.get("patterns")
    if not isinstance(repo, str) or not repo.strip():
        raise UserError(f"{qna}: document.repo is missing", hint="set it to a git URL, a local path or a file:// URL")
    if not isinstance(commit, str) or not commit.strip():
        raise UserError(f"{qna}: document.commit is missing", hint="set it to the commit sha holding your documents")
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        raise UserError(f"{qna}: document.patterns must be a list of glob patterns", hint='e.g. ["*.md"]')
    return DocumentSource(repo.strip(), commit.strip(), tuple(patterns))


def local_repo_path(repo: str, base: Path) -> Path:
    """The folder of a local repo given as a path (relative to `base`) or a file:// URL."""
    if repo.startswith("file://"):
        return Path(unquote(urlparse(repo).path))
    path = Path(repo).expanduser()
    return path if path.is_absolute() else (base / path)


def _mirror_dir(url: str) -> Path:
    return paths().cache / "documents" / "repos" / hashlib.sha256(url.encode()).hexdigest()[:16]


def open_repo(source: DocumentSource, base: Path, *, fetch: bool) -> Path | None:
    """A git dir holding the source's objects: the local repo itself, or the cached mirror.

    For a remote repo without `fetch`, returns the mirror if one was made
    before, else None (the caller decides what offline means for it).
    """
    if not source.is_remote:
        path = local_repo_path(source.repo, base)
        if not path.exists():
            raise UserError(f"document repo {source.repo!r} not found ({path})", hint="fix document.repo in qna.yaml")
        if run_git(path, "rev-parse", "--git-dir", check=False).returncode != 0:
            raise UserError(f"document repo {path} is not a git repository", hint="run `git init` and commit your documents")
        return path
    mirror = _mirror_dir(source.repo)
    if (mirror / "HEAD").exists():
        if fetch and resolve_commit(mirror, source.commit) is None:
            run_git(mirror, "fetch", "--quiet", "origin", "+refs/*:refs/*", timeout=600)
        return mirror
    if not fetch:
        return None
    mirror.parent.mkdir(parents=True, exist_ok=True)
    tmp = mirror.with_name(mirror.name + ".part")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        run_git(mirror.parent, "clone", "--mirror", "--quiet", source.repo, str(tmp), timeout=900)
    except GitError as exc:
        raise UserError(
            f"could not fetch document repo {source.repo}: {exc.stderr or exc}",
            hint="check the URL and your network connection",
        ) from None
    tmp.rename(mirror)
    return mirror


def glob_match(pattern: str, path: str) -> bool:
    """Whether repo-relative `path` matches `pattern` the way `glob.glob` would."""
    pat_parts = [p for p in pattern.split("/") if p not in ("", ".")]
    parts = path.split("/")
    if len(pat_parts) != len(parts):
        return False
    for pat, name in zip(pat_parts, parts):
        if pat == "**":
            pat = "*"
        if name.startswith(".") and not pat.startswith(".") and glob_has_magic(pat):
            return False
        if not fnmatch.fnmatchcase(name, pat):
            return False
    return True


def glob_has_magic(pattern: str) -> bool:
    return re.search(r"[*?[]", pattern) is not None


def matched_files(repo: Path, sha: str, patterns: tuple[str, ...]) -> list[str]:
    """Repo-relative file paths at `sha` matched by any pattern, in pattern order, no duplicates."""
    listing = git_out(repo, "ls-tree", "-r", "-z", "--full-tree", sha).split("\0")
    files = []
    for entry in listing:
        if not entry:
            continue
        meta, name = entry.split("\t", 1)
        if meta.split()[1] == "blob":
            files.append(name)
    result: list[str] = []
    for pattern in patterns:
        for name in files:
            if name not in result and glob_match(pattern, name):
                result.append(name)
    return result


@dataclass
class DocumentCheck:
    """Outcome of checking a document block: (key, message) errors and warnings, and the files found.

    The key ("repo", "commit" or "patterns") lets callers point at the right line.
    """

    errors: list[tuple[str, str]]
    warnings: list[tuple[str, str]]
    files: list[str]
    sha: str | None = None


def check_documents(data: dict[str, Any], qna: Path, *, fetch: bool = False) -> DocumentCheck:
    """Check the repo exists, has the commit, and the patterns match .md/.pdf files only.

    Remote repos are only contacted with `fetch=True` (ilabdesk makes no
    network calls unless asked). Without it, a previously fetched mirror is
    used, otherwise the check is skipped with a warning: `ilab` would clone the
    URL, so the file is not wrong, we just cannot confirm it offline.
    """
    check = DocumentCheck([], [], [])
    try:
        source = document_source(data, qna)
        repo = open_repo(source, qna.parent, fetch=fetch)
    except UserError as exc:
        check.errors.append(("repo", str(exc).split("\n")[0]))
        return check
    if repo is None:
        check.warnings.append((
            "repo",
            f"document repo {source.repo} is remote and was not checked (no network use without --fetch); "
            "`ilab` would clone it",
        ))
        return check
    sha = resolve_commit(repo, source.commit)
    if sha is None:
        check.errors.append(("commit", f"document commit {source.commit!r} does not exist in {source.repo}"))
        return check
    check.sha = sha
    try:
        files = matched_files(repo, sha, source.patterns)
    except GitError as exc:
        check.errors.append(("commit", f"cannot list files of {source.repo} at {sha[:12]}: {exc.stderr}"))
        return check
    unsupported = [f for f in files if Path(f).suffix not in DOCUMENT_SUFFIXES]
    if unsupported:
        names = ", ".join(unsupported[:5])
        check.errors.append(("patterns", f"document patterns match unsupported files (only .md and .pdf are read): {names}"))
    check.files = [f for f in files if Path(f).suffix in DOCUMENT_SUFFIXES]
    if not check.files:
        check.errors.append(
            ("patterns", f"document patterns {list(source.patterns)} match no .md or .pdf file in {source.repo} at {sha[:12]}")
        )
    return check


def resolve_documents(leaf: Leaf | Path | str, *, fetch: bool = True) -> list[Path]:
    """Materialise the leaf's documents at their commit into the cache; return the .md/.pdf paths.

    Files land in `<cache>/documents/<repo-hash>/<sha>/<path in repo>`, so the
    same commit is extracted once and later calls are offline. Local repos never
    need the network; a remote repo is fetched (once) because the caller asked
    for its documents.
    """
    if not isinstance(leaf, Leaf):
        leaf = load_leaf(leaf)
    source = document_source(leaf.data, leaf.path)
    repo = open_repo(source, leaf.path.parent, fetch=fetch)
    if repo is None:
        raise UserError(f"document repo {source.repo} has not been fetched yet", hint="run again with network access")
    sha = resolve_commit(repo, source.commit)
    if sha is None:
        raise UserError(
            f"{leaf.path}: document commit {source.commit!r} does not exist in {source.repo}",
            hint="set document.commit to a commit of that repo (git log shows them)",
        )
    files = [f for f in matched_files(repo, sha, source.patterns) if Path(f).suffix in DOCUMENT_SUFFIXES]
    if not files:
        raise UserError(
            f"{leaf.path}: document patterns {list(source.patterns)} match no .md or .pdf file at {sha[:12]}",
            hint="fix document.patterns, e.g. ['*.md'] or ['docs/*.pdf']",
        )
    key = hashlib.sha256(source.repo.encode()).hexdigest()[:16]
    dest = paths().cache / "documents" / key / sha
    out = []
    for name in files:
        target = dest.joinpath(*name.split("/"))
        if not target.exists():
            blob = run_git(repo, "cat-file", "blob", f"{sha}:{name}").stdout
            atomic_write_bytes(target, blob)
        out.append(target)
    return out
