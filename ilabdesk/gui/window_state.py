"""What the main window remembers between launches: geometry, dock layout and small choices.

The file sits beside the config (so ILABDESK_HOME isolates it in tests and a
portable install keeps it with the rest), in INI format a user can read.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from ilabdesk.settings import paths


def window_settings() -> QSettings:
    """Window geometry and UI state, kept beside the config."""
    return QSettings(str(paths().config / "window.ini"), QSettings.Format.IniFormat)


def _splitters(window: QMainWindow) -> list[QSplitter]:
    """The window's named splitters (editor, jobs, results), whose sizes the user may have dragged."""
    return [s for s in window.findChildren(QSplitter) if s.objectName()]


def restore_layout(window: QMainWindow, settings: QSettings) -> None:
    """Put the window, its docks and splitters back where the user left them (nothing on a first launch)."""
    geometry = settings.value("geometry")
    state = settings.value("state")
    if geometry is not None:
        window.restoreGeometry(geometry)
    if state is not None:
        window.restoreState(state)
    for splitter in _splitters(window):
        sizes = settings.value(f"splitters/{splitter.objectName()}")
        if sizes is not None:
            splitter.restoreState(sizes)


def save_layout(window: QMainWindow, settings: QSettings) -> None:
    """Remember the window's geometry, docks and splitters, written now (the app may be killed next)."""
    settings.setValue("geometry", window.saveGeometry())
    settings.setValue("state", window.saveState())
    for splitter in _splitters(window):
        settings.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
    settings.sync()
