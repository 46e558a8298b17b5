"""Contribute a leaf from the app, and the settings dialog."""

from __future__ import annotations

import subprocess

from PySide6.QtCore import Qt

from ilabdesk import settings


def test_contribute_edited_leaf_as_branch_and_patch(window, sample, qtbot):
    from ilabdesk.gui.contribute_dialog import ContributeDialog

    leaf = sample / "knowledge/geography/islands/quellmoor_island/qna.yaml"
    window.open_leaf(leaf)
    editor = window.editor
    editor.doc.set_value(("domain",), "island geography")
    assert editor.save()
    dialog = ContributeDialog(sample, leaf, window)
    qtbot.addWidget(dialog)
    assert [dialog.leaf_list.item(i).text() for i in range(dialog.leaf_list.count())] == [
        "knowledge/geography/islands/quellmoor_island"
    ]
    dialog.branch.setText("add-quellmoor")
    qtbot.mouseClick(dialog.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.go.isEnabled() and bool(dialog.result_lines), timeout=20_000)
    patch = settings.paths().data / "contributions" / "add-quellmoor.patch"
    assert patch.exists() and "island geography" in patch.read_text()
    log = subprocess.run(["git", "log", "--format=%s", "add-quellmoor"], cwd=sample, capture_output=True, text=True)
    assert log.stdout.splitlines()[0] == "Add quellmoor_island"
    status = subprocess.run(["git", "status", "--porcelain"], cwd=sample, capture_output=True, text=True)
    assert "quellmoor_island/qna.yaml" in status.stdout  # the user's checkout is left as it was
    dialog.close()


def test_settings_dialog_saves_teacher_endpoint_and_key(window, qtbot):
    from ilabdesk.chat.openai import api_key_name
    from ilabdesk.gui.settings_dialog import SettingsDialog, teacher_model

    dialog = SettingsDialog(settings.load_config(), window)
    qtbot.addWidget(dialog)
    assert dialog.model_list.item(0).text().startswith("smollm2-135m-instruct")
    assert dialog.model_list.item(0).text().endswith("can chat, teach, train")  # what each model can do here
    dialog.teacher_kind.setCurrentIndex(dialog.teacher_kind.findData("endpoint"))
    assert not dialog.endpoint_box.isHidden() and dialog.gguf_box.isHidden()
    qtbot.keyClicks(dialog.teacher_url, "http://127.0.0.1:8000/v1")
    qtbot.keyClicks(dialog.teacher_endpoint_model, "granite")
    qtbot.keyClicks(dialog.api_key, "sk-secret")
    dialog.threads.setValue(2)
    dialog.spins["epochs"].setValue(5)
    assert dialog.precision.currentData() == "auto"
    dialog.precision.setCurrentIndex(dialog.precision.findData("fp32"))
    dialog.save()
    config = settings.load_config()
    assert config["teacher"]["kind"] == "endpoint" and config["threads"] == 2
    assert config["training"]["epochs"] == 5 and config["training"]["precision"] == "fp32"
    assert settings.get_secret(api_key_name("http://127.0.0.1:8000/v1")) == "sk-secret"
    assert "sk-secret" not in settings.paths().config_file.read_text()
    assert teacher_model(config) == "http://127.0.0.1:8000/v1#granite"


def test_settings_refuses_a_missing_teacher_file(window, qtbot, tmp_path):
    import pytest

    from ilabdesk.errors import UserError
    from ilabdesk.gui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(settings.load_config(), window)
    qtbot.addWidget(dialog)
    dialog.teacher_kind.setCurrentIndex(dialog.teacher_kind.findData("gguf"))
    dialog.teacher_gguf.setText(str(tmp_path / "nope.gguf"))
    with pytest.raises(UserError, match="does not exist"):
        dialog.save()
    assert not settings.paths().config_file.exists()


def test_first_run_welcome_opens_the_sample(qtbot, answers, monkeypatch):
    from ilabdesk.gui import welcome
    from ilabdesk.gui.mainwindow import MainWindow

    def choose_sample(dialog):
        dialog.choice = welcome.SAMPLE
        return 1

    monkeypatch.setattr(welcome.WelcomeDialog, "exec", choose_sample)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.taxonomy_root is not None, timeout=10_000)
    assert win.taxonomy_root.name == "taxonomy" and (win.taxonomy_root / ".git").exists()
    assert win.settings.value("welcomed", type=bool)
    win.close()


def test_settings_imports_a_gguf_into_the_library(window, qtbot):
    import shutil

    from ilabdesk.gui.settings_dialog import SettingsDialog
    from ilabdesk.models.default import default_model_path

    dialog = SettingsDialog(settings.load_config(), window)
    qtbot.addWidget(dialog)
    source = settings.paths().cache / "my-model.gguf"
    shutil.copy(default_model_path(), source)
    dialog.import_model(source)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=30_000)
    assert dialog.import_status.text() == "imported my-model"
    assert any(dialog.model_list.item(i).text().startswith("my-model") for i in range(dialog.model_list.count()))
