"""Files dragged from the OS onto a knowledge leaf become an ingest job that updates the leaf."""

from __future__ import annotations

import yaml
from gui_helpers import drop_files, leaf_index
from PySide6.QtCore import Qt

from ilabdesk.gui.jobs import FINISHED

DOCUMENT = """# The Quellmoor ferry

The ferry *Gull of Dunwarrick* sails from Halvenby to Dunwarrick twice a day.
The crossing takes three hours and ten minutes in calm weather.
"""


def test_drop_markdown_on_knowledge_leaf_ingests_it(window, sample, qtbot, tmp_path):
    document = tmp_path / "ferry.md"
    document.write_text(DOCUMENT, encoding="utf-8")
    leaf = sample / "knowledge/geography/islands/quellmoor_island/qna.yaml"
    window.open_leaf(leaf)
    before = yaml.safe_load(leaf.read_text())["document"]
    tree = window.tree_panel.tree
    index = leaf_index(window, "quellmoor_island")
    event = drop_files(tree.viewport(), tree.visualRect(index).center(), [document])
    assert event.isAccepted()
    job = window.jobs.jobs[-1]
    assert job.spec.kind == "ingest"
    assert job.spec.args["files"] == [str(document.resolve())]
    assert job.spec.args["leaf"] == str(leaf.parent)
    qtbot.waitUntil(lambda: job.outcome is not None, timeout=120_000)
    assert job.state == FINISHED, job.outcome
    after = yaml.safe_load(leaf.read_text())["document"]
    assert after != before  # the leaf's document: block now covers the new file
    # The open editor shows the updated leaf, unmodified (nothing to save), and it still validates.
    qtbot.waitUntil(lambda: window.editor.doc.value(("document",)) == after, timeout=10_000)
    assert not window.editor.doc.dirty
    qtbot.waitUntil(lambda: window.editor.status.text().startswith("✔"), timeout=20_000)


def test_unsupported_files_and_skill_leaves_are_refused(window, sample, qtbot, tmp_path, answers):
    archive = tmp_path / "notes.zip"
    archive.write_bytes(b"PK\x03\x04")
    tree = window.tree_panel.tree
    knowledge = leaf_index(window, "quellmoor_island")
    drop_files(tree.viewport(), tree.visualRect(knowledge).center(), [archive])
    assert answers.shown and answers.shown[-1][1] == "Some files were not added"
    assert "notes.zip" in answers.shown[-1][2]
    assert window.jobs.jobs == []
    # A skill leaf does not accept documents at all: the drop is ignored.
    skill = leaf_index(window, "thank_you_notes")
    event = drop_files(tree.viewport(), tree.visualRect(skill).center(), [tmp_path])
    assert not event.isAccepted()
    assert window.jobs.jobs == []


def test_drop_on_the_editor_starts_an_ingest(window, sample, qtbot, tmp_path):
    document = tmp_path / "ferry.md"
    document.write_text(DOCUMENT, encoding="utf-8")
    window.open_leaf(sample / "knowledge/geography/islands/quellmoor_island/qna.yaml")
    form_field = window.editor.form.fields()[("domain",)]
    drop_files(form_field, form_field.rect().center(), [document])
    assert [job.spec.kind for job in window.jobs.jobs] == ["ingest"]
    window.jobs.jobs[-1].cancel()
    qtbot.waitUntil(lambda: window.jobs.jobs[-1].outcome is not None, timeout=30_000)


