"""Dialogs that start jobs: one form per job kind, filled with sensible defaults.

The fields are the job's JSON arguments (see each job module's docstring);
empty optional fields are left out so the job's own defaults apply. Defaults
come from the open taxonomy, the last dataset/run this session produced and
the config, so the whole loop is "OK, OK, OK".
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ilabdesk.gui.jobs import KIND_TITLES


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str  # dir | file | text | int | list | choice
    choices: tuple[str, ...] = ()
    required: bool = False
    hint: str = ""
    minimum: int = 0  # an int field at its minimum shows "default" and is left out of the args


FIELDS: dict[str, tuple[Field, ...]] = {
    "generate": (
        Field("taxonomy", "Taxonomy", "dir", required=True),
        Field("leaves", "Leaves", "list", hint="comma-separated leaf paths; empty: leaves changed since the base"),
        Field("base", "Base (git ref)", "text", hint="origin/main, a branch, or 'empty' for all leaves"),
        Field("teacher", "Teacher", "text", hint="empty: the teacher from Settings"),
        Field("questions_per_fact", "Questions per fact", "int",
              hint="differently worded questions for every fact of the documents (default 4); fewer is faster"),
        Field("samples_per_seed", "Samples per seed", "int", hint="skills: new examples per seed example (default 10)"),
        Field("paraphrases", "Paraphrases per passage", "int", minimum=-1, hint="default 2; 0 skips rewording the documents"),
        Field("replay", "Replay prompts", "int", minimum=-1,
              hint="default 300 (skill phases use 100): the model answers them itself so training keeps what it knew; 0 skips them"),
        Field("output", "Dataset folder", "dir", required=True),
    ),
    "train": (
        Field("data", "Dataset folder", "dir", required=True),
        Field("output", "Run folder", "dir", required=True),
        Field("base", "Base model", "text", hint="empty: the embedded model"),
        Field("backend", "Backend", "choice", ("auto", "torch", "mlx")),
        Field("epochs", "Epochs", "int"),
        Field("iters", "Iterations", "int", hint="default: derived from the epochs"),
    ),
    "convert": (
        Field("run", "Run folder", "dir", required=True),
        Field("quantize", "Quantize", "choice", ("Q4_K_M", "Q8_0", "none")),
    ),
    "evaluate": (
        Field("base", "Base model", "text", hint="empty: the embedded model"),
        Field("tuned", "Tuned model (GGUF)", "file"),
        Field("adapter", "Adapter (GGUF)", "file"),
        Field("data", "Dataset folder", "dir"),
        Field("output", "Report folder", "dir", required=True),
    ),
    "pipeline": (
        Field("taxonomy", "Taxonomy", "dir", required=True),
        Field("leaves", "Leaves", "list", hint="comma-separated leaf paths; empty: leaves changed since the base"),
        Field("base", "Base model", "text", hint="empty: the embedded model"),
        Field("teacher", "Teacher", "text", hint="empty: the teacher from Settings"),
        Field("output", "Output folder", "dir", required=True),
    ),
}


def stamp(name: str) -> str:
    """A folder name that sorts by time: "<name>-20260101-120000"."""
    return f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


class JobDialog(QDialog):
    """A form for one job kind; `args()` returns the job's arguments."""

    def __init__(self, kind: str, defaults: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle(KIND_TITLES.get(kind, kind))
        self.setMinimumWidth(560)
        self.fields: dict[str, QWidget] = {}  # the input widget of each argument
        form = QFormLayout(self)
        for field in FIELDS[kind]:
            widget, row = self._make(field, defaults.get(field.key))
            self.fields[field.key] = widget
            form.addRow(field.label + (" *" if field.required else ""), row)
            if field.hint:
                hint = QLabel(field.hint)
                hint.setEnabled(False)
                form.addRow("", hint)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c0392b")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.start_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.start_button.setText("Start")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _make(self, field: Field, value: Any) -> tuple[QWidget, QWidget]:
        if field.type == "choice":
            combo = QComboBox()
            combo.addItems(list(field.choices))
            if value in field.choices:
                combo.setCurrentText(str(value))
            return combo, combo
        if field.type == "int":
            spin = QSpinBox()
            spin.setRange(field.minimum, 1_000_000)
            spin.setSpecialValueText("default")  # shown at the minimum: the job's own default applies
            spin.setValue(field.minimum if value is None or (value == 0 and field.minimum == 0) else int(value))
            return spin, spin
        line = QLineEdit("" if value is None else (", ".join(value) if isinstance(value, list) else str(value)))
        if field.type not in ("dir", "file"):
            return line, line
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(line, field.type))
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(line, 1)
        layout.addWidget(browse)
        return line, row

    def _browse(self, line: QLineEdit, kind: str) -> None:
        start = line.text() or str(Path.home())
        if kind == "dir":
            chosen = QFileDialog.getExistingDirectory(self, "Choose a folder", start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, "Choose a file", start)
        if chosen:
            line.setText(chosen)

    def args(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in FIELDS[self.kind]:
            widget = self.fields[field.key]
            if isinstance(widget, QComboBox):
                value: Any = widget.currentText()
                if value == "none":
                    value = None
            elif isinstance(widget, QSpinBox):
                value = None if widget.value() == field.minimum else widget.value()
            else:
                text = widget.text().strip()
                value = [p.strip() for p in text.split(",") if p.strip()] if field.type == "list" else text
                value = value or None
            if value is not None:
                out[field.key] = value
        return out

    def _accept(self) -> None:
        values = self.args()
        missing = [f.label for f in FIELDS[self.kind] if f.required and f.key not in values]
        if missing:
            self.error.setText("Please fill in: " + ", ".join(missing))
            return
        self.accept()
