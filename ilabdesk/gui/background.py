"""Run a short function off the UI thread and get its result back on the UI thread.

Validation, scanning a checkout and git diffs take tens to hundreds of
milliseconds; doing them on the UI thread would make typing stutter. A `Task`
is created on the UI thread, its function runs on the global thread pool, and
the result travels back through a queued signal to the Task (which lives on the
UI thread), which then calls the callbacks there, so any callable (a lambda
too) is safe as a callback.

The tasks are Python code, so under the GIL two of them at once finish no
sooner than one after the other, but they do take the GIL from the UI thread
twice as often: right after a drop, two validations side by side stalled the
UI thread for 110-170 ms with only 35 ms of its own work. Short tasks therefore
take turns (a lock; the one waiting costs nothing). Long ones (copying a model,
a git push), which mostly wait for the disk or the network, do not take part,
so they never hold up validation.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class Task(QObject):
    """One background call; `done(result)` or `failed(message)` fire on the UI thread."""

    done = Signal(object)
    failed = Signal(str)
    _result = Signal(bool, object)

    def __init__(self, function: Callable[..., Any], *args: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._function = function
        self._args = args
        self._result.connect(self._deliver)

    def start(self, long_running: bool = False) -> Task:
        _running.add(self)  # keep the Python object alive until the result is delivered
        QThreadPool.globalInstance().start(_Runnable(self, long_running))
        return self

    @Slot(bool, object)
    def _deliver(self, ok: bool, value: object) -> None:
        _running.discard(self)
        if ok:
            self.done.emit(value)
        else:
            self.failed.emit(str(value))

    def _run(self) -> None:
        try:
            result = self._function(*self._args)
        except Exception as exc:  # report every failure to the UI; a worker must never die silently
            from ilabdesk.errors import UserError

            if isinstance(exc, UserError):
                message = str(exc)
            else:
                traceback.print_exc()
                message = f"{type(exc).__name__}: {exc}"
            self._result.emit(False, message)
            return
        self._result.emit(True, result)


class _Runnable(QRunnable):
    def __init__(self, task: Task, long_running: bool) -> None:
        super().__init__()
        self._task = task
        self._long_running = long_running

    def run(self) -> None:
        if self._long_running:
            self._task._run()
            return
        with _short_turn:
            self._task._run()


_short_turn = threading.Lock()


_running: set[Task] = set()


def run_in_background(
    function: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    long_running: bool = False,
) -> Task:
    """Start `function(*args)` on the pool; the callbacks run on the UI thread.

    `long_running`: seconds or more of waiting (copies, network), run beside the short tasks.
    """
    task = Task(function, *args)
    if on_done is not None:
        task.done.connect(on_done)
    if on_error is not None:
        task.failed.connect(on_error)
    return task.start(long_running)


def wait_for_background(timeout_ms: int = 30000) -> bool:
    """Block until the pool is idle (used on quit so no thread outlives the app)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
