"""The bundled sample: a small taxonomy about made-up facts, ready to run.

The README demo and the GUI's "try it" start from here. The sample's knowledge
leaf needs its document in a git repository (InstructLab's `document: {repo,
commit, patterns}`), which a read-only app bundle cannot hold, so the first
use creates both repositories under a folder the user owns and points the
leaf at the document commit.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ilabdesk.bundle import resource_path
from ilabdesk.errors import UserError
from ilabdesk.taxonomy.leaf import write_document_block

SAMPLE_KNOWLEDGE_LEAF = "knowledge/geography/islands/quellmoor_island"
SAMPLE_SKILL_LEAF = "compositional_skills/writing/freeform/thank_you_notes"
_GIT_IDENTITY = ["-c", "user.name=ilabdesk", "-c", "user.email=ilabdesk@localhost", "-c", "commit.gpgsign=false"]


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *_GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=True
        )
    except FileNotFoundError as exc:
        raise UserError("git is not installed", hint="install git, then try again") from exc
    except subprocess.CalledProcessError as exc:
        raise UserError(f"{repo}: git {' '.join(args)} failed: {exc.stderr.strip()}") from exc
    return done.stdout.strip()


def _commit_all(repo: Path, message: str) -> str:
    """Create a repo at `repo` (if needed), commit everything in it, return the commit id."""
    if not (repo / ".git").exists():
        _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def install_sample(dest: Path, source: Path | None = None) -> Path:
    """Copy the sample taxonomy into `dest/taxonomy` (a new git repo) and return that root.

    The repo has an `origin/main` ref without the sample leaves, so they show up
    as the changed leaves of the checkout, as a user's new leaves would.
    The sample document goes into its own git repo `dest/documents`, and the
    knowledge leaf's `document:` points at its commit through a file:// URL.
    An existing installation is returned unchanged, so "try it" twice is cheap.
    `source` is another folder laid out like the bundled one (taxonomy/,
    documents/): tests and benchmarks install their own made-up leaves this way.
    """
    source = Path(source) if source else resource_path("sample")
    dest = Path(dest).expanduser().resolve()
    taxonomy = dest / "taxonomy"
    documents = dest / "documents"
    if (taxonomy / ".git").exists():
        return taxonomy
    if taxonomy.exists() and any(taxonomy.iterdir()):
        raise UserError(f"{taxonomy} already exists and is not the sample", hint="choose an empty folder")
    dest.mkdir(parents=True, exist_ok=True)
    # Copy into temporary names first so a crash never leaves a half-made sample under the final name.
    tmp_docs = dest / ".documents.part"
    tmp_tax = dest / ".taxonomy.part"
    for tmp in (tmp_docs, tmp_tax):
        shutil.rmtree(tmp, ignore_errors=True)
    if (source / "documents").is_dir():
        shutil.copytree(source / "documents", tmp_docs)
    else:  # a source with skill leaves only
        tmp_docs.mkdir()
    commit = _commit_all(tmp_docs, "Sample documents")
    shutil.rmtree(documents, ignore_errors=True)
    tmp_docs.rename(documents)
    # Like a fresh clone of the InstructLab taxonomy: `origin/main` is the upstream without the
    # sample's leaves, so "changed leaves" (the default of generate and run) finds exactly them.
    tmp_tax.mkdir()
    (tmp_tax / "README.md").write_text("# Sample taxonomy\n\nMade by ilabdesk to try the whole loop.\n", encoding="utf-8")
    upstream = _commit_all(tmp_tax, "Empty taxonomy")
    _git(tmp_tax, "update-ref", "refs/remotes/origin/main", upstream)
    shutil.copytree(source / "taxonomy", tmp_tax, dirs_exist_ok=True)
    patterns = sorted(p.name for p in documents.iterdir() if p.suffix in (".md", ".pdf"))
    for qna in sorted((tmp_tax / "knowledge").rglob("qna.yaml")):
        write_document_block(qna, documents.resolve().as_uri(), commit, patterns)
    _commit_all(tmp_tax, "Sample leaves")
    tmp_tax.rename(taxonomy)
    return taxonomy
