"""The form view of a leaf: labelled fields and seed examples instead of YAML.

Knowledge leaves show domain, outline, document and examples (a context with
its questions and answers); skills show the task description and examples
(question, answer, optional context). Every field writes one value into the
`LeafDocument`; the form rebuilds itself only when the shape changes
(an example added or removed), so typing never loses the cursor.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ilabdesk.gui.leaf_document import FieldPath, LeafDocument

Field = QLineEdit | QPlainTextEdit


def _shape(data: dict[str, Any] | None) -> tuple:
    """What decides the form's layout: which keys exist and how many examples and Q&A."""
    if not isinstance(data, dict):
        return ("invalid",)
    seeds = data.get("seed_examples")
    seed_shape: tuple = ()
    if isinstance(seeds, list):
        seed_shape = tuple(
            (tuple(sorted(s)), len(s.get("questions_and_answers") or []) if isinstance(s.get("questions_and_answers"), list) else -1)
            if isinstance(s, dict)
            else ("?",)
            for s in seeds
        )
    return (tuple(sorted(k for k in data if isinstance(k, str))), seed_shape, isinstance(data.get("document"), dict))


def _display(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text[:-1] if text.endswith("\n") else text


class _TextBox(QPlainTextEdit):
    """A multi-line field sized for a paragraph, growing a little with its content."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.setTabChangesFocus(True)
        height = self.fontMetrics().lineSpacing() * lines + 14
        self.setMinimumHeight(height)
        self.setMaximumHeight(height * 2)


class LeafForm(QScrollArea):
    """Fields bound to a LeafDocument; `field_for(path)` finds the widget of a field."""

    focused = Signal(tuple)  # the field path that got focus
    addDocuments = Signal()  # the Document section's "Add documents…" button

    def __init__(self, doc: LeafDocument, shortcut_filter: QObject, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self._filter = shortcut_filter
        self._fields: dict[FieldPath, Field] = {}
        self._shape: tuple | None = None
        self._updating = False
        self.setWidgetResizable(True)
        self.setObjectName("leafForm")
        self.rebuild()

    def fields(self) -> dict[FieldPath, Field]:
        return dict(self._fields)

    def field_for(self, path: FieldPath) -> Field | None:
        """The widget for `path`, or for its closest parent field."""
        for n in range(len(path), 0, -1):
            widget = self._fields.get(tuple(path[:n]))
            if widget is not None:
                return widget
        return None

    def refresh(self) -> None:
        """Show the document's values; rebuild only when the shape changed."""
        if self._current_shape() != self._shape:
            self.rebuild()
            return
        self._updating = True
        try:
            for path, widget in self._fields.items():
                text = _display(self.doc.value(path, ""))
                if path[-1] == "patterns" and isinstance(self.doc.value(path), list):
                    text = ", ".join(self.doc.value(path))
                current = widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()
                if current != text:
                    if isinstance(widget, QLineEdit):
                        widget.setText(text)
                    else:
                        widget.setPlainText(text)
        finally:
            self._updating = False

    def _current_shape(self) -> tuple:
        """While the YAML does not parse, the form shows that instead of the last values that did."""
        return ("broken",) if self.doc.parse_error else _shape(self.doc.data)

    def rebuild(self) -> None:
        data = self.doc.data
        self._shape = self._current_shape()
        self._fields.clear()
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        if self.doc.parse_error:
            line, message = self.doc.parse_error
            broken = QLabel(f"The YAML does not parse (line {line}: {message}). Fix it in the YAML tab; "
                            "the form comes back when it does.")
            broken.setObjectName("formBroken")
            broken.setWordWrap(True)
            layout.addWidget(broken)
            self.setWidget(page)
            return
        data = data or {}
        knowledge = self.doc.kind == "knowledge"
        header = QLabel(
            f"<b>{self.doc.rel}</b> — {'knowledge' if knowledge else self.doc.kind.replace('_', ' ')}, "
            f"schema version {data.get('version', 1)}"
        )
        header.setWordWrap(True)
        layout.addWidget(header)
        about = QFormLayout()
        about.addRow("Created by", self._line(("created_by",), "your GitHub user name"))
        if knowledge or "domain" in data:
            about.addRow("Domain", self._line(("domain",), "e.g. geography"))
        if not knowledge or "task_description" in data:
            about.addRow("Task description", self._box(("task_description",), 2))
        if knowledge or "document_outline" in data:
            about.addRow("Document outline", self._box(("document_outline",), 2))
        layout.addLayout(about)
        if knowledge or isinstance(data.get("document"), dict):
            group = QGroupBox("Document (add files with the button, or drop them here or on the leaf)")
            group.setObjectName("documentGroup")
            form = QFormLayout(group)
            form.addRow("Repository", self._line(("document", "repo")))
            form.addRow("Commit", self._line(("document", "commit")))
            form.addRow("Patterns", self._line(("document", "patterns"), "*.md, docs/*.pdf"))
            if knowledge:
                add_documents = QPushButton("Add documents…")
                add_documents.setObjectName("addDocuments")
                add_documents.clicked.connect(self.addDocuments)
                button_row = QHBoxLayout()
                button_row.addWidget(add_documents)
                button_row.addStretch(1)
                form.addRow("", button_row)
            layout.addWidget(group)
        seeds = data.get("seed_examples") if isinstance(data.get("seed_examples"), list) else []
        for index, seed in enumerate(seeds):
            layout.addWidget(self._seed_box(index, seed if isinstance(seed, dict) else {}, knowledge))
        add = QPushButton("Add example")
        add.setObjectName("addExample")
        add.clicked.connect(lambda: self._add_seed(knowledge))
        row = QHBoxLayout()
        row.addWidget(add)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        scroll = self.verticalScrollBar().value()
        self.setWidget(page)
        self.verticalScrollBar().setValue(scroll)

    def _seed_box(self, index: int, seed: dict[str, Any], knowledge: bool) -> QGroupBox:
        box = QGroupBox(f"Example {index + 1}")
        box.setObjectName(f"seed{index}")
        layout = QVBoxLayout(box)
        form = QFormLayout()
        if knowledge or "context" in seed:
            form.addRow("Context", self._box(("seed_examples", index, "context"), 4))
        if knowledge:
            qas = seed.get("questions_and_answers") if isinstance(seed.get("questions_and_answers"), list) else []
            for j, _qa in enumerate(qas):
                form.addRow(f"Question {j + 1}", self._box(("seed_examples", index, "questions_and_answers", j, "question"), 1))
                answer_row = QHBoxLayout()
                answer_row.addWidget(self._box(("seed_examples", index, "questions_and_answers", j, "answer"), 2), 1)
                remove_qa = QPushButton("✕")
                remove_qa.setToolTip(f"remove question {j + 1}")
                remove_qa.setFixedWidth(28)
                remove_qa.clicked.connect(lambda _=False, i=index, k=j: self._remove_qa(i, k))
                answer_row.addWidget(remove_qa)
                form.addRow(f"Answer {j + 1}", answer_row)
        else:
            form.addRow("Question", self._box(("seed_examples", index, "question"), 2))
            form.addRow("Answer", self._box(("seed_examples", index, "answer"), 3))
        layout.addLayout(form)
        buttons = QHBoxLayout()
        if knowledge:
            add_qa = QPushButton("Add question")
            add_qa.clicked.connect(lambda _=False, i=index: self._add_qa(i))
            buttons.addWidget(add_qa)
        remove = QPushButton("Remove example")
        remove.setObjectName(f"removeExample{index}")
        remove.clicked.connect(lambda _=False, i=index: self._remove_seed(i))
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return box

    # --- fields ---------------------------------------------------------------

    def _line(self, path: FieldPath, placeholder: str = "") -> QLineEdit:
        widget = QLineEdit()
        widget.setPlaceholderText(placeholder)
        value = self.doc.value(path)
        widget.setText(", ".join(value) if isinstance(value, list) else _display(value))
        widget.textEdited.connect(lambda text, p=path: self._edited(p, text))
        return self._register(path, widget)

    def _box(self, path: FieldPath, lines: int) -> QPlainTextEdit:
        widget = _TextBox(lines)
        widget.setPlainText(_display(self.doc.value(path)))
        widget.textChanged.connect(lambda p=path, w=widget: self._edited(p, w.toPlainText()))
        return self._register(path, widget)

    def _register(self, path: FieldPath, widget: Field) -> Field:
        widget.setObjectName("field:" + "/".join(map(str, path)))
        widget.installEventFilter(self._filter)
        widget.installEventFilter(self)
        self._fields[path] = widget
        return widget

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            for path, widget in self._fields.items():
                if widget is watched:
                    self.focused.emit(path)
        return False

    def _edited(self, path: FieldPath, text: str) -> None:
        if self._updating:
            return
        old = self.doc.value(path)
        if path[-1] == "patterns":
            value: Any = [p.strip() for p in text.split(",") if p.strip()]
        elif isinstance(old, str) and old.endswith("\n") or (old is None and isinstance(self._fields.get(path), QPlainTextEdit)):
            value = text + "\n" if text else ""
        else:
            value = text
        if value != old:
            self.doc.set_value(path, value)

    # --- structure ------------------------------------------------------------

    def _add_seed(self, knowledge: bool) -> None:
        def change(data: dict[str, Any]) -> None:
            seed: dict[str, Any]
            if knowledge:
                seed = {"context": "", "questions_and_answers": [{"question": "", "answer": ""} for _ in range(3)]}
            else:
                grounded = any(isinstance(s, dict) and "context" in s for s in data.get("seed_examples") or [])
                seed = ({"context": ""} if grounded else {}) | {"question": "", "answer": ""}
            data.setdefault("seed_examples", []).append(seed)

        self.doc.edit(change, "add example")

    def _remove_seed(self, index: int) -> None:
        self.doc.edit(lambda data: data["seed_examples"].pop(index), f"remove example {index + 1}")

    def _add_qa(self, index: int) -> None:
        self.doc.edit(
            lambda data: data["seed_examples"][index].setdefault("questions_and_answers", []).append(
                {"question": "", "answer": ""}
            ),
            "add question",
        )

    def _remove_qa(self, index: int, qa: int) -> None:
        self.doc.edit(lambda data: data["seed_examples"][index]["questions_and_answers"].pop(qa), "remove question")


def is_undo_key(event: QEvent) -> str | None:
    """"undo" / "redo" when a key event is the platform's undo or redo shortcut."""
    if event.type() not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
        return None
    if event.matches(QKeySequence.StandardKey.Undo):
        return "undo"
    if event.matches(QKeySequence.StandardKey.Redo):
        return "redo"
    return None
