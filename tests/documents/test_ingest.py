"""Ingestion into a real git document repo, and the leaf pointing at it as InstructLab expects."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from ilabdesk.documents.ingest import ingest
from ilabdesk.errors import UserError
from ilabdesk.taxonomy.documents import resolve_documents
from ilabdesk.taxonomy.leaf import load_leaf


@pytest.fixture
def leaf_dir(tmp_path):
    leaf = tmp_path / "taxonomy" / "knowledge" / "maritime" / "semmet"
    leaf.mkdir(parents=True)
    data = {
        "version": 3,
        "domain": "maritime",
        "created_by": "tester",
        "document_outline": "The harbor of Semmet",
        "seed_examples": [
            {
                "context": "The Orlin lighthouse was built in 1871.",
                "questions_and_answers": [{"question": "When was the Orlin lighthouse built?", "answer": "In 1871."}],
            }
        ],
    }
    (leaf / "qna.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return leaf


def test_ingest_every_format_commits_and_points_the_leaf(tmp_path, leaf_dir, make_pdf):
    import docx

    files = []
    md = tmp_path / "intro.md"
    md.write_text("# Semmet\n\nSemmet is a harbor town with 3,100 people.\n", encoding="utf-8")
    txt = tmp_path / "ferry notes.txt"
    txt.write_text("The ferry to Orlin leaves at 7 every morning.\n", encoding="utf-8")
    html = tmp_path / "guild.html"
    html.write_text("<h1>Guild</h1><p>The harbor guild was founded in 1650.</p>", encoding="utf-8")
    document = docx.Document()
    document.add_heading("Keepers", level=1)
    document.add_paragraph("Ada Voss kept the lighthouse for 40 years.")
    word = tmp_path / "keepers.docx"
    document.save(word)
    pdf = make_pdf(tmp_path / "lighthouse.pdf", [["The Orlin lighthouse was built in 1871."]])
    files = [md, txt, html, word, pdf]

    result = ingest(leaf_dir, files)

    assert sorted(result.markdown) == ["ferry-notes.md", "guild.md", "intro.md", "keepers.md", "lighthouse.md"]
    leaf = load_leaf(leaf_dir)
    assert leaf.data["document"] == {"repo": str(result.repo), "commit": result.commit, "patterns": result.markdown}
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=result.repo, capture_output=True, text=True, check=True)
    assert head.stdout.strip() == result.commit
    assert (result.repo / "originals" / "lighthouse.pdf").read_bytes() == pdf.read_bytes()
    assert not (result.repo / "originals" / "intro.md").exists()  # Markdown is its own original

    texts = {p.name: p.read_text(encoding="utf-8") for p in resolve_documents(leaf)}
    assert "3,100 people" in texts["intro.md"]
    assert "leaves at 7" in texts["ferry-notes.md"]
    assert texts["guild.md"].startswith("# Guild")
    assert "# Keepers\n\nAda Voss kept the lighthouse for 40 years." in texts["keepers.md"]
    assert "<!-- page 1 -->" in texts["lighthouse.md"] and "built in 1871" in texts["lighthouse.md"]

    # a second ingestion adds to the same repo, keeps the earlier patterns, moves the commit
    extra = tmp_path / "tides.md"
    extra.write_text("High tide at Semmet reaches 4 meters.\n", encoding="utf-8")
    second = ingest(leaf_dir, [extra])
    assert second.repo == result.repo and second.commit != result.commit
    assert load_leaf(leaf_dir).data["document"]["patterns"] == result.markdown + ["tides.md"]
    assert len(resolve_documents(load_leaf(leaf_dir))) == 6


def test_bad_document_stops_before_anything_is_committed(tmp_path, leaf_dir, make_pdf):
    good = tmp_path / "good.md"
    good.write_text("Fine text.\n", encoding="utf-8")
    scan = make_pdf(tmp_path / "scan.pdf", scanned_pages=1)
    with pytest.raises(UserError, match="no text layer"):
        ingest(leaf_dir, [good, scan])
    assert "document" not in load_leaf(leaf_dir).data


def test_ingest_job_reports_events(tmp_path, leaf_dir):
    from ilabdesk.jobs.events import Cancel
    from ilabdesk.jobs.runner import JobSpec, run_events

    doc = tmp_path / "a.md"
    doc.write_text("Semmet has two piers.\n", encoding="utf-8")
    events = list(run_events(JobSpec("ingest", {"leaf": str(leaf_dir), "files": [str(doc)], "draft_seeds": False}), Cancel()))
    assert [e.type for e in events][-1] == "done", events[-1]
    assert events[-1].data["markdown"] == ["a.md"]
    assert any(e.type == "artifact" and e.data["kind"] == "leaf" for e in events)


def test_teacher_drafts_seed_examples_for_review(tmp_path, leaf_dir):
    from ilabdesk.chat.factory import open_engine
    from ilabdesk.documents.draft import draft_seed_examples
    from ilabdesk.cpu import free_cores

    text = (
        "The Orlin lighthouse was built in 1871 by the harbor guild of Semmet. Its lamp burns kelp oil and "
        "can be seen from 31 kilometers away. Ada Voss was the keeper of the Orlin lighthouse for 40 years. "
        "The lighthouse tower is 28 meters tall and has 140 steps."
    )
    before = (leaf_dir / "qna.yaml").read_text()
    with open_engine(None, threads=free_cores()) as engine:
        path = draft_seed_examples(load_leaf(leaf_dir), [text], engine=engine, contexts=1, questions=2)
    assert path == leaf_dir / "qna.draft.yaml"
    assert (leaf_dir / "qna.yaml").read_text() == before  # never merged silently
    assert path.read_text().startswith("# Draft seed examples")
    draft = yaml.safe_load(path.read_text())
    assert len(draft["seed_examples"]) <= 1
    for example in draft["seed_examples"]:
        assert example["context"] == text
        for qa in example["questions_and_answers"]:
            assert qa["answer"] in text and qa["question"].endswith("?")
