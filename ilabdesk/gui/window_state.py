"""What the main window remembers between launches: geometry, dock layout and small choices.

The file sits beside the config (so ILABDESK_HOME isolates it in tests and a
portable install keeps it with the rest), in INI format a user can read.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from ilabdesk.settings import paths


def window_settings() -> QSettings:
    """Window geometry and UI state, kept beside the config."""
    return QSettings(str(paths().config / "window.ini"), QSettings.Format.IniFormat)


def restore_layout(window: QMainWindow, settings: QSettings) -> None:
    """Put the window and its docks back where the user left them (nothing on a first launch)."""
    geometry = settings.value("geometry")
    state = settings.value("state")
    if geometry is not None:
        window.restoreGeometry(geometry)
    if state is not None:
        window.restoreState(state)


def save_layout(window: QMainWindow, settings: QSettings) -> None:
    """Remember the window's geometry and docks, written now (the app may be killed next)."""
    settings.setValue("geometry", window.saveGeometry())
    settings.setValue("state", window.saveState())
    settings.sync()
