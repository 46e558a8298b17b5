"""Issue 20's target, by clicking and typing alone at 1280×800: a new knowledge leaf, a PDF added to it
by File ▸ Add documents, its seeds typed into the form, the whole loop run from the Jobs menu with its
stages shown one by one, the before/after of each question read in the Results tab, and the fused
model picked by its run's name in the chat.

Only the operating system's file dialog is answered in code (it is not a Qt widget a test can click).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from documents.conftest import write_pdf
from gui_helpers import GapMeter, ModalAnswers, click_menu, launch_with_sample, leaf_index
from PySide6.QtCore import Qt

from ilabdesk.gui.jobs import FINISHED

# The whole loop with its defaults on the embedded model: about 10 minutes on the idle 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

LEFT = Qt.MouseButton.LeftButton
PASSAGES = [
    ("Brindle Island lies in the Sorrel Sea, 40 kilometres west of the port of Harwick. "
     "About 2,300 people live on the island.",
     [("Where is Brindle Island?", "Brindle Island lies in the Sorrel Sea, west of Harwick."),
      ("How far is Brindle Island from Harwick?", "Brindle Island is 40 kilometres west of Harwick."),
      ("How many people live on Brindle Island?", "About 2,300 people live on Brindle Island.")]),
    ("The main town of the island is Corby, on the north shore. The harbour of Corby was built in 1884.",
     [("What is the main town of Brindle Island?", "The main town of Brindle Island is Corby."),
      ("Where is Corby?", "Corby is on the north shore of Brindle Island."),
      ("When was the harbour of Corby built?", "The harbour of Corby was built in 1884.")]),
    ("The Brindle lighthouse stands on Gannet Point. The lighthouse is 31 metres tall and was first lit in 1902.",
     [("Where does the Brindle lighthouse stand?", "The Brindle lighthouse stands on Gannet Point."),
      ("How tall is the Brindle lighthouse?", "The Brindle lighthouse is 31 metres tall."),
      ("When was the Brindle lighthouse first lit?", "The Brindle lighthouse was first lit in 1902.")]),
    ("The ferry Sorrel Star sails from Harwick to Corby three times a day. The crossing takes 95 minutes.",
     [("Which ferry sails to Brindle Island?", "The ferry Sorrel Star sails from Harwick to Corby."),
      ("How often does the Sorrel Star sail?", "The Sorrel Star sails three times a day."),
      ("How long is the crossing to Corby?", "The crossing from Harwick to Corby takes 95 minutes.")]),
    ("Brindle Island is known for its black sheep. Their wool is sold at the autumn fair in October.",
     [("What animals is Brindle Island known for?", "Brindle Island is known for its black sheep."),
      ("Where is the wool of the black sheep sold?", "The wool is sold at the autumn fair."),
      ("When is the autumn fair held?", "The autumn fair is held in October.")]),
]


def retype(qtbot, field, text: str) -> None:
    """Select what a form field holds and type `text` over it, as a person would: one key at a
    time, with the event loop running in between, so each keystroke's own work is what is timed."""
    from PySide6.QtWidgets import QApplication

    field.setFocus()
    field.selectAll()
    for key in text:
        qtbot.keyClicks(field, key)
        QApplication.processEvents()


