"""A chat engine living on its own QThread, one per chat pane.

A llama.cpp model is a single-user object and generation blocks for seconds,
so each pane gets a worker thread that creates, uses and closes its engine
there (never on the UI thread). Tokens come back as queued signals; a stop is
a `threading.Event` the engine checks between tokens, so it works while the
worker is busy.
"""

from __future__ import annotations

import atexit
import threading
import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot


class ChatWorker(QObject):
    """Owns one engine; its slots run on the worker thread."""

    loaded = Signal(str)  # a description of the loaded model
    token = Signal(str)
    replied = Signal(dict)  # {"text", "tokens", "seconds", "finish_reason"}
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.stop_event = threading.Event()
        self._engine: Any = None
        self._key: tuple[str | None, str | None] | None = None

    @Slot(object, object)
    def load(self, model: str | None, adapter: str | None) -> None:
        """Open the engine for (model, adapter) unless it is already the loaded one."""
        if self._key == (model, adapter) and self._engine is not None:
            return
        self._close()
        try:
            from ilabdesk.chat.factory import open_engine

            started = time.monotonic()
            self._engine = open_engine(model, adapter)
            self._key = (model, adapter)
        except Exception as exc:  # a bad model file is the user's to fix; show it in the pane
            self._key = None
            self.failed.emit(_message(exc))
            return
        name = getattr(self._engine, "name", None) or (model or "embedded model")
        note = getattr(self._engine, "note", None)
        self.loaded.emit(f"{name} (loaded in {time.monotonic() - started:.1f}s)" + (f"; {note}" if note else ""))

    @Slot(list, dict)
    def generate(self, messages: list, params: dict) -> None:
        """Stream a reply to `messages`; emits `token` per piece, then `replied`."""
        if self._engine is None:
            self.failed.emit("no model is loaded: pick one above")
            return
        from ilabdesk.chat.engine import GenerationParams

        self.stop_event.clear()
        pieces: list[str] = []
        started = time.monotonic()
        try:
            for piece in self._engine.stream(messages, GenerationParams(**params), self.stop_event):
                pieces.append(piece)
                self.token.emit(piece)
        except Exception as exc:
            self.failed.emit(_message(exc))
            return
        text = "".join(pieces)
        reason = "cancelled" if self.stop_event.is_set() else "stop"
        self.replied.emit(
            {
                "text": text,
                "tokens": len(pieces),
                "seconds": time.monotonic() - started,
                "finish_reason": reason,
                "trimmed_turns": getattr(self._engine, "last_trimmed_turns", 0),
            }
        )

    @Slot()
    def close_and_quit(self) -> None:
        """Free the engine here, on its own thread, then end the thread's loop."""
        self._close()
        QThread.currentThread().quit()

    def _close(self) -> None:
        if self._engine is not None:
            try:
                self._engine.close()
            finally:
                self._engine = None
                self._key = None


def _message(exc: Exception) -> str:
    from ilabdesk.errors import UserError, user_message

    return user_message(exc) if isinstance(exc, UserError | OSError) else f"{type(exc).__name__}: {exc}"


class ChatThread(QObject):
    """The UI-side handle of a worker: request signals in, worker signals out."""

    requestLoad = Signal(object, object)
    requestGenerate = Signal(list, dict)
    requestClose = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName(f"chat-{name}")
        self.worker = ChatWorker()
        self.worker.moveToThread(self.thread)
        self.requestLoad.connect(self.worker.load)
        self.requestGenerate.connect(self.worker.generate)
        self.requestClose.connect(self.worker.close_and_quit)
        self.thread.start()
        app = QCoreApplication.instance()
        if app is not None:  # never leave a running thread behind when the app quits
            app.aboutToQuit.connect(self.shutdown)
        _live.add(self)

    def stop(self) -> None:
        self.worker.stop_event.set()

    def shutdown(self, wait_ms: int = 10_000) -> None:
        """Stop generating, free the engine on its own thread, end the thread."""
        _live.discard(self)
        self.stop()
        if self.thread.isRunning():
            try:
                self.requestClose.emit()  # the engine is freed on its own thread, which then ends
            except RuntimeError:  # this handle was deleted with its pane: just end the thread
                self.thread.quit()
            if not self.thread.wait(wait_ms):
                self.thread.quit()
                self.thread.wait(1000)


_live: set[ChatThread] = set()


@atexit.register
def _shutdown_all() -> None:
    """A QThread destroyed while running aborts the process: stop any left running at exit."""
    for chat in list(_live):
        chat.shutdown(2000)
