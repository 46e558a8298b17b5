"""The clicking loop's quick steps in the default run (the whole loop is test_gui_whole_loop.py, slow).

First launch → welcome → sample → click the leaf → drop a document →
Contribute…, all by mouse and keyboard with the UI thread timed; and the
Jobs menu's dialogs pass on the small settings a user types in them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from gui_helpers import GapMeter, ModalAnswers, click_menu, drop_files, launch_with_sample, leaf_index, type_number
from PySide6.QtCore import Qt

from ilabdesk.gui.jobs import CANCELLED, FINISHED

LEFT = Qt.MouseButton.LeftButton
KNOWLEDGE = "knowledge/geography/islands/quellmoor_island/qna.yaml"


def test_first_launch_sample_drop_and_contribute_by_clicking(qtbot, answers, tmp_path):
    from ilabdesk.gui.contribute_dialog import ContributeDialog

    modals = ModalAnswers()
    meter = GapMeter()
    window = launch_with_sample(qtbot, modals, meter)
    panel = window.tree_panel
    leaf = window.taxonomy_root / KNOWLEDGE

    meter.phase = "click: open the leaf"
    index = leaf_index(window, "quellmoor_island")
    qtbot.mouseClick(panel.tree.viewport(), LEFT, pos=panel.tree.visualRect(index).center())
    assert window.editor.path == leaf
    qtbot.waitUntil(lambda: window.editor.status.text().startswith("✔"), timeout=20_000)

    meter.phase = "click: drop a document"
    document = tmp_path / "ferry.md"
    document.write_text("# Ferry\n\nThe ferry sails twice a day.\n", encoding="utf-8")
    assert drop_files(panel.tree.viewport(), panel.tree.visualRect(index).center(), [document]).isAccepted()
    ingest = window.jobs.jobs[-1]
    meter.phase = "ingest job running"
    qtbot.waitUntil(lambda: ingest.outcome is not None, timeout=120_000)
    assert ingest.state == FINISHED, ingest.outcome
    qtbot.waitUntil(lambda: "ferry.md" in str(window.editor.doc.value(("document",))), timeout=10_000)

    meter.phase = "click: contribute"

    def contribute(dialog: ContributeDialog) -> None:
        assert dialog.chosen_leaves() == [leaf]
        dialog.branch.selectAll()
        qtbot.keyClicks(dialog.branch, "add-ferry")
        qtbot.mouseClick(dialog.go, LEFT)
        modals.when(lambda: dialog.go.isEnabled() and dialog.result_lines,
                    lambda: qtbot.mouseClick(dialog.close_button, LEFT))

    modals.expect(ContributeDialog, contribute)
    qtbot.mouseClick(window.editor.contribute_button, LEFT)
    qtbot.waitUntil(modals.done, timeout=60_000)
    meter.stop()
    modals.stop()
    shown = subprocess.run(["git", "show", f"add-ferry:{KNOWLEDGE}"], cwd=window.taxonomy_root,
                           capture_output=True, text=True, check=True).stdout
    assert yaml.safe_load(shown)["document"]["commit"] == ingest.result["commit"]
    assert answers.shown == []
    meter.assert_responsive(0.1, click_limit=0.25)
    window.close()
    assert not window.isVisible()


def test_jobs_menu_dialogs_pass_on_what_the_user_types(window, sample, qtbot):
    from ilabdesk.gui.job_dialogs import JobDialog

    modals = ModalAnswers()
    leaf = sample / KNOWLEDGE
    window.open_leaf(leaf)

    def fill_generate(dialog: JobDialog) -> None:
        assert dialog.fields["samples_per_seed"].text() == "default"
        type_number(qtbot, dialog.fields["samples_per_seed"], 1)
        type_number(qtbot, dialog.fields["paraphrases"], 0)
        qtbot.mouseClick(dialog.start_button, LEFT)

    modals.expect(JobDialog, fill_generate)
    click_menu(qtbot, window, "&Jobs", "&Generate data (SDG)…")
    qtbot.waitUntil(modals.done)
    generate = window.jobs.jobs[-1]
    assert generate.spec.kind == "generate"
    assert generate.spec.args["samples_per_seed"] == 1 and generate.spec.args["paraphrases"] == 0
    assert generate.spec.args["leaves"] == [str(leaf.parent)]
    qtbot.mouseClick(window.jobs_panel.cancel_button, LEFT)
    qtbot.waitUntil(lambda: generate.state == CANCELLED, timeout=30_000)

    dataset = Path(generate.spec.args["output"])

    def fill_train(dialog: JobDialog) -> None:
        assert dialog.fields["iters"].text() == "default"
        dialog.fields["data"].selectAll()
        qtbot.keyClicks(dialog.fields["data"], str(dataset))
        type_number(qtbot, dialog.fields["iters"], 2)
        qtbot.mouseClick(dialog.start_button, LEFT)

    modals.expect(JobDialog, fill_train)
    click_menu(qtbot, window, "&Jobs", "&Train…")
    qtbot.waitUntil(modals.done)
    modals.stop()
    train = window.jobs.jobs[-1]
    assert train.spec.kind == "train" and train.spec.args["iters"] == 2
    assert train.spec.args["data"] == str(dataset)
    qtbot.mouseClick(window.jobs_panel.cancel_button, LEFT)
    qtbot.waitUntil(lambda: train.outcome is not None, timeout=30_000)


def test_generate_offers_to_save_unsaved_edits_first(window, sample, qtbot, answers):
    from PySide6.QtWidgets import QDialogButtonBox

    from ilabdesk.gui.job_dialogs import JobDialog

    leaf = sample / KNOWLEDGE
    window.open_leaf(leaf)
    domain = window.editor.form.fields()[("domain",)]
    domain.selectAll()
    qtbot.keyClicks(domain, "island geography")
    assert window.editor.doc.dirty
    modals = ModalAnswers()
    seen: list[dict] = []

    def cancel(dialog: JobDialog) -> None:
        seen.append(dialog.args())
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel), LEFT)

    modals.expect(JobDialog, cancel)
    click_menu(qtbot, window, "&Jobs", "&Generate data (SDG)…")  # answers "Yes": save first
    qtbot.waitUntil(modals.done)
    modals.stop()
    assert [title for _, title, _ in answers.shown] == ["Save the leaf first?"]
    assert yaml.safe_load(leaf.read_text(encoding="utf-8"))["domain"] == "island geography"
    assert not window.editor.doc.dirty and seen and seen[0]["leaves"] == [str(leaf.parent)]
    assert window.jobs.jobs == []  # cancelled: nothing started


def test_train_dialog_offers_the_dataset_of_an_earlier_session(window, qtbot):
    from ilabdesk.gui.job_dialogs import JobDialog
    from ilabdesk.jobs.events import Event
    from ilabdesk.jobs.runner import JobSpec
    from ilabdesk.settings import paths

    dataset = paths().datasets / "yesterday"
    dataset.mkdir(parents=True)
    spec = JobSpec("generate", {"taxonomy": "/t", "output": str(dataset)})
    spec.save(paths().jobs / spec.id / "spec.json")
    (paths().jobs / spec.id / "events.jsonl").write_text(Event.finished("generated 3").to_json() + "\n")
    window.jobs.load_history()  # what the next launch reads
    modals = ModalAnswers()
    offered: list[str] = []

    def read_and_cancel(dialog: JobDialog) -> None:
        offered.append(dialog.fields["data"].text())
        dialog.reject()

    modals.expect(JobDialog, read_and_cancel)
    click_menu(qtbot, window, "&Jobs", "&Train…")
    qtbot.waitUntil(modals.done)
    modals.stop()
    assert offered == [str(dataset)]