def test_new_leaf_pdf_whole_loop_results_and_fused_chat_by_clicking(qtbot, answers, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from ilabdesk.gui.job_dialogs import JobDialog
    from ilabdesk.gui.taxonomy_tree import NewLeafDialog

    modals = ModalAnswers()
    meter = GapMeter()
    window = launch_with_sample(qtbot, modals, meter)
    window.resize(1280, 800)
    panel = window.tree_panel

    # 1. With the sample's island leaf selected, "New leaf": the dialog starts in its folder; type the name.
    qtbot.mouseClick(panel.tree.viewport(), LEFT,
                     pos=panel.tree.visualRect(leaf_index(window, "quellmoor_island")).center())

    def name_the_leaf(dialog: NewLeafDialog) -> None:
        assert dialog.values()[:2] == ("knowledge", "geography/islands/")
        dialog.path.setFocus()
        dialog.path.end(False)
        qtbot.keyClicks(dialog.path, "brindle_island")
        qtbot.keyClicks(dialog.author, "brindle-fan")
        dialog.accept()

    modals.expect(NewLeafDialog, name_the_leaf)
    meter.phase = "click: new leaf"
    qtbot.mouseClick(panel.new_button, LEFT)
    leaf = window.taxonomy_root / "knowledge/geography/islands/brindle_island/qna.yaml"
    qtbot.waitUntil(lambda: window.editor.path == leaf, timeout=10_000)

    # 2. File ▸ Add documents to the leaf…: the PDF picked in the system's file dialog goes to an ingest job.
    pdf = write_pdf(tmp_path / "brindle_island.pdf", [[text for text, _ in PASSAGES]])
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(pdf)], "")))
    meter.phase = "click: add documents"
    click_menu(qtbot, window, "&File", "&Add documents to the leaf…")
    qtbot.waitUntil(lambda: any(j.spec.kind == "ingest" for j in window.jobs.jobs), timeout=10_000)
    ingest = window.jobs.jobs[-1]
    qtbot.waitUntil(lambda: ingest.outcome is not None, timeout=120_000)
    assert ingest.state == FINISHED, "\n".join(ingest.log)
    qtbot.waitUntil(lambda: window.editor.doc.value(("document", "commit")) == ingest.result["commit"], timeout=10_000)

    # 3. The template's placeholders are flagged until the form holds the user's own text.
    qtbot.waitUntil(lambda: "warning" in window.editor.status.text(), timeout=30_000)
    meter.phase = "typing the seeds"
    form = window.editor.form
    fields = form.fields()
    retype(qtbot, fields[("domain",)], "islands")
    retype(qtbot, fields[("document_outline",)], "Facts about Brindle Island: its town, lighthouse, ferry and sheep.")
    for i, (context, qas) in enumerate(PASSAGES):
        retype(qtbot, form.fields()[("seed_examples", i, "context")], context)
        for j, (question, answer) in enumerate(qas):
            retype(qtbot, form.fields()[("seed_examples", i, "questions_and_answers", j, "question")], question)
            retype(qtbot, form.fields()[("seed_examples", i, "questions_and_answers", j, "answer")], answer)
    meter.phase = "click: save"
    click_menu(qtbot, window, "&File", "&Save leaf")
    qtbot.waitUntil(lambda: not window.editor.doc.dirty, timeout=10_000)
    saved = yaml.safe_load(leaf.read_text(encoding="utf-8"))
    assert saved["seed_examples"][2]["questions_and_answers"][1]["answer"].strip() == "The Brindle lighthouse is 31 metres tall."
    qtbot.waitUntil(lambda: window.editor.status.text().startswith("✔ valid"), timeout=30_000)

    # 4. Jobs ▸ Run the whole loop…: the dialog starts from the open leaf; OK.
    def start_whole_loop(dialog: JobDialog) -> None:
        assert dialog.kind == "pipeline" and dialog.fields["leaves"].text() == str(leaf.parent)
        qtbot.mouseClick(dialog.start_button, LEFT)

    modals.expect(JobDialog, start_whole_loop)
    meter.phase = "click: run the whole loop"
    click_menu(qtbot, window, "&Jobs", "Run the &whole loop…")
    qtbot.waitUntil(lambda: any(j.spec.kind == "pipeline" for j in window.jobs.jobs), timeout=10_000)
    run = window.jobs.jobs[-1]
    jobs = window.jobs_panel
    assert jobs.current_job() is run and "brindle_island" in run.title

    # 5. The Stages tab: done, running and next, each stage with its own progress.
    meter.phase = "whole loop running"
    stages = jobs.stages
    qtbot.waitUntil(lambda: jobs.tabs.currentWidget() is stages and stages.topLevelItemCount() == 5, timeout=60_000)

    def rows() -> dict[str, str]:
        return {stages.topLevelItem(i).text(0): stages.topLevelItem(i).text(1) for i in range(stages.topLevelItemCount())}

    qtbot.waitUntil(lambda: rows().get("train") == "running" or run.outcome is not None, timeout=2_400_000)
    seen_training = dict(rows())
    started = time.monotonic()
    qtbot.waitUntil(lambda: run.outcome is not None, timeout=2_400_000)
    print(f"whole loop after training began: {time.monotonic() - started:.0f} s; stages then: {seen_training}")
    assert run.state == FINISHED, "\n".join(list(run.log)[-20:])
    assert seen_training["generate"] == "done" and seen_training["train"] == "running"
    assert seen_training["evaluate"] == "next"
    assert set(rows().values()) == {"done"}

    # 6. The Results tab opened by itself: document questions first, each with both answers.
    results = window.results
    qtbot.waitUntil(lambda: window.center.currentWidget() is results, timeout=10_000)
    assert results.headline.text().removeprefix("<b>").startswith("document questions")
    assert results.questions.rowCount() > 0
    headers = [results.questions.horizontalHeaderItem(c).text().lower() for c in range(results.questions.columnCount())]
    assert any("base" in h for h in headers) and any("tuned" in h for h in headers)

    # 7. Chat: the fused model picked by its run's name; one prompt streamed into both panes.
    meter.phase = "click: chat tab"
    qtbot.mouseClick(window.center.tabBar(), LEFT,
                     pos=window.center.tabBar().tabRect(window.center.indexOf(window.chat)).center())
    chat = window.chat
    picker = chat.tuned.picker
    labels = [picker.itemText(i) for i in range(picker.count())]
    fused = [i for i, label in enumerate(labels) if "brindle_island" in label and "fused" in label]
    assert fused, labels
    picker.setCurrentIndex(fused[0])
    picker.activated.emit(fused[0])
    meter.phase = "chat models loading"
    qtbot.waitUntil(lambda: all("loaded" in pane.status.text() for pane in chat.panes), timeout=120_000)
    assert Path(chat.tuned.choice().model).name.startswith("model-") and chat.tuned.choice().adapter is None
    qtbot.keyClicks(chat.prompt, "How tall is the Brindle lighthouse?")
    meter.phase = "chat streaming"
    qtbot.mouseClick(chat.send_button, LEFT)
    qtbot.waitUntil(lambda: not chat.busy(), timeout=120_000)
    assert all(pane.last_answer().strip() for pane in chat.panes)
    meter.stop()
    print("UI thread, longest wall gap / CPU burst per phase:", meter.report())
    meter.assert_responsive(0.1, click_limit=0.25)
    assert answers.shown == []
    modals.stop()
    window.close()
