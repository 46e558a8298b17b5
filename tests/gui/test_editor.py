"""The leaf editor driven like a user: click the tree, type, see validation, save, reload."""

from __future__ import annotations

import yaml
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from gui_helpers import leaf_index

ANSWER = ("seed_examples", 0, "questions_and_answers", 0, "answer")


def open_leaf_by_click(window, qtbot, name: str) -> None:
    index = leaf_index(window, name)
    tree = window.tree_panel.tree
    tree.scrollTo(index)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualRect(index).center())
    qtbot.waitUntil(lambda: window.editor.path is not None and window.editor.path.parent.name == name)


def wait_valid(window, qtbot) -> None:
    qtbot.waitUntil(lambda: window.editor.status.text().startswith("✔"), timeout=15_000)


def test_edit_seed_answer_validate_save_reload(window, sample, qtbot):
    open_leaf_by_click(window, qtbot, "quellmoor_island")
    editor = window.editor
    wait_valid(window, qtbot)
    field = editor.form.fields()[ANSWER]
    field.setFocus()
    field.moveCursor(field.textCursor().MoveOperation.End)
    qtbot.keyClicks(field, " Also, the ferry runs twice a day.")
    assert editor.doc.dirty
    assert "•" in editor.title.text()
    assert window.undo_action.isEnabled() and window.undo_action.text().startswith("&Undo edit seed_examples 0")
    assert "the ferry runs twice a day" in editor.doc.value(ANSWER)
    assert "the ferry runs twice a day" in editor.raw.toPlainText()  # the YAML tab follows the form
    wait_valid(window, qtbot)

    # Break the leaf: an empty created_by is an error the official schema reports, with its line.
    created_by = editor.form.fields()[("created_by",)]
    created_by.selectAll()
    qtbot.keyClick(created_by, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: editor.status.text().startswith(("1 error", "2 error", "3 error")), timeout=15_000)
    message = editor.messages[0]
    assert message.severity == "error" and message.line > 1
    assert message.text == "created_by is empty: write something here"  # plain words, not "[.created_by] ''"
    assert created_by.property("problem") == "error" and created_by.toolTip() == message.text  # the field is marked
    # On the form, clicking the message focuses the field it is about ...
    item = editor.message_list.item(0)
    created_by.clearFocus()
    qtbot.mouseClick(editor.message_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=editor.message_list.visualItemRect(item).center())
    qtbot.waitUntil(lambda: editor.form.focusWidget() is created_by)
    # ... and on the YAML tab, the line it names.
    editor.tabs.setCurrentWidget(editor.raw)
    qtbot.mouseClick(editor.message_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=editor.message_list.visualItemRect(item).center())
    assert editor.raw.textCursor().blockNumber() + 1 == message.line

    # Undo brings created_by back (one step for the whole deletion), and the leaf is valid again.
    qtbot.keyClick(editor.raw, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.doc.value(("created_by",)) == "ilabdesk-sample"
    wait_valid(window, qtbot)
    assert not editor.form.fields()[("created_by",)].property("problem")

    # Save with the keyboard shortcut; the file on disk is the new one.
    window.save_action.trigger()
    assert not editor.doc.dirty
    on_disk = yaml.safe_load(editor.doc.path.read_text(encoding="utf-8"))
    assert "the ferry runs twice a day" in on_disk["seed_examples"][0]["questions_and_answers"][0]["answer"]
    assert not list(editor.doc.path.parent.glob(".qna.yaml.*"))  # no temp file left by the atomic write

    # Reload: open the other leaf, come back, the form shows the saved answer.
    open_leaf_by_click(window, qtbot, "thank_you_notes")
    open_leaf_by_click(window, qtbot, "quellmoor_island")
    assert "the ferry runs twice a day" in editor.form.fields()[ANSWER].toPlainText()
    qtbot.waitUntil(lambda: window.tree_panel.is_changed(editor.doc.path), timeout=15_000)


def test_raw_yaml_error_jumps_to_line_and_unsaved_warning(window, sample, qtbot, answers):
    open_leaf_by_click(window, qtbot, "thank_you_notes")
    editor = window.editor
    wait_valid(window, qtbot)
    editor.tabs.setCurrentWidget(editor.raw)
    editor.raw.go_to_line(2)
    qtbot.keyClicks(editor.raw, "  bad: [unclosed")
    qtbot.keyClick(editor.raw, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(editor.messages) and "YAML" in editor.messages[0].text, timeout=15_000)
    # The form says why it shows nothing, instead of the last values that parsed; it comes back when fixed.
    broken = editor.form.widget().findChild(type(editor.title), "formBroken")
    assert broken is not None and "line 2" in broken.text() and editor.form.fields() == {}
    fixed = editor.raw.toPlainText().replace("  bad: [unclosed\n", "")
    editor.raw.setPlainText(fixed)
    qtbot.waitUntil(lambda: editor.form.fields() != {}, timeout=15_000)
    editor.raw.setPlainText(fixed.replace("version:", "  bad: [unclosed\nversion:", 1))
    qtbot.waitUntil(lambda: editor.form.fields() == {}, timeout=15_000)
    # Switching leaves with unsaved edits asks first; "Cancel" keeps the leaf open.
    from PySide6.QtWidgets import QMessageBox

    answers.reply = QMessageBox.StandardButton.Cancel
    window.open_leaf(sample / "knowledge/geography/islands/quellmoor_island/qna.yaml")
    assert editor.path.parent.name == "thank_you_notes"
    assert answers.shown[-1][1] == "Unsaved changes"
    answers.reply = QMessageBox.StandardButton.Discard
    window.open_leaf(sample / "knowledge/geography/islands/quellmoor_island/qna.yaml")
    assert editor.path.parent.name == "quellmoor_island"
    saved = (sample / "compositional_skills/writing/freeform/thank_you_notes/qna.yaml").read_text()
    assert "unclosed" not in saved


def test_add_and_remove_examples_with_undo(window, sample, qtbot):
    open_leaf_by_click(window, qtbot, "thank_you_notes")
    editor = window.editor
    count = len(editor.doc.data["seed_examples"])
    qtbot.mouseClick(editor.form.findChild(type(editor.save_button), "addExample"), Qt.MouseButton.LeftButton)
    assert len(editor.doc.data["seed_examples"]) == count + 1
    assert ("seed_examples", count, "question") in editor.form.fields()
    qtbot.mouseClick(editor.form.findChild(type(editor.save_button), "removeExample0"), Qt.MouseButton.LeftButton)
    assert len(editor.doc.data["seed_examples"]) == count
    editor.undo()
    editor.undo()
    assert len(editor.doc.data["seed_examples"]) == count
    assert not editor.doc.dirty
    editor.redo()
    assert len(editor.doc.data["seed_examples"]) == count + 1
    assert QKeySequence(QKeySequence.StandardKey.Undo).toString() == window.undo_action.shortcut().toString()


def test_filter_create_move_delete_leaf(window, sample, qtbot, answers):
    panel = window.tree_panel
    qtbot.keyClicks(panel.filter, "quell")
    assert panel.proxy.rowCount() == 1  # only "knowledge" keeps a matching leaf
    panel.filter.clear()
    created = panel.create_leaf("knowledge", "geography/rivers/new_river", False, "tester")
    assert created is not None and created.exists()
    qtbot.waitUntil(lambda: created in panel.leaf_paths(), timeout=10_000)
    qtbot.waitUntil(lambda: window.editor.path == created)
    moved = panel.move_leaf(created, "knowledge/geography/rivers/old_river")
    assert moved is not None and moved.exists() and not created.exists()
    qtbot.waitUntil(lambda: moved in panel.leaf_paths(), timeout=10_000)
    assert panel.delete_leaf(moved)
    assert answers.shown[-1][1] == "Delete leaf"
    assert "not committed to git, so they cannot be restored" in answers.shown[-1][2]  # a new leaf: no promise
    assert not moved.exists() and not (sample / "knowledge/geography/rivers").exists()
    assert window.editor.path is None


def test_a_new_leaf_starts_in_the_selected_folder(window, sample, qtbot, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from ilabdesk.gui.taxonomy_tree import NewLeafDialog

    shown = []

    def answer(dialog):  # the modal dialog, as the user first sees it
        shown.append(dialog.values()[:2])
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(NewLeafDialog, "exec", answer)
    open_leaf_by_click(window, qtbot, "quellmoor_island")
    window.tree_panel.new_leaf()
    assert shown == [("knowledge", "geography/islands/")]


def test_the_window_follows_the_taxonomy_on_disk(window, sample, qtbot, answers):
    """An unmodified editor and the tree follow changes made outside; a modified editor asks before
    saving over one."""
    from PySide6.QtWidgets import QMessageBox

    open_leaf_by_click(window, qtbot, "quellmoor_island")
    editor = window.editor
    wait_valid(window, qtbot)
    path = editor.doc.path
    outside = path.read_text(encoding="utf-8").replace("domain:", "# added in a terminal\ndomain:", 1)
    path.write_text(outside, encoding="utf-8")
    qtbot.waitUntil(lambda: editor.doc.text == outside, timeout=10_000)  # no Refresh needed
    assert not editor.doc.dirty

    new_leaf = sample / "knowledge/geography/islands/harlow_island/qna.yaml"
    new_leaf.parent.mkdir()
    new_leaf.write_text(outside, encoding="utf-8")
    qtbot.waitUntil(lambda: new_leaf in window.tree_panel.leaf_paths(), timeout=10_000)

    field = editor.form.fields()[ANSWER]
    field.setFocus()
    qtbot.keyClicks(field, " Edited in the window.")
    assert editor.doc.dirty
    changed = outside.replace("# added in a terminal", "# changed again in a terminal")
    path.write_text(changed, encoding="utf-8")
    qtbot.waitUntil(lambda: "changed on disk" in editor.title.text(), timeout=10_000)
    answers.reply = QMessageBox.StandardButton.No
    window.save_action.trigger()
    assert answers.shown[-1][1] == "The file changed on disk"
    assert path.read_text(encoding="utf-8") == changed and editor.doc.dirty  # both kept
    answers.reply = QMessageBox.StandardButton.Yes
    window.save_action.trigger()
    assert not editor.doc.dirty and "Edited in the window." in path.read_text(encoding="utf-8")
    assert "changed on disk" not in editor.title.text()


def test_splitter_sizes_are_remembered(qtbot, answers):
    from PySide6.QtWidgets import QSplitter

    from ilabdesk.gui.mainwindow import MainWindow

    def window():
        win = MainWindow(first_run_welcome=False)
        qtbot.addWidget(win)
        win.resize(1280, 800)
        win.show()
        qtbot.waitExposed(win)
        return win

    first = window()
    splitter = first.editor.findChild(QSplitter, "editorSplitter")
    splitter.setSizes([300, 260])
    dragged = splitter.sizes()
    first.jobs.shutdown()
    first.close()
    second = window()
    assert second.editor.findChild(QSplitter, "editorSplitter").sizes() == dragged
    second.jobs.shutdown()
    second.close()


def test_a_folder_that_is_no_taxonomy_is_offered_as_a_new_one(window, sample, qtbot, answers, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    title, root = window.windowTitle(), window.taxonomy_root
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("keep me")
    answers.reply = QMessageBox.StandardButton.No
    window.open_taxonomy(notes)
    assert answers.shown[-1][1] == "Not a taxonomy"
    assert (window.windowTitle(), window.taxonomy_root) == (title, root)  # the open taxonomy stays, as it was
    assert not (notes / "knowledge").exists()
    answers.reply = QMessageBox.StandardButton.Yes
    window.open_taxonomy(notes)
    assert window.taxonomy_root == notes and (notes / "knowledge").is_dir() and (notes / ".git").is_dir()
    assert (notes / "todo.txt").read_text() == "keep me"
    qtbot.waitUntil(lambda: "0 leaves" in window.tree_panel.summary.text(), timeout=10_000)
