"""The evaluation of a run, in the window: what a user reads to decide whether tuning worked.

An evaluation (`ilabdesk evaluate`, or the last stage of a whole run) writes
report.json and chart.png; this view shows them: the headline first (the
held-out document questions, or new skill inputs, never a score on training
data), the scores of both models per kind of question, the forgetting check,
whether the judge could judge, the chart, and every question with both
answers, filterable by kind. It opens when a run or an evaluation finishes,
and from the job history ("Show results").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# The kinds of question, in the order they matter, with the words the report uses for them.
KINDS = (
    ("document", "document questions (held out)"),
    ("skill", "new skill inputs (held out)"),
    ("user", "your held-out questions"),
    ("test", "seed Q&A (taught)"),
    ("skill_seed", "skill seed examples (taught)"),
    ("choice", "multiple choice"),
    ("general", "general questions (forgetting check)"),
)
SHORT = {"document": "document", "skill": "new input", "user": "yours", "test": "seed (taught)",
         "skill_seed": "seed (taught)", "choice": "choice", "general": "general"}  # the questions' kind column
SUMMARY_KEYS = {"user": "heldout"}  # report.json's summary calls the user's own questions "heldout"
RIGHT, WRONG = QColor("#1e7b34"), QColor("#b3261e")


def report_of(path: Path) -> Path:
    """The evaluation's report.json for a pipeline's report.json, an evaluation folder or the file itself."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    inner = (data.get("evaluation") or {}).get("report") if isinstance(data, dict) else None
    return Path(inner) if inner else path


def _score(side: dict[str, Any], kind: str) -> str:
    entry = side.get(SUMMARY_KEYS.get(kind, kind)) or {}
    return f"{entry['correct']}/{entry['total']}" if entry.get("total") else ""


class ResultsView(QWidget):
    """Headline, scores, chart and answers of one evaluation report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: dict[str, Any] | None = None
        self.path: Path | None = None
        self.headline = QLabel("No results yet: they appear here when a whole run or an evaluation finishes.")
        self.headline.setObjectName("resultsHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.scores = QTableWidget(0, 3)
        self.scores.setObjectName("resultsScores")
        self.scores.setHorizontalHeaderLabels(["", "base", "tuned"])
        self.scores.verticalHeader().hide()
        self.scores.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.scores.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.chart = QLabel()
        self.chart.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.chart.setMinimumWidth(200)
        self.kind = QComboBox()
        self.kind.setObjectName("resultsKind")
        self.questions = QTableWidget(0, 4)
        self.questions.setObjectName("resultsQuestions")
        self.questions.setHorizontalHeaderLabels(["kind", "question", "base answer", "tuned answer"])
        self.questions.verticalHeader().hide()
        self.questions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.questions.setWordWrap(True)
        header = self.questions.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

        top = QSplitter()
        top.setObjectName("resultsTopSplitter")
        top.addWidget(self.scores)
        top.addWidget(self.chart)
        top.setSizes([520, 420])
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel("Questions:"))
        filter_row.addWidget(self.kind)
        filter_row.addStretch(1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addLayout(filter_row)
        bottom_layout.addWidget(self.questions, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("resultsSplitter")
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([260, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.headline)
        layout.addWidget(split, 1)
        self.kind.currentIndexChanged.connect(self._fill_questions)

    def load(self, path: Path) -> None:
        """Show the report at `path` (see `report_of`); OSError or ValueError if it cannot be read."""
        self.path = report_of(path)
        self.report = json.loads(self.path.read_text(encoding="utf-8"))
        report = self.report
        lines = [f"<b>{(report.get('headline') or {}).get('line', 'no held-out questions in this evaluation')}</b>"]
        forgetting = report.get("forgetting") or {}
        if forgetting.get("line"):
            lines.append(forgetting["line"])
        judge = report.get("judge")
        if judge:
            lines.append("judge: able (it rated every reference above its wrong answer)" if judge.get("able") else
                         f"judge: unable to judge. {judge.get('reason', '')} {judge.get('hint', '')}")
        lines.append(f"<small>{self.path}</small>")
        self.headline.setText("<br>".join(lines))
        summary = report.get("summary") or {}
        rows = [(label, _score(summary.get("base", {}), kind), _score(summary.get("tuned", {}), kind))
                for kind, label in KINDS]
        rows = [row for row in rows if row[1] or row[2]]
        self.scores.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.scores.setItem(row, column, QTableWidgetItem(value))
        chart = self.path.parent / "chart.png"
        pixmap = QPixmap(str(chart)) if chart.is_file() else QPixmap()
        self.chart.setPixmap(pixmap.scaledToWidth(420, Qt.TransformationMode.SmoothTransformation)
                             if not pixmap.isNull() else pixmap)
        present = {entry["item"]["source"] for entry in report.get("items", [])}
        self.kind.blockSignals(True)
        self.kind.clear()
        self.kind.addItem("all", None)
        for kind, label in KINDS:
            if kind in present:
                self.kind.addItem(label, kind)
        self.kind.blockSignals(False)
        self._fill_questions()

    def _fill_questions(self) -> None:
        wanted = self.kind.currentData()
        order = [kind for kind, _ in KINDS]
        items = [entry for entry in (self.report or {}).get("items", [])
                 if wanted is None or entry["item"]["source"] == wanted]
        items.sort(key=lambda e: order.index(e["item"]["source"]) if e["item"]["source"] in order else len(order))
        self.questions.setRowCount(len(items))
        for row, entry in enumerate(items):
            item = entry["item"]
            self.questions.setItem(row, 0, QTableWidgetItem(SHORT.get(item["source"], item["source"])))
            question = QTableWidgetItem(item["question"])
            question.setToolTip(f"reference: {item.get('reference', '')}")
            self.questions.setItem(row, 1, question)
            for column, side in ((2, "base"), (3, "tuned")):
                answer = entry.get(side) or {}
                right = answer.get("correct")
                cell = QTableWidgetItem(("✔ " if right else "✘ " if right is not None else "") + answer.get("answer", ""))
                if right is not None:
                    cell.setForeground(RIGHT if right else WRONG)
                self.questions.setItem(row, column, cell)
        self.questions.resizeRowsToContents()
