"""First-run welcome: try the sample taxonomy, open your own, or just chat.

Shown once (remembered in the window settings) and from Help ▸ Welcome. The
embedded model needs no download, so every choice works offline.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

SAMPLE, OPEN, CHAT = "sample", "open", "chat"


class WelcomeDialog(QDialog):
    """`choice` is "sample", "open", "chat" or None (closed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to ilabdesk")
        self.choice: str | None = None
        text = QLabel(
            "<h2>Teach a model what you know — on this computer</h2>"
            "<p>ilabdesk walks you through the InstructLab loop: write a few examples in a "
            "<b>taxonomy leaf</b>, drop in your documents, <b>generate</b> training data with a teacher "
            "model, <b>train</b> a small LoRA adapter, then <b>compare</b> the original and the tuned "
            "model side by side and <b>contribute</b> your leaf.</p>"
            "<p>A small model (SmolLM2-135M-Instruct) is built in: it chats, teaches and trains "
            "without any download. Import bigger GGUF models in Settings.</p>"
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        self.sample_button = QPushButton("Try the sample taxonomy")
        self.sample_button.setDefault(True)
        self.open_button = QPushButton("Open my taxonomy…")
        self.chat_button = QPushButton("Chat with the built-in model")
        buttons = QHBoxLayout()
        for button in (self.sample_button, self.open_button, self.chat_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(buttons)
        self.setMinimumWidth(560)
        self.sample_button.clicked.connect(lambda: self._choose(SAMPLE))
        self.open_button.clicked.connect(lambda: self._choose(OPEN))
        self.chat_button.clicked.connect(lambda: self._choose(CHAT))

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()
