"""Ingest and atomic writes keep the user's data: URL repos, comments, name clashes, other files, skills."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest
import yaml

from ilabdesk.documents.ingest import ingest
from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_write_text
from ilabdesk.taxonomy.leaf import load_leaf

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]

LEAF = """# The harbour of Semmet: keep this comment
version: 3
domain: maritime
created_by: tester
document_outline: >-
  The harbour of Semmet, its lighthouse
  and its ferry.
seed_examples:
  - context: |
      The Orlin lighthouse was built in 1871.
    questions_and_answers:
      - question: When was the Orlin lighthouse built?  # the first question
        answer: In 1871.
document:
  repo: {repo}
  commit: {commit}
  patterns:
    - intro.md
# a closing comment
"""


def git(cwd, *args):
    return subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.rstrip()


@pytest.fixture
def leaf_with_repo(tmp_path):
    """A knowledge leaf whose document repo is a file:// URL, as the sample's is, with comments."""
    repo = tmp_path / "docs"
    repo.mkdir()
    (repo / "intro.md").write_text("# Semmet\n\nSemmet is a harbour town with 3,100 people.\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "intro.md")
    git(repo, "commit", "-q", "-m", "intro")
    leaf = tmp_path / "taxonomy" / "knowledge" / "maritime" / "semmet"
    leaf.mkdir(parents=True)
    text = LEAF.format(repo=repo.as_uri(), commit=git(repo, "rev-parse", "HEAD"))
    (leaf / "qna.yaml").write_text(text, encoding="utf-8")
    return leaf, repo


def test_a_file_url_repo_keeps_its_patterns_comments_and_form(tmp_path, leaf_with_repo):
    leaf, repo = leaf_with_repo
    notes = tmp_path / "ferry.md"
    notes.write_text("The ferry to Orlin leaves at 7 every morning.\n", encoding="utf-8")
    result = ingest(leaf, [notes])
    assert result.repo.resolve() == repo.resolve()
    text = (leaf / "qna.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["document"] == {"repo": repo.as_uri(), "commit": result.commit, "patterns": ["intro.md", "ferry.md"]}
    # everything but the document block is as the user wrote it
    for line in ("# The harbour of Semmet: keep this comment", "document_outline: >-", "  The harbour of Semmet, its lighthouse",
                 "      - question: When was the Orlin lighthouse built?  # the first question", "# a closing comment"):
        assert line in text.splitlines()


def test_only_the_ingested_files_are_committed(tmp_path, leaf_with_repo):
    leaf, repo = leaf_with_repo
    (repo / "draft.txt").write_text("my unfinished notes\n", encoding="utf-8")
    (repo / "intro.md").write_text("# Semmet\n\nedited, not yet committed\n", encoding="utf-8")
    notes = tmp_path / "ferry.md"
    notes.write_text("The ferry to Orlin leaves at 7 every morning.\n", encoding="utf-8")
    ingest(leaf, [notes])
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["ferry.md"]
    status = git(repo, "status", "--porcelain").splitlines()
    assert " M intro.md" in status and "?? draft.txt" in status  # still the user's, uncommitted


def test_a_name_clash_is_refused_and_nothing_changes(tmp_path, leaf_with_repo):
    leaf, repo = leaf_with_repo
    before = {p: p.read_bytes() for p in [leaf / "qna.yaml", repo / "intro.md"]}
    head = git(repo, "rev-parse", "HEAD")
    other = tmp_path / "intro.md"
    other.write_text("# Another intro\n\nA different text with 12 facts.\n", encoding="utf-8")
    with pytest.raises(UserError, match="intro.md: a different document of this name") as error:
        ingest(leaf, [other])
    assert "--on-clash replace|keep-both" in error.value.hint
    assert {p: p.read_bytes() for p in before} == before and git(repo, "rev-parse", "HEAD") == head

    kept = ingest(leaf, [other], on_clash="keep-both")
    assert kept.markdown == ["intro-2.md"] and (repo / "intro.md").read_bytes() == before[repo / "intro.md"]
    assert load_leaf(leaf).data["document"]["patterns"] == ["intro.md", "intro-2.md"]
    replaced = ingest(leaf, [other], on_clash="replace")
    assert replaced.markdown == ["intro.md"] and "A different text" in (repo / "intro.md").read_text()
    assert git(repo, "show", f"{head}:intro.md").encode() + b"\n" == before[repo / "intro.md"]  # git keeps the old one


def test_the_same_document_again_is_no_clash(tmp_path, leaf_with_repo):
    leaf, repo = leaf_with_repo
    same = tmp_path / "intro.md"
    same.write_bytes((repo / "intro.md").read_bytes())
    head = git(repo, "rev-parse", "HEAD")
    assert ingest(leaf, [same]).commit == head


def test_a_skill_leaf_takes_no_documents(tmp_path):
    leaf = tmp_path / "taxonomy" / "compositional_skills" / "writing" / "notes"
    leaf.mkdir(parents=True)
    text = ("version: 3\ntask_description: Write a note.\ncreated_by: t\nseed_examples:\n"
            + "".join(f"  - question: Write note {i}.\n    answer: Note {i}.\n" for i in range(5)))
    (leaf / "qna.yaml").write_text(text, encoding="utf-8")
    doc = tmp_path / "a.md"
    doc.write_text("# A\n\nSome text here.\n", encoding="utf-8")
    with pytest.raises(UserError, match="only knowledge leaves take documents"):
        ingest(leaf, [doc])
    assert (leaf / "qna.yaml").read_text(encoding="utf-8") == text


def test_atomic_writes_follow_links_keep_the_mode_and_refuse_read_only_files(tmp_path):
    real = tmp_path / "real.yaml"
    real.write_text("a: 1\n", encoding="utf-8")
    os.chmod(real, 0o640)
    link = tmp_path / "qna.yaml"
    link.symlink_to(real)
    atomic_write_text(link, "a: 2\n")
    assert link.is_symlink() and real.read_text() == "a: 2\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    os.chmod(real, 0o444)
    with pytest.raises(UserError, match="read-only"):
        atomic_write_text(real, "a: 3\n")
    assert real.read_text() == "a: 2\n"


def test_an_output_folder_has_one_writer_and_a_killed_ones_lock_is_taken_over(tmp_path):
    import subprocess
    import sys

    from ilabdesk.locks import output_lock

    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom ilabdesk.locks import output_lock\n"
        f"with output_lock({str(tmp_path)!r}, 'dataset folder'):\n    print('held', flush=True)\n    time.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(UserError, match=rf"dataset folder is in use by PID {holder.pid}"):
            with output_lock(tmp_path, "dataset folder"):
                pass
    finally:
        holder.kill()  # as a crash would: no clean-up runs
        holder.wait()
    with output_lock(tmp_path, "dataset folder"):  # the kernel released the dead process's lock
        assert f"PID {os.getpid()}" in (tmp_path / ".ilabdesk-lock").read_text()
