"""Add a user's documents to a knowledge leaf, the way InstructLab expects them.

InstructLab reads a knowledge leaf's documents from a git repo at a fixed
commit (`document: {repo, commit, patterns}`), so the leaf is reproducible
and shareable. `ingest` makes that painless: it keeps a local git repo per
leaf (created on first use under `<data>/documents/<leaf>`, or the leaf's
existing local repo), stores each original file under `originals/` and its
Markdown conversion at the top (InstructLab's patterns match .md), commits
those files and nothing else of the repo, and points the leaf at the new
commit by rewriting only its `document:` block (the leaf's comments and layout
stay). A document whose name is taken by a different file is not overwritten
unless the user says so (`on_clash`). Skill leaves take no documents.

It can also ask the teacher to draft seed examples (contexts and Q&A) from
the document, written next to the leaf as `qna.draft.yaml` for the user to
review and copy: never merged into the leaf silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ilabdesk.documents.convert import SUPPORTED_SUFFIXES, to_markdown
from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_write_bytes
from ilabdesk.settings import paths

_GIT_IDENTITY = ("-c", "user.name=ilabdesk", "-c", "user.email=ilabdesk@localhost")


@dataclass
class IngestResult:
    """What `ingest` did: the repo, the commit, the Markdown files the leaf now uses."""

    repo: Path
    commit: str
    markdown: list[str] = field(default_factory=list)
    draft: Path | None = None


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w.-]+", "-", name).strip("-.") or "document"
    return stem


def default_repo(leaf) -> Path:
    """Where a leaf's documents live when it has no local repo yet: one repo per leaf."""
    return paths().data / "documents" / _safe_name(leaf.rel.replace("/", "-"))


def _leaf_repo(leaf) -> Path:
    """The leaf's existing local document repo, or the default one for it.

    A remote repo (https://...) is not written to: the user's local copy
    replaces it, since ingestion must work offline.
    """
    from ilabdesk.taxonomy.documents import local_repo_path

    document = leaf.data.get("document")
    repo = document.get("repo") if isinstance(document, dict) else None
    if isinstance(repo, str) and repo and not re.match(r"^(https?|ssh|git)://|^[\w.-]+@", repo):
        path = local_repo_path(repo, leaf.dir)
        if path.is_dir():
            return path
    return default_repo(leaf)


CLASH_CHOICES = ("ask", "replace", "keep-both")


def _same_repo(leaf, repo: Path) -> bool:
    """Is the leaf's `document.repo` (a path, relative path or file:// URL) this folder?"""
    from ilabdesk.taxonomy.documents import local_repo_path

    document = leaf.data.get("document")
    written = document.get("repo") if isinstance(document, dict) else None
    if not isinstance(written, str) or not written:
        return False
    try:
        return local_repo_path(written, leaf.dir).resolve() == repo.resolve()
    except (OSError, ValueError):
        return False


def _place(repo: Path, name: str, data: bytes, on_clash: str) -> str | None:
    """The file name `data` goes to in `repo`; None when the same content is there already."""
    target = repo / name
    if not target.exists():
        return name
    if target.read_bytes() == data:
        return None
    if on_clash == "replace":
        return name
    if on_clash == "keep-both":
        stem, suffix = Path(name).stem, Path(name).suffix
        number = 2
        while (repo / f"{stem}-{number}{suffix}").exists():
            number += 1
        return f"{stem}-{number}{suffix}"
    raise UserError(f"{target}: a different document of this name is already in the leaf's document repo",
                    hint="rename your file, or choose to replace it or keep both (ilabdesk taxonomy ingest "
                    "--on-clash replace|keep-both)")


def _git(repo: Path, *args: str) -> str:
    from ilabdesk.taxonomy.gitcmd import run_git

    return run_git(repo, *_GIT_IDENTITY, *args).stdout.decode("utf-8", "replace").strip()


