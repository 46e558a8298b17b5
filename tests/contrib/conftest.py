"""A taxonomy clone with a bare 'fork' remote, made with real git in tmp dirs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ilabdesk.taxonomy.leaf import new_leaf


def run(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(autouse=True)
def git_identity(monkeypatch):
    for key in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{key}_NAME", "Test Author")
        monkeypatch.setenv(f"{key}_EMAIL", "author@example.com")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """Bare upstream with two leaves; the returned clone has `origin` pointing at it."""
    seed = tmp_path / "seed"
    seed.mkdir()
    run(seed, "init", "-q", "-b", "main")
    new_leaf(seed, "history/rome", "knowledge", attribution="Title of work: Rome\n")
    new_leaf(seed, "writing/haiku", "skill")
    run(seed, "add", "-A")
    run(seed, "commit", "-q", "-m", "initial")
    bare = tmp_path / "fork.git"
    run(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    clone = tmp_path / "taxonomy"
    run(tmp_path, "clone", "-q", str(bare), str(clone))
    return clone
