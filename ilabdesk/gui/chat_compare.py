"""Chat with two models side by side: "original" and "tuned", one prompt for both.

Each pane owns a `ChatThread` (its own engine on its own thread), so both
answers stream at the same time while the UI stays free. The model picker
offers the library, every training run (base + LoRA adapter, or the fused
GGUF), and any GGUF file. "Show differences" marks the words where the two
models' answers to the same turn differ, on every turn (difflib on words).
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut, QShowEvent, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ilabdesk.gui.chat_worker import ChatThread

DIFF_COLOR = "#f6c343"


@dataclass(frozen=True)
class ModelChoice:
    """What a picker entry opens: `open_engine(model, adapter)`."""

    label: str
    model: str | None
    adapter: str | None = None


def run_choices(run_dir: Path) -> list[ModelChoice]:
    """Choices a training run offers: base + adapter, and each fused GGUF."""
    from ilabdesk.gui.jobs import read_json

    from ilabdesk.training.rundir import run_name

    info = read_json(run_dir / "run.json")
    out: list[ModelChoice] = []
    base = info.get("base_gguf") or (info.get("gguf") or {}).get("base_gguf")  # a folder base's own GGUF
    adapter = run_dir / "adapter.gguf"
    name = run_name(run_dir)
    if adapter.exists():
        out.append(ModelChoice(f"{name}: base + adapter", str(base) if base else None, str(adapter)))
    for fused in sorted(run_dir.glob("model-*.gguf")):
        quant = fused.stem.removeprefix("model-")
        out.append(ModelChoice(f"{name}: fused {quant}", str(fused)))
    return out


def model_choices() -> list[ModelChoice]:
    """Library models (the embedded default first), then every run's models, newest first."""
    from ilabdesk.models.library import list_models
    from ilabdesk.settings import paths

    choices = []
    for entry in list_models():
        label = f"{entry.name} (embedded)" if entry.builtin else entry.name
        choices.append(ModelChoice(label, None if entry.builtin else entry.name))
    runs = paths().runs
    run_dirs = [d for d in runs.iterdir() if d.is_dir()] if runs.is_dir() else []
    for run_dir in sorted(run_dirs, key=lambda d: d.stat().st_mtime, reverse=True):
        # a whole run (`ilabdesk run`) keeps its training run in train/
        choices.extend(run_choices(run_dir / "train" if (run_dir / "train").is_dir() else run_dir))
    return choices


