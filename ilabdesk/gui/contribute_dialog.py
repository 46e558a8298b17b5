"""Contribute…: commit chosen leaves on a new branch, then export a patch or bundle, or push.

All git work is `ilabdesk.contrib` (a private index: the user's checkout,
index and other edits are never touched) and runs off the UI thread, since a
push can wait on the network.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ilabdesk.gui.background import run_in_background
from ilabdesk.settings import paths


def contribute_and_share(
    root: Path, leaves: list[Path], branch: str, message: str, base: str,
    patch_dir: Path | None, bundle_dir: Path | None, push: bool,
) -> list[str]:
    """Make the branch, then each requested export; returns what was done, line by line."""
    from ilabdesk.contrib.branch import contribute
    from ilabdesk.contrib.export import export_bundle, export_patch, push_branch

    made = contribute(root, leaves, branch, message, base=base)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", branch)
    lines = [f"Committed {len(made.files)} file(s) on branch {made.branch} ({made.commit[:10]}), based on {made.base[:10]}"]
    if patch_dir is not None:
        lines.append(f"Patch: {export_patch(made.repo, made.branch, patch_dir / f'{safe}.patch')}")
    if bundle_dir is not None:
        lines.append(f"Bundle: {export_bundle(made.repo, made.branch, bundle_dir / f'{safe}.bundle')}")
    if push:
        lines.append(f"Pushed to {push_branch(made.repo, made.branch)}")
    return lines


def changed_or_all(root: Path, base: str) -> list[Path]:
    """Leaves changed since `base` (or since HEAD when the checkout has no such ref)."""
    from ilabdesk.errors import UserError
    from ilabdesk.taxonomy.diff import changed_leaves

    try:
        return [Path(p) for p in changed_leaves(root, base=base)]
    except UserError:
        return [Path(p) for p in changed_leaves(root, base="HEAD")]


class ContributeDialog(QDialog):
    """Pick leaves, name the branch, choose how to share it."""

    def __init__(self, root: Path, leaf: Path | None, parent: QWidget | None = None, base: str = "HEAD") -> None:
        super().__init__(parent)
        self.setWindowTitle("Contribute")
        self.setMinimumWidth(620)
        self.root = Path(root)
        self.result_lines: list[str] = []
        self.leaf_list = QListWidget()
        self.leaf_list.setObjectName("contributeLeaves")
        name = leaf.parent.name if leaf is not None else "leaves"
        self.branch = QLineEdit(f"ilabdesk/{name}-{time.strftime('%Y%m%d-%H%M')}")
        self.message = QLineEdit(f"Add {name}")
        self.base = QLineEdit(base)
        self.patch = QCheckBox("Export a patch (for git am / e-mail)")
        self.patch.setChecked(True)
        self.bundle = QCheckBox("Export a git bundle")
        self.push = QCheckBox("Push the branch to the remote")
        self.folder = QLineEdit(str(paths().data / "contributions"))
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setMaximumHeight(110)
        self.go = QPushButton("Create branch")
        self.go.setDefault(True)
        form = QFormLayout()
        form.addRow("Leaves", self.leaf_list)
        form.addRow("Branch", self.branch)
        form.addRow("Commit message", self.message)
        form.addRow("Based on", self.base)
        shares = QVBoxLayout()
        for box in (self.patch, self.bundle, self.push):
            shares.addWidget(box)
        form.addRow("Then", shares)
        form.addRow("Export folder", self.folder)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        self.close_button = close.button(QDialogButtonBox.StandardButton.Close)
        row = QHBoxLayout()
        row.addWidget(self.go)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Your checkout, its index and other edits are left exactly as they are."))
        layout.addLayout(form)
        layout.addWidget(self.output)
        layout.addLayout(row)
        self.go.clicked.connect(self.start)
        self._fill_leaves(leaf)

    def _fill_leaves(self, current: Path | None) -> None:
        try:
            leaves = changed_or_all(self.root, self.base.text().strip() or "HEAD")
        except Exception as exc:  # not a git repo, say why in the dialog
            self.output.setPlainText(str(exc))
            leaves = []
        if current is not None and current.resolve() not in {p.resolve() for p in leaves}:
            leaves.insert(0, current)
        for path in leaves:
            rel = path.parent.resolve().relative_to(self.root.resolve()).as_posix() if path.resolve().is_relative_to(self.root.resolve()) else str(path)
            item = QListWidgetItem(rel)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            chosen = current is None or path.resolve() == current.resolve()
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
            self.leaf_list.addItem(item)

    def chosen_leaves(self) -> list[Path]:
        return [
            Path(self.leaf_list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.leaf_list.count())
            if self.leaf_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    @Slot()
    def start(self) -> None:
        folder = Path(self.folder.text().strip() or paths().data / "contributions")
        args: list[Any] = [
            self.root,
            self.chosen_leaves(),
            self.branch.text().strip(),
            self.message.text(),
            self.base.text().strip() or "HEAD",
            folder if self.patch.isChecked() else None,
            folder if self.bundle.isChecked() else None,
            self.push.isChecked(),
        ]
        self.go.setEnabled(False)
        self.output.setPlainText("working…")
        run_in_background(contribute_and_share, *args, on_done=self._done, on_error=self._failed, long_running=True)

    def _done(self, lines: list[str]) -> None:
        self.result_lines = lines
        self.output.setPlainText("\n".join(lines))
        self.go.setEnabled(True)

    def _failed(self, error: str) -> None:
        self.result_lines = []
        self.output.setPlainText(error)
        self.go.setEnabled(True)
