"""GUI test fixtures: a real MainWindow on the offscreen platform, dialogs answered by the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox


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
    yield win
    answers.reply = QMessageBox.StandardButton.Discard
    win.close()


@pytest.fixture
def sample(window, qtbot) -> Path:
    """The sample taxonomy installed and opened, its leaves scanned and checked."""
    root = window.open_sample()
    assert root is not None
    qtbot.waitUntil(lambda: len(window.tree_panel.leaf_paths()) == 2, timeout=10_000)
    qtbot.waitUntil(
        lambda: all(window.tree_panel.state_of(p) != "unknown" for p in window.tree_panel.leaf_paths()), timeout=20_000
    )
    return root


def leaf_index(window, name: str):
    """The tree's (proxy) index of the leaf called `name`."""
    from ilabdesk.gui.taxonomy_tree import PATH_ROLE

    panel = window.tree_panel
    for path in panel.leaf_paths():
        if path.parent.name == name:
            item = panel._items[path]
            index = panel.proxy.mapFromSource(item.index())
            assert index.isValid(), f"{name} is filtered out"
            assert index.data(PATH_ROLE) == str(path)
            return index
    raise AssertionError(f"no leaf {name}")


class GapMeter:
    """Measures the longest gap between ticks of a 10 ms timer: how long the UI thread was busy."""

    def __init__(self) -> None:
        import time

        from PySide6.QtCore import QTimer

        self._time = time.perf_counter
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.max_gap = 0.0

    def _tick(self) -> None:
        now = self._time()
        if self.last is not None:
            self.max_gap = max(self.max_gap, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last = self._time()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap
