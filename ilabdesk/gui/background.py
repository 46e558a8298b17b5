"""Run a function away from the UI thread and get its result back on the UI thread.

Validation, scanning a checkout and git diffs take tens to hundreds of
milliseconds of Python; on the UI thread they would make typing stutter, and
on a thread beside it they would too: PySide releases the GIL around its
calls into Qt, and a thread computing in Python holds it for up to 5 ms each
time the UI thread wants it back (a form that builds in 27 ms alone took 1.8 s
beside one). So short calls go to the window's helper process
(`ilabdesk.jobs.helper`), one at a time, and their functions must be
module-level functions of picklable arguments.

Long calls (copying a model, a git push) mostly wait for the disk or the
network, which releases the GIL, and may need the window's own state (the
keyring): they run on Qt's global thread pool.

A `Task` lives on the UI thread and calls its callbacks there, so any callable
(a lambda too) is safe as a callback.
"""

from __future__ import annotations

import itertools
import os
import pickle
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QProcess, QRunnable, QThreadPool, Signal, Slot

from ilabdesk.jobs.helper import call, frame, split_frames


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

    @Slot(bool, object)
    def _deliver(self, ok: bool, value: object) -> None:
        _running.discard(self)
        if ok:
            self.done.emit(value)
        else:
            self.failed.emit(str(value))


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task

    def run(self) -> None:
        self._task._result.emit(*call(self._task._function, self._task._args))


class _Helper:
    """The helper process seen from the window: requests out, replies in on the UI thread.

    It starts with the first call and again after it stopped, or when the
    environment changed (the calls may read it). The QProcess belongs to the
    application object while in use; once unwired it is deleted either by
    Python (`stop`) or by Qt (`deleteLater`, from inside its own signals),
    never by both.
    """

    def __init__(self) -> None:
        self._process: QProcess | None = None
        self._env: dict[str, str] = {}
        self._buffer = bytearray()
        self._pending: dict[int, Task] = {}
        self._ids = itertools.count()
        self._dropping = False

    def submit(self, task: Task) -> None:
        ident = next(self._ids)
        request = frame((ident, task._function, task._args))  # a lambda or an open file fails here, at once
        if self._process is None or self._env != os.environ:
            self.stop()
            self._start()
        self._pending[ident] = task
        self._process.write(request)

    def _start(self) -> None:
        from ilabdesk.bundle import app_command

        command = [*app_command(), "job", "helper"]
        process = QProcess(QCoreApplication.instance())
        process.setProcessChannelMode(QProcess.ProcessChannelMode.ForwardedErrorChannel)
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._ended)
        process.errorOccurred.connect(self._error)
        self._env = dict(os.environ)
        self._buffer.clear()
        self._process = process
        process.start(command[0], command[1:])

    def _read(self) -> None:
        if self._process is None:
            return
        self._buffer += bytes(self._process.readAllStandardOutput().data())
        for data in split_frames(self._buffer):
            ident, ok, value = pickle.loads(data)
            task = self._pending.pop(ident, None)
            if task is None:
                continue
            if self._dropping:
                _running.discard(task)
            else:
                task._deliver(ok, value)

    def _ended(self) -> None:
        if self._process is not None:
            self._lost(f"the background helper stopped (exit code {self._process.exitCode()}); try again")

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._process is not None:
            self._lost(f"could not start the background helper ({self._process.errorString()})")

    def _lost(self, message: str) -> None:
        """The process died or never started: drop it (from inside its own signal, so Qt deletes it
        after) and fail what it was asked; the next call starts a new one."""
        process, self._process = self._process, None
        self._unwire(process)
        process.deleteLater()
        self._fail_pending(message)

    def _fail_pending(self, message: str) -> None:
        pending, self._pending = self._pending, {}
        for task in pending.values():
            task._deliver(False, message)

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Let the helper finish what it was asked (results are dropped), then end it."""
        process = self._process
        if process is None:
            return True
        deadline = time.monotonic() + timeout_ms / 1000
        self._dropping = True
        try:
            process.waitForStarted(timeout_ms)
            while self._pending and process.state() == QProcess.ProcessState.Running:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    break
                if process.waitForReadyRead(min(left, 100)) or process.bytesAvailable():
                    self._read()
        finally:
            self._dropping = False
        idle = not self._pending
        for task in self._pending.values():
            _running.discard(task)
        self._pending.clear()
        self._process = None
        self._unwire(process)  # an exit now is no failure to report
        process.closeWriteChannel()  # end of requests: the helper exits
        if not process.waitForFinished(2000):
            process.kill()
            process.waitForFinished(2000)
        process.setParent(None)  # Python's reference is the last one: deleted on return
        return idle

    def _unwire(self, process: QProcess) -> None:
        """Cut a used-up process's ties to Python, so that nothing it still emits (its exit, the
        teardown of a `deleteLater`-ed process at quit) calls back into this object."""
        process.readyReadStandardOutput.disconnect(self._read)
        process.finished.disconnect(self._ended)
        process.errorOccurred.disconnect(self._error)


_running: set[Task] = set()
_helper: _Helper | None = None


def run_in_background(
    function: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    long_running: bool = False,
) -> Task:
    """Start `function(*args)` away from the UI thread; the callbacks run on the UI thread.

    Short calls go to the helper process (`function` must be a module-level
    function, `args` picklable); `long_running` ones (seconds or more of
    waiting for the disk or the network) run on a thread of this process.
    """
    global _helper
    task = Task(function, *args)
    if on_done is not None:
        task.done.connect(on_done)
    if on_error is not None:
        task.failed.connect(on_error)
    _running.add(task)  # keep the Python object alive until the result is delivered
    if long_running:
        QThreadPool.globalInstance().start(_Runnable(task))
    else:
        if _helper is None:
            _helper = _Helper()
        _helper.submit(task)
    return task


def wait_for_background(timeout_ms: int = 30000) -> bool:
    """Block until no background call runs, ending the helper (used on quit, so nothing outlives the app)."""
    started = time.monotonic()
    idle = _helper.stop(timeout_ms) if _helper is not None else True
    left = max(0, timeout_ms - int((time.monotonic() - started) * 1000))
    return QThreadPool.globalInstance().waitForDone(left) and idle
