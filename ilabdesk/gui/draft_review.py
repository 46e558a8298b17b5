"""Review seed examples the teacher drafted from dropped documents before they join the leaf.

A teacher (especially the small embedded one) can be wrong, so drafts are
never written into qna.yaml unasked: the user ticks the ones to keep, and the
choice lands in the editor as one undoable edit, saved when they save.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget


def load_drafts(drafts: Any) -> list[dict[str, Any]]:
    """Drafted seed examples from an ingest job's result: a list, or a YAML/JSON(L) file of them."""
    if isinstance(drafts, (str, Path)):
        path = Path(drafts)
        if not path.is_file():
            return []
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            drafts = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            drafts = yaml.safe_load(text)
        if isinstance(drafts, dict):
            drafts = drafts.get("seed_examples", [])
    return [d for d in drafts if isinstance(d, dict)] if isinstance(drafts, list) else []


def _summary(seed: dict[str, Any]) -> str:
    lines = []
    if seed.get("context"):
        lines.append("Context: " + str(seed["context"]).strip()[:300])
    for qa in seed.get("questions_and_answers") or []:
        lines.append(f"Q: {str(qa.get('question', '')).strip()}\nA: {str(qa.get('answer', '')).strip()}")
    if seed.get("question"):
        lines.append(f"Q: {str(seed['question']).strip()}\nA: {str(seed.get('answer', '')).strip()}")
    return "\n".join(lines)


class DraftReviewDialog(QDialog):
    """Checkable list of drafts; `chosen()` returns the ticked ones."""

    def __init__(self, seeds: list[dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review drafted examples")
        self.resize(720, 520)
        self.seeds = seeds
        self.list = QListWidget()
        self.list.setWordWrap(True)
        for seed in seeds:
            item = QListWidgetItem(_summary(seed))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add ticked examples")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("The teacher drafted these from your documents. Untick any that are wrong; "
                                "you can edit the rest in the form afterwards."))
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def chosen(self) -> list[dict[str, Any]]:
        return [seed for i, seed in enumerate(self.seeds) if self.list.item(i).checkState() == Qt.CheckState.Checked]