def answer_diffs(a: list[dict[str, str]], b: list[dict[str, str]]) -> tuple[list[set[int]], list[set[int]]]:
    """Per turn, the words of each side's answer not in the other side's answer to the same turn."""
    answers_a = [m["content"] for m in a if m["role"] == "assistant"]
    answers_b = [m["content"] for m in b if m["role"] == "assistant"]
    pairs = [word_diff(x, y) for x, y in zip(answers_a, answers_b)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def word_diff(a: str, b: str) -> tuple[set[int], set[int]]:
    """Indexes of the words of `a` and of `b` that are not shared by the two texts."""
    words_a, words_b = a.split(), b.split()
    only_a: set[int] = set()
    only_b: set[int] = set()
    matcher = difflib.SequenceMatcher(a=words_a, b=words_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            only_a.update(range(i1, i2))
            only_b.update(range(j1, j2))
    return only_a, only_b


def _marked_html(text: str, marked: set[int]) -> str:
    """The words of `text` as HTML, runs of marked words inside one highlighted span."""
    out: list[str] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            out.append(f'<span style="background-color:{DIFF_COLOR}; color:black">{" ".join(run)}</span>')
            run.clear()

    for index, word in enumerate(text.split()):
        if index in marked:
            run.append(html.escape(word))
        else:
            close_run()
            out.append(html.escape(word))
    close_run()
    return " ".join(out)


class ChatPane(QWidget):
    """One side: model picker, transcript, copy; the engine lives in `self.chat`."""

    replied = Signal(str)  # the finished answer

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.chat = ChatThread(name, self)
        self.history: list[dict[str, str]] = []
        self.answer = ""  # the reply being streamed (or the last one)
        self.busy = False
        self.tokens_seen = 0
        self.highlights: list[set[int]] | None = None  # per answer, its words to mark ("Show differences")
        self._loaded_key: tuple[str | None, str | None] | None = None

        self.label = QLabel(f"<b>{name}</b>")
        self.picker = QComboBox()
        self.picker.setObjectName(f"picker-{name}")
        self.picker.setMinimumContentsLength(18)
        self.picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.status = QLabel("")
        self.status.setObjectName(f"status-{name}")
        self.transcript = QTextBrowser()
        self.transcript.setObjectName(f"transcript-{name}")
        self.transcript.setOpenLinks(False)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("copy the last answer")
        header = QHBoxLayout()
        header.addWidget(self.label)
        header.addWidget(self.picker, 1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(header)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.status)

        self.chat.worker.token.connect(self._on_token)
        self.chat.worker.replied.connect(self._on_replied)
        self.chat.worker.failed.connect(self._on_failed)
        self.chat.worker.loaded.connect(self._on_loaded)
        self.copy_button.clicked.connect(self._copy)
        self.picker.activated.connect(self._on_picked)

    # --- models ---------------------------------------------------------------

    def set_choices(self, choices: list[ModelChoice], keep: bool = True) -> None:
        current = self.choice() if keep else None
        self.picker.blockSignals(True)
        self.picker.clear()
        for choice in choices:
            self.picker.addItem(choice.label, choice)
        self.picker.addItem("Other GGUF file…", None)
        if current is not None:
            self.select(current)
        self.picker.blockSignals(False)

    def select(self, choice: ModelChoice) -> None:
        """Pick `choice`, adding it to the list when it is new (e.g. a run just trained)."""
        for index in range(self.picker.count()):
            if self.picker.itemData(index) == choice:
                self.picker.setCurrentIndex(index)
                return
        self.picker.insertItem(max(self.picker.count() - 1, 0), choice.label, choice)
        self.picker.setCurrentIndex(self.picker.count() - 2)

    def choice(self) -> ModelChoice | None:
        data = self.picker.currentData()
        return data if isinstance(data, ModelChoice) else None

    @Slot(int)
    def _on_picked(self, index: int) -> None:
        if self.picker.itemData(index) is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open a GGUF model", str(Path.home()), "GGUF models (*.gguf)")
            if not path:
                self.picker.setCurrentIndex(0)
                return
            self.select(ModelChoice(Path(path).name, path))
        self.ensure_loaded()

    def ensure_loaded(self) -> None:
        """Ask the worker to load the picked model (it skips this when already loaded)."""
        choice = self.choice()
        if choice is None:
            return
        key = (choice.model, choice.adapter)
        if key != self._loaded_key:
            self._loaded_key = key
            self.status.setText(f"loading {choice.label}…")
            self.chat.requestLoad.emit(choice.model, choice.adapter)

    @Slot(str)
    def _on_loaded(self, description: str) -> None:
        self.status.setText(description)

    # --- conversation ---------------------------------------------------------

    def send(self, prompt: str, system: str, params: dict[str, Any]) -> None:
        self.ensure_loaded()
        self.history.append({"role": "user", "content": prompt})
        self.answer = ""
        self.tokens_seen = 0
        self.highlights = None
        self.busy = True
        self.render()
        messages = ([{"role": "system", "content": system}] if system.strip() else []) + list(self.history)
        self.chat.requestGenerate.emit(messages, params)

    @Slot(str)
    def _on_token(self, piece: str) -> None:
        self.answer += piece
        self.tokens_seen += 1
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)
        self.transcript.setTextCursor(cursor)
        self.transcript.ensureCursorVisible()

    @Slot(dict)
    def _on_replied(self, info: dict) -> None:
        self.busy = False
        self.answer = info.get("text", self.answer)
        self.history.append({"role": "assistant", "content": self.answer})
        speed = info["tokens"] / info["seconds"] if info.get("seconds") else 0.0
        note = " (stopped)" if info.get("finish_reason") == "cancelled" else ""
        trimmed = f", {info['trimmed_turns']} old turn(s) dropped to fit" if info.get("trimmed_turns") else ""
        self.status.setText(f"{info.get('tokens', 0)} tokens, {speed:.0f} tok/s{note}{trimmed}")
        self.render()
        self.replied.emit(self.answer)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.busy = False
        self._loaded_key = None if "load" in self.status.text() else self._loaded_key
        self.status.setText(f"error: {message}")
        if self.history and self.history[-1]["role"] == "user" and not self.answer:
            self.history.pop()
        self.render()

    def stop(self) -> None:
        self.chat.stop()

    def new_chat(self) -> None:
        self.stop()
        self.history.clear()
        self.answer = ""
        self.highlights = None
        self.render()

    def render(self) -> None:
        """Redraw the transcript; each answer gets its diff marks when `highlights` is set."""
        parts = []
        answer_no = 0
        for message in self.history:
            if message["role"] == "user":
                parts.append(f"<p><b>You:</b> {html.escape(message['content'])}</p>")
            else:
                marks = self.highlights[answer_no] if self.highlights and answer_no < len(self.highlights) else None
                body = (
                    _marked_html(message["content"], marks)
                    if marks is not None
                    else html.escape(message["content"]).replace("\n", "<br>")
                )
                answer_no += 1
                parts.append(f"<p><b>{self.name}:</b> {body}</p>")
        if self.busy:
            parts.append(f"<p><b>{self.name}:</b> </p>")
        self.transcript.setHtml("".join(parts))
        if self.busy:
            cursor = self.transcript.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            self.transcript.setTextCursor(cursor)
        self.transcript.verticalScrollBar().setValue(self.transcript.verticalScrollBar().maximum())

    def last_answer(self) -> str:
        for message in reversed(self.history):
            if message["role"] == "assistant":
                return message["content"]
        return ""

    @Slot()
    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.last_answer())

    def shutdown(self) -> None:
        self.chat.shutdown()