def ingest_events(
    leaf_path: Path | str,
    files: list[Path | str],
    *,
    draft_seeds: bool = False,
    teacher: str | None = None,
    engine=None,
    on_clash: str = "ask",
) -> Iterator[Any]:
    """`ingest` as a stream of job events; the last one is `done` with the result's fields.

    `on_clash` says what happens when a document's name is taken by a different
    file in the repo: "ask" stops with a message before anything is written,
    "replace" overwrites it (git keeps the old version), "keep-both" adds a number.
    """
    from ilabdesk.jobs.events import Event
    from ilabdesk.taxonomy.leaf import load_leaf, write_document_block

    if on_clash not in CLASH_CHOICES:
        raise UserError(f"unknown choice for a name clash: {on_clash!r}", hint="use " + ", ".join(CLASH_CHOICES))
    leaf = load_leaf(leaf_path)
    if leaf.kind != "knowledge":
        raise UserError(f"{leaf.path}: only knowledge leaves take documents; this is a skill leaf",
                        hint="add the document to a knowledge leaf (ilabdesk taxonomy new knowledge ...)")
    if not files:
        raise UserError("no documents given", hint="name one or more .md, .txt, .pdf, .docx or .html files")
    sources = [Path(f) for f in files]
    for source in sources:
        if source.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise UserError(
                f"{source}: unsupported document type '{source.suffix or '(none)'}'",
                hint=f"supported: {', '.join(SUPPORTED_SUFFIXES)}",
            )
    # Convert everything first: a bad file stops the ingestion before anything is committed.
    converted: list[tuple[Path, str, str]] = []  # (source, markdown name, text)
    used: set[str] = set()
    for source in sources:
        yield Event.log(f"converting {source.name}")
        text = to_markdown(source)
        name = _safe_name(source.stem) + ".md"
        while name in used:
            name = name[:-3] + "-2.md"
        used.add(name)
        converted.append((source, name, text))

    repo = _leaf_repo(leaf)
    repo.mkdir(parents=True, exist_ok=True)
    from ilabdesk.taxonomy.gitcmd import run_git

    if run_git(repo, "rev-parse", "--git-dir", check=False).returncode != 0:
        _git(repo, "init", "-q")
        yield Event.log(f"created document repo {repo}")
    # Decide every name before writing anything, so a clash stops the ingestion with the repo untouched.
    writes: list[tuple[str, bytes]] = []  # (path in the repo, content)
    markdown: list[str] = []
    for source, name, text in converted:
        if source.suffix.lower() not in (".md", ".markdown"):
            original = _place(repo, f"originals/{source.name}", source.read_bytes(), on_clash)
            if original:
                writes.append((original, source.read_bytes()))
        data = text.encode("utf-8")
        placed = _place(repo, name, data, on_clash)
        if placed:
            writes.append((placed, data))
        markdown.append(placed or name)
    for relative, data in writes:
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(repo / relative, data)
    if writes:
        # only the ingested files: the user's other changes in the repo stay uncommitted
        _git(repo, "add", "--", *(relative for relative, _ in writes))
        if _git(repo, "diff", "--cached", "--name-only", "--", *(relative for relative, _ in writes)):
            _git(repo, "commit", "-q", "-m", "Add " + ", ".join(s.name for s in sources), "--",
                 *(relative for relative, _ in writes))
    commit = _git(repo, "rev-parse", "HEAD")

    document = leaf.data.get("document") if isinstance(leaf.data.get("document"), dict) else {}
    same = _same_repo(leaf, repo)
    patterns = [p for p in (document.get("patterns") or []) if isinstance(p, str)] if same else []
    for name in markdown:
        if name not in patterns and "*.md" not in patterns:
            patterns.append(name)
    # the repo stays written as the user wrote it (a file:// URL, a relative path) when it is this one
    repo_text = str(document["repo"]) if same else str(repo)
    write_document_block(leaf.path, repo_text, commit, patterns)
    yield Event.artifact(leaf.path, "leaf", f"{leaf.path}: document -> {repo} @ {commit[:12]}, patterns {patterns}")

    draft = None
    if draft_seeds:
        yield Event.begin("draft", "asking the teacher to draft seed examples")
        from ilabdesk.documents.draft import draft_seed_examples

        draft = draft_seed_examples(leaf, [text for _, _, text in converted], teacher=teacher, engine=engine)
        yield Event.artifact(draft, "draft", f"draft seed examples for review: {draft}")
    yield Event.finished(
        f"ingested {len(converted)} document(s) into {repo}",
        repo=str(repo),
        commit=commit,
        markdown=markdown,
        draft=str(draft) if draft else None,
    )


def ingest(
    leaf_path: Path | str,
    files: list[Path | str],
    *,
    draft_seeds: bool = False,
    teacher: str | None = None,
    engine=None,
    on_clash: str = "ask",
) -> IngestResult:
    """Copy and convert `files` into the leaf's document repo, commit, and update the leaf."""
    result: dict[str, Any] = {}
    for event in ingest_events(leaf_path, files, draft_seeds=draft_seeds, teacher=teacher, engine=engine,
                               on_clash=on_clash):
        if event.type == "done":
            result = event.data
    return IngestResult(
        Path(result["repo"]), result["commit"], result["markdown"], Path(result["draft"]) if result["draft"] else None
    )