def test_documents_are_added_by_dialog_from_the_form_the_tree_and_the_menu(window, sample, qtbot, tmp_path,
                                                                           monkeypatch):
    """The OS file dialog is answered here (it cannot be clicked in a test); all else is the real window."""
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from ilabdesk.gui.document_picker import documents_in

    document = tmp_path / "ferry.md"
    document.write_text(DOCUMENT, encoding="utf-8")
    folder = tmp_path / "handbook"
    (folder / "part").mkdir(parents=True)
    (folder / "part" / "b.pdf").write_bytes(b"%PDF-1.4")
    (folder / "a.md").write_text("# A\n")
    (folder / "notes.zip").write_bytes(b"PK")
    (folder / ".hidden.md").write_text("# hidden\n")
    assert documents_in(folder) == [folder / "a.md", folder / "part" / "b.pdf"]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(document)], "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    leaf = sample / "knowledge/geography/islands/quellmoor_island/qna.yaml"
    window.open_leaf(leaf)
    button = window.editor.form.findChild(QPushButton, "addDocuments")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    window.tree_panel.add_documents(leaf, folder=True)
    window.add_documents_action.trigger()
    jobs = [job for job in window.jobs.jobs if job.spec.kind == "ingest"]
    assert [job.spec.args["files"] for job in jobs] == [
        [str(document.resolve())], [str((folder / "a.md").resolve()), str((folder / "part" / "b.pdf").resolve())],
        [str(document.resolve())]]
    assert all(job.spec.args["leaf"] == str(leaf.parent) for job in jobs)
    for job in jobs:
        job.cancel()
    qtbot.waitUntil(lambda: all(job.outcome is not None for job in jobs), timeout=60_000)


def test_drafted_examples_are_reviewed_before_joining_the_leaf(window, sample, qtbot, monkeypatch):
    from ilabdesk.gui import draft_review

    leaf = sample / "knowledge/geography/islands/quellmoor_island/qna.yaml"
    draft = leaf.with_name("qna.draft.yaml")  # what an ingest job with draft_seeds writes
    seeds = [
        {"context": "The ferry sails twice a day.\n",
         "questions_and_answers": [{"question": "How often does the ferry sail?\n", "answer": "Twice a day.\n"}]},
        {"context": "Wrong draft.\n", "questions_and_answers": [{"question": "Q?\n", "answer": "A.\n"}]},
    ]
    draft.write_text(yaml.safe_dump({"seed_examples": seeds}), encoding="utf-8")

    def keep_first(dialog):
        assert dialog.list.count() == 2 and "twice a day" in dialog.list.item(0).text()
        dialog.list.item(1).setCheckState(Qt.CheckState.Unchecked)
        return 1

    monkeypatch.setattr(draft_review.DraftReviewDialog, "exec", keep_first)
    before = len(yaml.safe_load(leaf.read_text())["seed_examples"])
    window._review_drafts(leaf, str(draft))
    doc = window.editor.doc
    assert len(doc.data["seed_examples"]) == before + 1
    assert doc.data["seed_examples"][-1]["context"] == "The ferry sails twice a day.\n"
    assert doc.dirty and len(yaml.safe_load(leaf.read_text())["seed_examples"]) == before  # not saved unasked
    window.editor.undo()
    assert len(doc.data["seed_examples"]) == before


def test_drafted_examples_take_the_place_of_a_new_leafs_template_examples(window, sample, qtbot, monkeypatch):
    from ilabdesk.gui import draft_review
    from ilabdesk.taxonomy.leaf import knowledge_template

    leaf = sample / "knowledge/geography/islands/harlow_island/qna.yaml"
    leaf.parent.mkdir()
    template = knowledge_template(created_by="me", domain="islands", document_outline="Harlow.", repo="r",
                                  commit="c", patterns=["harlow.md"])
    template["seed_examples"][4] = {"context": "Harlow has one lighthouse.\n", "questions_and_answers": [
        {"question": "How many lighthouses has Harlow?\n", "answer": "One.\n"}]}  # written by the user: kept
    leaf.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    drafts = [{"context": f"Passage {i} of harlow.md.\n", "questions_and_answers": [
        {"question": f"What does passage {i} say?\n", "answer": f"Passage {i} says so.\n"}]} for i in range(5)]
    draft = leaf.with_name("qna.draft.yaml")
    draft.write_text(yaml.safe_dump({"seed_examples": drafts}), encoding="utf-8")
    monkeypatch.setattr(draft_review.DraftReviewDialog, "exec", lambda dialog: 1)
    window._review_drafts(leaf, str(draft))
    seeds = window.editor.doc.data["seed_examples"]
    assert [seed["context"] for seed in seeds] == ["Harlow has one lighthouse.\n"] + [d["context"] for d in drafts]
