"""The Qt binding itself: a bug in it surfaces far from its cause, so it is checked here directly."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    value = Signal(object)
    flag = Signal(bool)


def test_emitting_true_keeps_its_reference_count():
    """PySide6 6.12.0 dropped a reference to Python's True at every emit; on Python 3.11 the process
    then aborted ("bool_dealloc ... refcount error") after some thousands of background results."""
    emitter = _Emitter()
    seen = []
    emitter.value.connect(seen.append)
    emitter.flag.connect(seen.append)
    before = sys.getrefcount(True)
    for _ in range(20):
        emitter.value.emit(True)
        emitter.flag.emit(True)
    assert seen == [True] * 40
    seen.clear()
    assert sys.getrefcount(True) - before >= 0
