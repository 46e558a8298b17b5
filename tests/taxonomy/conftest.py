"""Real git repositories for the taxonomy tests, made in tmp dirs with a fixed identity."""

from __future__ import annotations

from pathlib import Path

import pytest
from taxonomy.taxgit import git

from ilabdesk.taxonomy.leaf import new_leaf


@pytest.fixture(autouse=True)
def git_identity(monkeypatch):
    """Commits need an author; CI machines may have no global git config."""
    for key, value in {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "Test Author",
        "GIT_COMMITTER_EMAIL": "author@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def docs_repo(tmp_path: Path) -> tuple[Path, str]:
    """A local documents repo with a .md, a .pdf and a .txt; returns (path, commit sha)."""
    repo = tmp_path / "docs"
    (repo / "sub").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "phoenix.md").write_text("# Phoenix\n\nPhoenix is a constellation.\n")
    (repo / "sub" / "guide.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (repo / "notes.txt").write_text("not a document\n")
    (repo / ".hidden.md").write_text("hidden\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "docs")
    return repo, git(repo, "rev-parse", "HEAD")


@pytest.fixture
def taxonomy_repo(tmp_path: Path) -> Path:
    """A taxonomy checkout with one knowledge and one skill leaf committed on main, cloned from an 'upstream'."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    new_leaf(upstream, "history/rome", "knowledge", attribution="Title of work: Rome\n")
    new_leaf(upstream, "writing/haiku", "skill")
    (upstream / "README.md").write_text("taxonomy\n")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "initial taxonomy")
    clone = tmp_path / "taxonomy"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    return clone
