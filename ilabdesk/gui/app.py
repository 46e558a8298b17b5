"""Start the desktop app: `ilabdesk` with no arguments, `ilabdesk gui [TAXONOMY]`, or `ilabdesk-gui`.

Only Qt and the light domain modules are imported before the window shows;
models, torch and llama.cpp load later, inside jobs and chat workers.
"""

from __future__ import annotations

import sys
from pathlib import Path


def create_app(argv: list[str] | None = None):
    """The QApplication (created once), with names, icon theme and the system's colour scheme."""
    from PySide6.QtWidgets import QApplication

    from ilabdesk.gui.theme import follow_system

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "ilabdesk", *(argv or [])])
        app.setOrganizationName("ilabdesk")
        app.setApplicationName("ilabdesk")
        app.setApplicationDisplayName("ilabdesk")
        follow_system(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Open the window (on `argv[0]`, a taxonomy checkout, when given) and run until it closes."""
    argv = sys.argv[1:] if argv is None else list(argv)
    taxonomy = Path(argv[0]) if argv and not argv[0].startswith("-") else None
    app = create_app([a for a in argv if a.startswith("-")])

    from ilabdesk.gui.mainwindow import MainWindow

    window = MainWindow(taxonomy=taxonomy)
    window.show()
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
