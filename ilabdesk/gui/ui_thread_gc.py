"""Cyclic garbage is collected on the UI thread only, while a main window is open.

Python's collector runs in whichever thread happens to allocate when a
threshold is crossed. When that is a pool thread (validation, git, a chat
worker) and the garbage holds a Qt object, Qt deletes it outside the UI
thread and the app crashes: seen as a segfault in "Garbage-collecting" inside
a validation task while the leaf form rebuilt. So while a window is open,
automatic collection is off and a timer on the UI thread collects each
generation when its count passes the usual threshold (pyqtgraph does the same).

What exists when a window opens (every imported module, Qt's bindings) and
what survives a full collection later is frozen (`gc.freeze`): it is
long-lived, and scanning the whole heap took the UI thread 150 ms at a time
once a chat model was loaded, over 300 ms in a process that had imported
torch and transformers. Full collections look only at what is newer; closing
the last window unfreezes everything again.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

_holders = 0  # open windows that asked for UI-thread collection
INTERVAL_MS = 250


class UiThreadCollector(QObject):
    """Owned by a window, which calls `stop()` when it closes to give collection back to Python."""

    def __init__(self, parent: QObject) -> None:
        global _holders
        super().__init__(parent)
        self._active = True
        _holders += 1
        gc.disable()
        gc.freeze()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    @Slot()
    def collect_due(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds."""
        thresholds = gc.get_threshold()
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                if generation == 2:
                    gc.freeze()
                return

    def stop(self) -> None:
        if self._active:
            self._active = False
            self.timer.stop()
            _release()


def _release() -> None:
    """One holder fewer; the last one switches automatic collection back on."""
    global _holders
    _holders = max(_holders - 1, 0)
    if _holders == 0:
        gc.unfreeze()
        gc.enable()
