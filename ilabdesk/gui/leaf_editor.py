"""The centre of the window: one leaf as a form and as raw YAML, with live validation.

Validation runs in the helper process a moment after typing stops and reports
`line:col` messages from the official-verdict validator; clicking one jumps to
the field in the form, or to the line in the YAML tab. Undo and redo cover
both views (one `QUndoStack` per leaf); the text widgets' own undo is routed
there too, so Ctrl+Z always means the same thing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QFileSystemWatcher, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QUndoGroup
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ilabdesk.errors import ChangedOnDisk, UserError, user_message
from ilabdesk.gui.background import run_in_background
from ilabdesk.gui.code_view import CodeView
from ilabdesk.gui.document_picker import pick_documents
from ilabdesk.gui.icons import status_icon
from ilabdesk.gui.leaf_document import LeafDocument, line_of_path, path_at_line
from ilabdesk.gui.leaf_form import LeafForm, is_undo_key
from ilabdesk.gui.validation import Message, check_text

VALIDATE_DELAY_MS = 350


def dropped_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    """Local files in a drag from the OS (empty for text or remote URLs)."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class LeafEditor(QWidget):
    """Edits one leaf at a time; `open_leaf` asks before dropping unsaved changes."""

    documentsDropped = Signal(Path, list)  # qna.yaml path, [Path]
    validated = Signal(Path, int, int)  # qna.yaml path, errors, warnings (of the saved file)
    saved = Signal(Path)
    contributeRequested = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: LeafDocument | None = None
        self.form: LeafForm | None = None
        self.undo_group = QUndoGroup(self)  # the open leaf's stack; drives the Edit menu's state
        self.messages: list[Message] = []
        self._generation = 0
        # The open leaf is watched: an unmodified editor follows a change made outside (a terminal
        # ingest, git); a modified one says so, and saving asks before overwriting (LeafDocument.save).
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_changed)
        self._changed_outside = False
        self._raw_updating = False
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(VALIDATE_DELAY_MS)
        self._raw_timer = QTimer(self)
        self._raw_timer.setSingleShot(True)
        self._raw_timer.setInterval(250)

        self.title = QLabel()
        self.title.setObjectName("leafTitle")
        self.save_button = QPushButton("Save")
        self.contribute_button = QPushButton("Contribute…")
        self.tabs = QTabWidget()
        self.form_holder = QStackedWidget()
        self.raw = CodeView()
        self.raw.setObjectName("rawYaml")
        self.raw.setUndoRedoEnabled(False)  # one undo history per leaf: the document's
        self.raw.installEventFilter(self)
        self.tabs.addTab(self.form_holder, "Form")
        self.tabs.addTab(self.raw, "YAML")
        self.status = QLabel()
        self.status.setObjectName("validationStatus")
        self.message_list = QListWidget()
        self.message_list.setObjectName("validationMessages")
        self.empty = QLabel(
            "Pick a leaf in the taxonomy tree, or create one.\n\n"
            "Drop .md, .pdf, .docx, .txt or .html files on a knowledge leaf to add them as its documents."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.contribute_button)
        top.addWidget(self.save_button)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.status)
        lower_layout.addWidget(self.message_list)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("editorSplitter")
        splitter.addWidget(self.tabs)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([620, 90])  # the form gets the height; messages a few lines (the window remembers)
        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(top)
        body_layout.addWidget(splitter, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.pages)
        self.setAcceptDrops(True)

        self._validate_timer.timeout.connect(self._validate)
        self._raw_timer.timeout.connect(self._commit_raw)
        self.raw.textChanged.connect(self._on_raw_typed)
        self.message_list.itemActivated.connect(self._jump)
        self.message_list.itemClicked.connect(self._jump)
        self.save_button.clicked.connect(self.save)
        self.contribute_button.clicked.connect(self._contribute)
        self.tabs.currentChanged.connect(self._on_tab_changed)

    # --- opening and closing --------------------------------------------------

    @property
    def path(self) -> Path | None:
        return self.doc.path if self.doc else None

    def open_leaf(self, path: Path) -> bool:
        """Show the leaf at `path` (its qna.yaml); False if the user kept the current one."""
        path = Path(path)
        if path.is_dir():
            path = path / "qna.yaml"
        if self.doc is not None and self.doc.path == path:
            return True
        if not self.maybe_close():
            return False
        self._set_document(LeafDocument(path, self))
        return True

    def reload(self) -> None:
        """Re-read the open leaf from disk (an ingest job changed it)."""
        if self.doc is not None:
            self.doc.reload()
            self._changed_outside = False
            self._update_title()

    @Slot(str)
    def _on_file_changed(self, path: str) -> None:
        if self.doc is None or Path(path) != self.doc.path or not self.doc.path.exists():
            return
        if path not in self._watcher.files():
            self._watcher.addPath(path)  # a rename over the file (an atomic save) ends the watch on the old one
        if self.doc.path.read_bytes() == self.doc.disk_bytes:
            return  # this editor's own save
        if not self.doc.dirty:
            self.reload()
        else:
            self._changed_outside = True
            self._update_title()

    def close_leaf(self) -> None:
        self._set_document(None)

    def maybe_close(self) -> bool:
        """Ask what to do with unsaved changes; False means "cancel, keep editing"."""
        if self.doc is None or not self.doc.dirty:
            return True
        answer = QMessageBox.warning(
            self,
            "Unsaved changes",
            f"{self.doc.rel} has unsaved changes.",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _set_document(self, doc: LeafDocument | None) -> None:
        old = self.doc
        if old is not None:
            old.changed.disconnect(self._on_doc_changed)
            old.dirtyChanged.disconnect(self._update_title)
            old.deleteLater()
        if self.form is not None:
            self.form_holder.removeWidget(self.form)
            self.form.deleteLater()
            self.form = None
        self.doc = doc
        self.messages = []
        self.message_list.clear()
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())
        self._changed_outside = False
        if doc is None:
            self.pages.setCurrentWidget(self.empty)
            return
        if doc.path.exists():
            self._watcher.addPath(str(doc.path))
        self.undo_group.addStack(doc.undo_stack)
        self.undo_group.setActiveStack(doc.undo_stack)
        self.form = LeafForm(doc, self)
        self.form.addDocuments.connect(self.add_documents)
        self.form_holder.addWidget(self.form)
        self.form_holder.setCurrentWidget(self.form)
        doc.changed.connect(self._on_doc_changed)
        doc.dirtyChanged.connect(self._update_title)
        self._set_raw(doc.text)
        self.pages.setCurrentWidget(self.body)
        self._update_title()
        self._validate()

    # --- editing --------------------------------------------------------------

    @Slot(str)
    def _on_doc_changed(self, origin: str) -> None:
        assert self.doc is not None and self.form is not None
        if origin != "raw":
            self._set_raw(self.doc.text)
        self.form.refresh()
        self._update_title()
        self._validate_timer.start()

    def _set_raw(self, text: str) -> None:
        if self.raw.toPlainText() == text:
            return
        self._raw_updating = True
        position = self.raw.textCursor().position()
        self.raw.setPlainText(text)
        cursor = self.raw.textCursor()
        cursor.setPosition(min(position, len(text)))
        self.raw.setTextCursor(cursor)
        self._raw_updating = False

    @Slot()
    def _on_raw_typed(self) -> None:
        if not self._raw_updating:
            self._raw_timer.start()

    @Slot()
    def _commit_raw(self) -> None:
        if self.doc is not None:
            self.doc.set_text(self.raw.toPlainText(), "raw", "raw")

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        if self._raw_timer.isActive():  # finish a pending raw edit before the form shows it
            self._raw_timer.stop()
            self._commit_raw()

    def undo(self) -> None:
        self._flush_raw()
        if self.doc is not None:
            self.doc.undo_stack.undo()

    def redo(self) -> None:
        self._flush_raw()
        if self.doc is not None:
            self.doc.undo_stack.redo()

    def _flush_raw(self) -> None:
        if self._raw_timer.isActive():
            self._raw_timer.stop()
            self._commit_raw()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Route the text fields' undo keys to the leaf's undo stack, and take file drops."""
        action = is_undo_key(event)
        if action is not None:
            if event.type() == QEvent.Type.KeyPress:
                self.undo() if action == "undo" else self.redo()
            event.accept()
            return True
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and dropped_files(event):
            self.dragEnterEvent(event)
            return True
        if event.type() == QEvent.Type.Drop and dropped_files(event):
            self.dropEvent(event)
            return True
        return False

    def save(self) -> bool:
        """Write the leaf atomically; True when it was saved."""
        if self.doc is None:
            return False
        self._flush_raw()
        if self.doc.parse_error is not None:
            line, problem = self.doc.parse_error
            answer = QMessageBox.question(
                self,
                "Save YAML with errors?",
                f"Line {line}: {problem}\n\nThe file will not load in InstructLab until this is fixed. Save anyway?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            try:
                self.doc.save()
            except ChangedOnDisk:
                answer = QMessageBox.question(
                    self, "The file changed on disk",
                    f"{self.doc.path} was changed by another program since it was opened here.\n\n"
                    "Overwrite it with the version in the editor? (No keeps the file on disk as it is.)")
                if answer != QMessageBox.StandardButton.Yes:
                    return False
                self.doc.save(overwrite=True)
        except (UserError, OSError) as exc:
            QMessageBox.critical(self, "Could not save", user_message(exc))
            return False
        self._changed_outside = False
        self._update_title()
        self.saved.emit(self.doc.path)
        self._validate()
        return True

    def _update_title(self, *_: object) -> None:
        if self.doc is None:
            return
        mark = " •" if self.doc.dirty else ""
        outside = " — changed on disk meanwhile; saving asks before overwriting it" if self._changed_outside else ""
        self.title.setText(f"<b>{self.doc.rel}</b>{mark}{outside}")
        self.save_button.setEnabled(self.doc.dirty)

    @Slot()
    def _contribute(self) -> None:
        if self.doc is not None and (not self.doc.dirty or self.save()):
            self.contributeRequested.emit(self.doc.path)

    # --- validation -----------------------------------------------------------

    @Slot()
    def _validate(self) -> None:
        if self.doc is None:
            return
        self._generation += 1
        generation = self._generation
        doc = self.doc
        self.status.setText("checking…")
        run_in_background(
            check_text,
            doc.path,
            doc.text,
            on_done=lambda messages: self._show_messages(generation, doc.path, doc.text == doc.saved_text, messages),
            on_error=lambda error: self._show_messages(generation, doc.path, False, [Message("error", 1, 1, error)]),
        )

    def _show_messages(self, generation: int, path: Path, clean: bool, messages: list[Message]) -> None:
        if generation != self._generation or self.doc is None or self.doc.path != path:
            return  # an older check finished after a newer edit
        self.messages = messages
        self.message_list.clear()
        self._mark_fields(messages)
        errors = sum(m.severity == "error" for m in messages)
        warnings = len(messages) - errors
        for message in messages:
            item = QListWidgetItem(status_icon(message.severity), f"line {message.line}: {message.text}")
            item.setData(Qt.ItemDataRole.UserRole, message)
            self.message_list.addItem(item)
        if not messages:
            self.status.setText("✔ valid: InstructLab will accept this leaf")
        else:
            self.status.setText(f"{errors} error(s), {warnings} warning(s) — click one to jump to it")
        if clean:
            self.validated.emit(path, errors, warnings)

    def _mark_fields(self, messages: list[Message]) -> None:
        """Outline each form field a message is about (red: error, amber: warning), its words as the tooltip."""
        if self.form is None or self.doc is None:
            return
        for widget in self.form.fields().values():
            if widget.property("problem"):
                widget.setProperty("problem", None)
                widget.setStyleSheet("")
                widget.setToolTip("")
        if self.doc.data is None:
            return
        for message in sorted(messages, key=lambda m: m.severity != "error"):  # an error's mark wins
            widget = self.form.fields().get(path_at_line(self.doc.text, message.line))
            if widget is None or widget.property("problem"):
                continue
            widget.setProperty("problem", message.severity)
            color = "#b3261e" if message.severity == "error" else "#c77700"
            widget.setStyleSheet(f"border: 2px solid {color};")
            widget.setToolTip(message.text)

    @Slot(QListWidgetItem)
    def _jump(self, item: QListWidgetItem) -> None:
        message: Message = item.data(Qt.ItemDataRole.UserRole)
        self.jump_to(message.line, message.column)

    def jump_to(self, line: int, column: int = 1) -> None:
        """Focus the form field at `line`, or the line in the YAML tab when no field has it."""
        if self.doc is None or self.form is None:
            return
        path = path_at_line(self.doc.text, line)
        widget = self.form.field_for(path) if path and self.doc.data is not None else None
        if widget is not None and self.tabs.currentWidget() is self.form_holder:
            self.form.ensureWidgetVisible(widget)
            widget.setFocus()
            return
        self.tabs.setCurrentWidget(self.raw)
        self.raw.go_to_line(line, column)

    def show_field(self, path: tuple) -> None:
        """Show the YAML line of a field (used by tests and by "show in YAML")."""
        if self.doc is not None:
            self.tabs.setCurrentWidget(self.raw)
            self.raw.go_to_line(line_of_path(self.doc.text, path))

    # --- documents dropped on the editor ----------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.doc is not None and dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:
        self.dragEnterEvent(event)

    @Slot()
    def add_documents(self) -> None:
        """Pick documents in a dialog for the open leaf; reported like a drop."""
        if self.doc is None:
            return
        files = pick_documents(self)
        if files:
            self.documentsDropped.emit(self.doc.path, files)

    def dropEvent(self, event: QDropEvent) -> None:
        files = dropped_files(event)
        if self.doc is None or not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.documentsDropped.emit(self.doc.path, files)
