"""The main window's taxonomy commands: open a checkout or the sample, open leaves, contribute.

The tree and the editor each know their own widget; what crosses between them
(an unsaved leaf that is about to be moved, a save that changes the tree's
"changed since base" marks, a contribution of the open leaf) is decided here.
"""

from __future__ import annotations

import sys

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ilabdesk.errors import UserError
from ilabdesk.settings import paths

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QTabWidget

    from ilabdesk.gui.leaf_editor import LeafEditor
    from ilabdesk.gui.taxonomy_tree import TaxonomyPanel

SAMPLE_FOLDER = "sample"


class TaxonomyActions:
    """Mixed into MainWindow (a QMainWindow with `_config()`); the attributes are the window's parts."""

    editor: LeafEditor
    tree_panel: TaxonomyPanel
    center: QTabWidget
    settings: QSettings
    taxonomy_root: Path | None
    _installing_sample: bool = False

    @Slot()
    def choose_taxonomy(self) -> None:
        start = str(self.taxonomy_root or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open an InstructLab taxonomy checkout", start)
        if folder:
            self.open_taxonomy(Path(folder))

    def open_taxonomy(self, root: Path) -> None:
        from ilabdesk.taxonomy.tree import is_taxonomy, new_taxonomy

        if not Path(root).is_dir():
            QMessageBox.warning(self, "Cannot open the taxonomy", f"{root}: no such folder")
            return
        if not is_taxonomy(root):
            answer = QMessageBox.question(
                self, "Not a taxonomy",
                f"{root} is not an InstructLab taxonomy: it has no knowledge/ or compositional_skills/ folder.\n\n"
                "Make it a new, empty taxonomy (those folders and a git repository; its files stay)?")
            if answer != QMessageBox.StandardButton.Yes:
                return  # the taxonomy open now stays open, as it was
            try:
                new_taxonomy(root)
            except UserError as exc:
                QMessageBox.warning(self, "Cannot make a taxonomy", str(exc))
                return
        if not self.editor.maybe_close():
            return
        self.editor.close_leaf()
        self.taxonomy_root = Path(root)
        self.settings.setValue("taxonomy", str(root))
        base = self._config().get("taxonomy", {}).get("base") or "origin/main"
        self.tree_panel.open_root(self.taxonomy_root, base)
        # Qt adds " — ilabdesk" (the application's display name) itself, except on macOS
        name = self.taxonomy_root.name
        self.setWindowTitle(f"ilabdesk — {name}" if sys.platform == "darwin" else name)
        self.statusBar().showMessage(f"Opened {root}", 5000)

    @Slot()
    def open_sample(self) -> None:
        """Install the bundled sample taxonomy (once) under the workspaces folder, then open it.

        Installing makes two git repositories: seconds on a busy laptop, so it
        runs off the UI thread and the checkout opens when it is ready.
        """
        from ilabdesk.gui.background import run_in_background
        from ilabdesk.pipeline.sample import install_sample

        if self._installing_sample:
            return
        self._installing_sample = True
        self.statusBar().showMessage("Creating the sample taxonomy…")
        run_in_background(install_sample, paths().workspaces / SAMPLE_FOLDER,
                          on_done=self._on_sample_installed, on_error=self._on_sample_failed)

    def _on_sample_installed(self, root: Path) -> None:
        self._installing_sample = False
        self.open_taxonomy(root)

    def _on_sample_failed(self, message: str) -> None:
        self._installing_sample = False
        self.statusBar().clearMessage()
        QMessageBox.warning(self, "Could not create the sample", message)

    @Slot(Path)
    def open_leaf(self, path: Path) -> None:
        if self.editor.open_leaf(path):
            self.center.setCurrentWidget(self.editor)
        elif self.editor.path is not None:
            self.tree_panel.select_leaf(self.editor.path)

    def _confirm_leave(self, path: Path) -> bool:
        """Before a leaf is moved or deleted: save or drop its unsaved edits, then close it."""
        if self.editor.path is not None and self.editor.path.resolve() == Path(path).resolve():
            if not self.editor.maybe_close():
                return False
            self.editor.close_leaf()
        return True

    @Slot(Path, Path)
    def _on_leaf_moved(self, old: Path, new: Path) -> None:
        self.open_leaf(new)

    @Slot(Path)
    def _on_leaf_deleted(self, path: Path) -> None:
        self.statusBar().showMessage(f"Deleted {path.parent.name}", 5000)

    @Slot(Path)
    def _on_leaf_saved(self, path: Path) -> None:
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self.tree_panel._load_changed()

    @Slot()
    def contribute(self, path: Path | None = None) -> None:
        from ilabdesk.gui.contribute_dialog import ContributeDialog

        if self.taxonomy_root is None:
            self.statusBar().showMessage("Open a taxonomy first", 5000)
            return
        if not self.editor.maybe_close():
            return
        if self.editor.doc is not None and self.editor.doc.dirty:  # the user chose to discard the edits
            self.editor.reload()
        leaf = Path(path) if isinstance(path, (str, Path)) else self.editor.path
        ContributeDialog(self.taxonomy_root, leaf, self).exec()
        self.tree_panel.refresh()
