"""The left dock: the open taxonomy checkout as a tree of domains and leaves.

Scanning, validating every leaf and the git diff against the base all run in
the helper process (`gui.background`); their results arrive as icons (valid,
warnings, errors) and as bold "changed since base" leaves. Files dropped from the OS on a knowledge
leaf become an ingest job (the main window decides; this widget only reports).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDropEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ilabdesk.errors import UserError, user_message
from ilabdesk.gui.background import run_in_background
from ilabdesk.gui.document_picker import pick_documents
from ilabdesk.gui.icons import folder_icon, status_icon
from ilabdesk.gui.leaf_editor import dropped_files
from ilabdesk.gui.validation import check_file

PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # qna.yaml path of a leaf item (str)
REL_ROLE = Qt.ItemDataRole.UserRole + 2  # relative folder of any item
STATE_ROLE = Qt.ItemDataRole.UserRole + 3  # "unknown" | "ok" | "warning" | "error"
CHANGED_ROLE = Qt.ItemDataRole.UserRole + 4  # True when the leaf differs from the base
COUNTS_ROLE = Qt.ItemDataRole.UserRole + 5  # (errors, warnings) of the saved file
CHANGED_COLOR = QColor("#c77c02")


def _leaf_kind(rel: str) -> str:
    return rel.split("/", 1)[0]


class _TreeView(QTreeView):
    """A tree that accepts files from the OS on knowledge leaves."""

    filesDropped = Signal(Path, list)

    def _leaf_at(self, event: QDragEnterEvent | QDropEvent) -> str | None:
        index = self.indexAt(event.position().toPoint())
        path = index.data(PATH_ROLE) if index.isValid() else None
        rel = index.data(REL_ROLE) if index.isValid() else None
        if path and rel and _leaf_kind(rel) == "knowledge":
            return path
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event) and self._leaf_at(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        files = dropped_files(event)
        leaf = self._leaf_at(event)
        if not files or not leaf:
            event.ignore()
            return
        event.acceptProposedAction()
        self.filesDropped.emit(Path(leaf), files)


class TaxonomyPanel(QWidget):
    """Tree + filter + leaf operations for one taxonomy root."""

    leafActivated = Signal(Path)  # a qna.yaml the user picked
    documentsDropped = Signal(Path, list)
    leafMoved = Signal(Path, Path)  # old qna.yaml, new qna.yaml
    leafDeleted = Signal(Path)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root: Path | None = None
        self.base = "origin/main"
        self.compared_with = self.base  # the ref changes are shown against (HEAD when base is missing)
        # Asked before a leaf is renamed, moved or deleted: may the open editor let it go?
        self.confirm_leave: Callable[[Path], bool] = lambda path: True
        self._items: dict[Path, QStandardItem] = {}
        self._scan_generation = 0
        # The taxonomy on disk is watched: a leaf added, moved or removed outside (a terminal, git)
        # rescans the tree; a leaf rewritten in place is only checked again.
        self._watcher = QFileSystemWatcher(self)
        self._listings: dict[str, set[str]] = {}
        self._rescan = QTimer(self)
        self._rescan.setSingleShot(True)
        self._rescan.setInterval(400)  # one rescan for a burst of changes (git checkout, an ingest)
        self._rescan.timeout.connect(self.refresh)
        self._watcher.directoryChanged.connect(self._on_directory_changed)
        self._watcher.fileChanged.connect(self._on_file_changed)

        self.model = QStandardItemModel(self)
        self.model.setHorizontalHeaderLabels(["Taxonomy"])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterRole(REL_ROLE)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter leaves…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setObjectName("treeFilter")
        self.new_button = QToolButton()
        self.new_button.setText("New leaf")
        self.tree = _TreeView()
        self.tree.setObjectName("taxonomyTree")
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setAcceptDrops(True)
        self.tree.setDropIndicatorShown(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary = QLabel("No taxonomy open")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("treeSummary")

        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.summary)

        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.filter.textChanged.connect(self._expand_when_filtering)
        self.tree.activated.connect(self._on_activated)
        self.tree.clicked.connect(self._on_activated)
        self.tree.filesDropped.connect(self.documentsDropped)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.new_button.clicked.connect(self.new_leaf)

    # --- loading --------------------------------------------------------------

    def open_root(self, root: Path, base: str | None = None) -> None:
        """Show the checkout at `root` (scanned off the UI thread)."""
        self.root = Path(root)
        if base:
            self.base = base
        self.refresh()

    def refresh(self) -> None:
        if self.root is None:
            return
        from ilabdesk.taxonomy.tree import scan

        self._scan_generation += 1
        generation = self._scan_generation
        self.summary.setText(f"Scanning {self.root}…")
        run_in_background(
            scan,
            self.root,
            on_done=lambda tree: self._populate(generation, tree),
            on_error=self._on_scan_error,
        )

    def _on_scan_error(self, error: str) -> None:
        self.summary.setText(error)
        self.message.emit(error)

    def _populate(self, generation: int, tree: object) -> None:
        if generation != self._scan_generation:
            return
        expanded = {self.proxy.mapToSource(i).data(REL_ROLE) for i in self._expanded_indexes()}
        self.model.removeRows(0, self.model.rowCount())
        self._items.clear()
        folder = folder_icon()
        unknown = status_icon("unknown")

        def add(parent: QStandardItem, node: object) -> None:
            for name in sorted(node.children):
                child = node.children[name]
                item = QStandardItem(child.name)
                item.setData(child.rel, REL_ROLE)
                if child.is_leaf:
                    item.setData(str(child.qna), PATH_ROLE)
                    item.setData("unknown", STATE_ROLE)
                    item.setIcon(unknown)
                    item.setToolTip(f"{child.rel}\nchecking…")
                    self._items[Path(child.qna)] = item
                else:
                    item.setIcon(folder)
                parent.appendRow(item)
                add(item, child)

        for kind, node in tree.kinds.items():
            top = QStandardItem(kind.replace("_", " "))
            top.setData(node.rel, REL_ROLE)
            top.setIcon(folder)
            if node.is_leaf:
                top.setData(str(node.qna), PATH_ROLE)
            self.model.appendRow(top)
            add(top, node)
        self.tree.expandAll() if not expanded else self._restore_expanded(expanded)
        leaves = len(self._items)
        misnamed = f"; {len(tree.misnamed)} misnamed file(s) ignored" if tree.misnamed else ""
        self.summary.setText(f"{leaves} {'leaf' if leaves == 1 else 'leaves'} in {self.root}{misnamed}")
        for path in list(self._items):
            run_in_background(check_file, path, on_done=self._on_leaf_checked)
        self._load_changed()
        self._watch(tree)

    # --- following the disk -----------------------------------------------------

    @staticmethod
    def _listing(folder: str) -> set[str]:
        """What a folder holds, but hidden names (an atomic write's temporary file)."""
        try:
            return {entry.name for entry in os.scandir(folder) if not entry.name.startswith(".")}
        except OSError:
            return set()

    def _watch(self, tree: object) -> None:
        folders = [str(self.root)]

        def visit(node: object) -> None:
            for child in node.children.values():
                folders.append(str(self.root / child.rel))
                visit(child)

        for node in tree.kinds.values():
            folders.append(str(self.root / node.rel))
            visit(node)
        for paths in (self._watcher.directories(), self._watcher.files()):
            if paths:
                self._watcher.removePaths(paths)
        self._listings = {folder: self._listing(folder) for folder in folders}
        self._watcher.addPaths([f for f in folders if os.path.isdir(f)])
        self._watcher.addPaths([str(p) for p in self._items])

    @Slot(str)
    def _on_directory_changed(self, folder: str) -> None:
        if self._listing(folder) != self._listings.get(folder):
            self._rescan.start()  # a leaf or folder came or went
            return
        for path in self._items:  # the same names: a leaf replaced by an atomic write
            if str(path.parent) == folder:
                self._on_file_changed(str(path))

    @Slot(str)
    def _on_file_changed(self, path: str) -> None:
        if os.path.exists(path):
            if path not in self._watcher.files():
                self._watcher.addPath(path)  # a rename over the file ends the watch on the old one
            run_in_background(check_file, Path(path), on_done=self._on_leaf_checked)

    def _expanded_indexes(self) -> list[QModelIndex]:
        out = []

        def visit(parent: QModelIndex) -> None:
            for row in range(self.proxy.rowCount(parent)):
                index = self.proxy.index(row, 0, parent)
                if self.tree.isExpanded(index):
                    out.append(index)
                    visit(index)

        visit(QModelIndex())
        return out

    def _restore_expanded(self, rels: set[str]) -> None:
        def visit(parent: QModelIndex) -> None:
            for row in range(self.proxy.rowCount(parent)):
                index = self.proxy.index(row, 0, parent)
                if index.data(REL_ROLE) in rels:
                    self.tree.expand(index)
                visit(index)

        visit(QModelIndex())

    def _load_changed(self) -> None:
        """Mark leaves changed since the base; a checkout without that ref (a new repo, the
        sample) is compared with its own HEAD instead, so the user's edits still stand out."""
        from ilabdesk.taxonomy.diff import changed_since

        run_in_background(changed_since, self.root, self.base, on_done=self._on_changed, on_error=self._on_changed_error)

    @Slot(object)
    def _on_changed(self, result: tuple[str, list[Path]]) -> None:
        self.compared_with, changed = result
        wanted = set(changed)
        for path, item in self._items.items():
            is_changed = path.resolve() in wanted
            font = item.font()
            font.setBold(is_changed)
            item.setFont(font)
            item.setForeground(QBrush(CHANGED_COLOR) if is_changed else QBrush())
            item.setData(is_changed, CHANGED_ROLE)
            self._update_tooltip(path, item)

    def _on_changed_error(self, error: str) -> None:
        self.summary.setText(f"{self.summary.text()}\n(changes since {self.base} unknown: {error.splitlines()[0]})")

    def is_changed(self, path: Path) -> bool:
        item = self._items.get(Path(path))
        return bool(item and item.data(CHANGED_ROLE))

    def state_of(self, path: Path) -> str:
        item = self._items.get(Path(path))
        return item.data(STATE_ROLE) if item else "missing"

    @Slot(object)
    def _on_leaf_checked(self, result: tuple[Path, int, int]) -> None:
        self.set_leaf_state(*result)

    def set_leaf_state(self, path: Path, errors: int, warnings: int) -> None:
        """Update a leaf's validity icon (also called by the editor after a save)."""
        item = self._items.get(Path(path))
        if item is None:
            return
        state = "error" if errors else "warning" if warnings else "ok"
        item.setData(state, STATE_ROLE)
        item.setData((errors, warnings), COUNTS_ROLE)
        item.setIcon(status_icon(state))
        self._update_tooltip(Path(path), item)

    def _update_tooltip(self, path: Path, item: QStandardItem) -> None:
        counts = item.data(COUNTS_ROLE)
        lines = [item.data(REL_ROLE)]
        if counts:
            lines.append("valid" if counts == (0, 0) else f"{counts[0]} error(s), {counts[1]} warning(s)")
        if item.data(CHANGED_ROLE):
            lines.append(f"changed since {self.compared_with}")
        item.setToolTip("\n".join(lines))

    def select_leaf(self, path: Path) -> None:
        item = self._items.get(Path(path))
        if item is not None:
            index = self.proxy.mapFromSource(item.index())
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)

    def leaf_paths(self) -> list[Path]:
        return list(self._items)

    @Slot(str)
    def _expand_when_filtering(self, text: str) -> None:
        if text:
            self.tree.expandAll()

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        path = index.data(PATH_ROLE)
        if path:
            self.leafActivated.emit(Path(path))

    # --- leaf operations ------------------------------------------------------

    def current_leaf(self) -> Path | None:
        path = self.tree.currentIndex().data(PATH_ROLE)
        return Path(path) if path else None

    def _context_menu(self, position: object) -> None:
        from ilabdesk.taxonomy.leaf import Leaf

        index = self.tree.indexAt(position)
        path = index.data(PATH_ROLE) if index.isValid() else None
        menu = QMenu(self)
        menu.addAction("New leaf…", self.new_leaf)
        if path and Leaf(path=Path(path), data={}).kind == "knowledge":
            menu.addAction("Add documents…", lambda: self.add_documents(Path(path)))
            menu.addAction("Add a folder of documents…", lambda: self.add_documents(Path(path), folder=True))
            menu.addSeparator()
        if path:
            menu.addAction("Rename or move…", lambda: self.move_leaf(Path(path)))
            menu.addAction("Delete…", lambda: self.delete_leaf(Path(path)))
        menu.addSeparator()
        menu.addAction("Refresh", self.refresh)
        menu.exec(self.tree.viewport().mapToGlobal(position))

    def add_documents(self, qna: Path, folder: bool = False) -> None:
        """Pick documents in a dialog for the leaf `qna`; reported like a drop."""
        files = pick_documents(self, folder)
        if files:
            self.documentsDropped.emit(qna, files)

    def new_leaf(self) -> Path | None:
        """Ask for kind and path, create the leaf with the taxonomy package, select it."""
        if self.root is None:
            self.message.emit("Open a taxonomy first (File ▸ Open taxonomy…).")
            return None
        dialog = NewLeafDialog(self)
        selected = self.tree.currentIndex()
        if selected.isValid() and selected.data(REL_ROLE):  # the folder of the selection, or the selected folder
            rel = str(selected.data(REL_ROLE))
            dialog.prefill(rel.rsplit("/", 1)[0] if selected.data(PATH_ROLE) else rel)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return self.create_leaf(*dialog.values())

    def create_leaf(self, kind: str, rel: str, grounded: bool, created_by: str) -> Path | None:
        from ilabdesk.taxonomy.leaf import new_leaf

        try:
            leaf = new_leaf(self.root, rel, kind, grounded, created_by=created_by or "your-github-username")
        except (UserError, OSError) as exc:
            QMessageBox.warning(self, "Cannot create the leaf", user_message(exc))
            return None
        self.refresh()
        self.leafActivated.emit(leaf.path)
        return leaf.path

    def move_leaf(self, path: Path, new_rel: str | None = None) -> Path | None:
        """Rename or move a leaf (its qna.yaml and attribution.txt, with git mv when tracked)."""
        from ilabdesk.taxonomy.leaf import load_leaf, move_leaf

        try:
            leaf = load_leaf(path)
        except (UserError, OSError) as exc:
            QMessageBox.warning(self, "Cannot move the leaf", user_message(exc))
            return None
        if new_rel is None:
            new_rel, ok = QInputDialog.getText(
                self, "Rename or move leaf", "New path inside the taxonomy:", QLineEdit.EchoMode.Normal, leaf.rel
            )
            if not ok or not new_rel.strip() or new_rel.strip() == leaf.rel:
                return None
        if not self.confirm_leave(path):
            return None
        try:
            moved = move_leaf(leaf, new_rel.strip())
        except (UserError, OSError) as exc:
            QMessageBox.warning(self, "Cannot move the leaf", user_message(exc))
            return None
        self.leafMoved.emit(path, moved.path)
        self.refresh()
        return moved.path

    def delete_leaf(self, path: Path, confirm: bool = True) -> bool:
        """Delete a leaf's qna.yaml and attribution.txt after asking; empty folders go too."""
        if self.root is None:
            return False
        rel = path.parent.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)
        if confirm:
            committed = _committed(path)
            answer = QMessageBox.question(
                self,
                "Delete leaf",
                f"Delete {rel}?\n\nIts qna.yaml and attribution.txt are removed. "
                + ("git can give back the last committed version." if committed else
                   "They are not committed to git, so they cannot be restored."),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        if not self.confirm_leave(path):
            return False
        folder = path.parent
        try:
            for name in ("qna.yaml", "attribution.txt"):
                (folder / name).unlink(missing_ok=True)
            root = self.root.resolve()
            current = folder.resolve()
            while current.parent != root and root in current.parents and current.exists() and not any(current.iterdir()):
                current.rmdir()
                current = current.parent
        except OSError as exc:
            QMessageBox.warning(self, "Cannot delete the leaf", user_message(exc))
            self.refresh()
            return False
        self.leafDeleted.emit(path)
        self.refresh()
        return True


class NewLeafDialog(QDialog):
    """Kind, path and author of a new leaf."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New leaf")
        self.kind = QComboBox()
        self.kind.addItem("Knowledge (facts from your documents)", "knowledge")
        self.kind.addItem("Skill (a way of answering)", "skill")
        self.grounded = QCheckBox("Examples come with an input text (grounded skill)")
        self.path = QLineEdit()
        self.path.setPlaceholderText("e.g. geography/islands/my_island")
        self.author = QLineEdit()
        self.author.setPlaceholderText("your GitHub user name")
        form = QFormLayout(self)
        form.addRow("Kind", self.kind)
        form.addRow("", self.grounded)
        form.addRow("Path", self.path)
        form.addRow("Created by", self.author)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.kind.currentIndexChanged.connect(lambda: self.grounded.setEnabled(self.kind.currentData() == "skill"))
        self.grounded.setEnabled(False)

    def prefill(self, folder: str) -> None:
        """Kind and path from a taxonomy folder ("knowledge/geography/islands"), ready for the leaf's name."""
        top, _, rest = folder.partition("/")
        self.kind.setCurrentIndex(self.kind.findData("skill" if top == "compositional_skills" else "knowledge"))
        self.path.setText(f"{rest}/" if rest else "")

    def values(self) -> tuple[str, str, bool, str]:
        return self.kind.currentData(), self.path.text().strip(), self.grounded.isChecked(), self.author.text().strip()


def _committed(path: Path) -> bool:
    """Whether `path` is in the last commit of its git checkout (so git can give it back)."""
    import subprocess

    try:
        done = subprocess.run(["git", "cat-file", "-e", f"HEAD:./{path.name}"], cwd=path.parent,
                              capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