class ChatCompare(QWidget):
    """Two panes, one prompt box, and the shared settings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ilabdesk.settings import load_config

        try:
            chat = load_config()["chat"]
        except Exception:  # a broken config is reported by the settings dialog, chat still works
            chat = {"system_prompt": "You are a helpful assistant.", "temperature": 0.7, "top_p": 0.95, "max_tokens": 512}
        self.system_prompt = chat["system_prompt"]
        self.params: dict[str, Any] = {
            "temperature": chat["temperature"],
            "top_p": chat["top_p"],
            "max_tokens": chat["max_tokens"],
            "seed": None,
        }
        self.original = ChatPane("original")
        self.tuned = ChatPane("tuned")
        self.panes = (self.original, self.tuned)
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("chatPrompt")
        self.prompt.setPlaceholderText("Ask both models the same question… (Ctrl+Enter sends)")
        self.prompt.setMaximumHeight(80)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("chatSend")
        self.stop_button = QPushButton("Stop")
        self.new_button = QPushButton("New chat")
        self.settings_button = QPushButton("Settings…")
        self.diff_toggle = QCheckBox("Show differences")
        self.diff_toggle.setObjectName("diffToggle")

        splitter = QSplitter()
        splitter.addWidget(self.original)
        splitter.addWidget(self.tuned)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        prompt_row = QHBoxLayout()
        prompt_row.addWidget(self.prompt, 1)
        prompt_row.addLayout(buttons)
        options = QHBoxLayout()
        options.addWidget(self.new_button)
        options.addWidget(self.settings_button)
        options.addWidget(self.diff_toggle)
        options.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter, 1)
        layout.addLayout(prompt_row)
        layout.addLayout(options)

        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.new_button.clicked.connect(self.new_chat)
        self.settings_button.clicked.connect(self.edit_settings)
        self.diff_toggle.toggled.connect(self._update_diff)
        for pane in self.panes:
            pane.replied.connect(self._on_pane_replied)
        QShortcut(QKeySequence("Ctrl+Return"), self.prompt, self.send)
        self._update_buttons()

    def refresh_models(self) -> None:
        """Re-list library models and runs in both pickers (kept selections stay)."""
        try:
            choices = model_choices()
        except Exception as exc:  # the library is unreadable; say so in the panes instead of failing
            for pane in self.panes:
                pane.status.setText(f"cannot list models: {exc}")
            return
        for pane in self.panes:
            pane.set_choices(choices)

    def showEvent(self, event: QShowEvent) -> None:
        """Opening the chat loads both picked models, so they are ready before the first prompt."""
        super().showEvent(event)
        for pane in self.panes:
            pane.ensure_loaded()

    def compare_run(self, run_dir: Path) -> None:
        """Load a training run: base + adapter on the tuned side, the plain base on the original side."""
        choices = run_choices(Path(run_dir))
        if not choices:
            return
        self.tuned.select(choices[0])
        base = choices[0].model
        self.original.select(ModelChoice(Path(base).name if base else "base model", base))
        for pane in self.panes:
            pane.ensure_loaded()

    @Slot()
    def send(self) -> None:
        prompt = self.prompt.toPlainText().strip()
        if not prompt or any(p.busy for p in self.panes):
            return
        self.prompt.clear()
        for pane in self.panes:
            pane.send(prompt, self.system_prompt, dict(self.params))
        self._update_buttons()

    @Slot()
    def stop(self) -> None:
        for pane in self.panes:
            pane.stop()

    @Slot()
    def new_chat(self) -> None:
        for pane in self.panes:
            pane.new_chat()
        self._update_buttons()

    def busy(self) -> bool:
        return any(p.busy for p in self.panes)

    @Slot(str)
    def _on_pane_replied(self, _answer: str) -> None:
        self._update_buttons()
        self._update_diff()

    def _update_buttons(self) -> None:
        busy = self.busy()
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)

    @Slot()
    def _update_diff(self) -> None:
        if self.diff_toggle.isChecked() and not self.busy():
            self.original.highlights, self.tuned.highlights = answer_diffs(self.original.history, self.tuned.history)
        else:
            self.original.highlights = self.tuned.highlights = None
        for pane in self.panes:
            if not pane.busy:
                pane.render()

    @Slot()
    def edit_settings(self) -> None:
        dialog = SamplingDialog(self.system_prompt, self.params, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.system_prompt, self.params = dialog.values()

    def shutdown(self) -> None:
        for pane in self.panes:
            pane.shutdown()


class SamplingDialog(QDialog):
    """System prompt and sampling settings for both panes."""

    def __init__(self, system: str, params: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Chat settings")
        self.system = QPlainTextEdit(system)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(params["temperature"])
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.0, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(params["top_p"])
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 8192)
        self.max_tokens.setValue(params["max_tokens"])
        self.seed = QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setSpecialValueText("random")
        self.seed.setValue(-1 if params.get("seed") is None else params["seed"])
        form = QFormLayout(self)
        form.addRow("System prompt", self.system)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top p", self.top_p)
        form.addRow("Max tokens", self.max_tokens)
        form.addRow("Seed", self.seed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, dict[str, Any]]:
        seed = self.seed.value()
        return self.system.toPlainText(), {
            "temperature": self.temperature.value(),
            "top_p": self.top_p.value(),
            "max_tokens": self.max_tokens.value(),
            "seed": None if seed < 0 else seed,
        }
