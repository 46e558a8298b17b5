"""GUI test fixtures: a real MainWindow on the offscreen platform, dialogs answered by the test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox


# gui_helpers.py beside this file is imported by plain name (pytest runs in importlib mode).
sys.path.insert(0, str(Path(__file__).parent))


class Answers:
    """Records every message box and answers it without blocking."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.reply = QMessageBox.StandardButton.Yes

    def _record(self, kind: str):
        def show(parent, title, text, *args, **kwargs):
            self.shown.append((kind, title, text))
            return self.reply

        return show


@pytest.fixture(autouse=True)
def no_background_work_left(qapp):
    """Each test ends with no background call running, so no check outlives its window."""
    yield
    from ilabdesk.gui.background import wait_for_background

    assert wait_for_background(20_000)


@pytest.fixture
def answers(monkeypatch) -> Answers:
    recorder = Answers()
    for kind in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(recorder._record(kind)))
    return recorder


@pytest.fixture
def window(qtbot, answers):
    from ilabdesk.gui.mainwindow import MainWindow

    win = MainWindow(first_run_welcome=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.ready)  # job history and model lists are read after the first paint
    yield win
    win.jobs.shutdown()
    answers.reply = QMessageBox.StandardButton.Discard  # drop unsaved edits
    win.close()
    assert not win.isVisible()


@pytest.fixture
def sample(window, qtbot) -> Path:
    """The sample taxonomy installed and opened, its leaves scanned and checked."""
    window.open_sample()  # installs off the UI thread, then opens the checkout
    qtbot.waitUntil(lambda: window.taxonomy_root is not None, timeout=30_000)
    root = window.taxonomy_root
    qtbot.waitUntil(lambda: len(window.tree_panel.leaf_paths()) == 2, timeout=10_000)
    qtbot.waitUntil(
        lambda: all(window.tree_panel.state_of(p) != "unknown" for p in window.tree_panel.leaf_paths()), timeout=60_000
    )
    return root


