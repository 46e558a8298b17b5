"""Documents for a knowledge leaf picked in a dialog: several files at once, or a whole folder.

Dropping files is not the only way in: the leaf's context menu, the editor's
Document section and File ▸ Add documents all ask here, and what is picked
goes to the same ingest job as a drop (`MainWindow.ingest_documents`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from ilabdesk.documents.convert import SUPPORTED_SUFFIXES


def documents_in(folder: Path) -> list[Path]:
    """The files under `folder` that can be documents, in name order; hidden files and folders are skipped."""
    return sorted(
        path for path in Path(folder).rglob("*")
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def pick_documents(parent: QWidget, folder: bool = False) -> list[Path]:
    """Ask for document files (several at once), or with `folder` for a folder of them; [] if cancelled."""
    if folder:
        chosen = QFileDialog.getExistingDirectory(parent, "Add a folder of documents to the leaf", str(Path.home()))
        return documents_in(Path(chosen)) if chosen else []
    patterns = " ".join(f"*{suffix}" for suffix in SUPPORTED_SUFFIXES)
    files, _ = QFileDialog.getOpenFileNames(parent, "Add documents to the leaf", str(Path.home()),
                                            f"Documents ({patterns});;All files (*)")
    return [Path(f) for f in files]
