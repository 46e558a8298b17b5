"""Background calls: short ones in the helper process, long ones on a thread, results on the UI thread."""

from __future__ import annotations

import pickle
import threading
import time

import pytest

from ilabdesk.gui import background
from ilabdesk.gui.background import run_in_background, wait_for_background


def _results():
    got: list[tuple[str, object, bool]] = []
    main = threading.main_thread()

    def done(value):
        got.append(("done", value, threading.current_thread() is main))

    def failed(message):
        got.append(("failed", message, threading.current_thread() is main))

    return got, done, failed


def test_short_calls_run_in_the_helper_and_answer_on_the_ui_thread(qtbot, tmp_path):
    import os

    from ilabdesk.taxonomy.tree import scan

    got, done, failed = _results()
    run_in_background(os.getpid, on_done=done, on_error=failed)
    run_in_background(scan, tmp_path / "missing", on_done=done, on_error=failed)
    qtbot.waitUntil(lambda: len(got) == 2, timeout=30_000)
    (kind, pid, on_ui), (kind2, message, on_ui2) = got
    assert kind == "done" and pid != os.getpid() and on_ui  # another process answered, on the UI thread
    assert kind2 == "failed" and "missing: not a folder" in message and on_ui2
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        run_in_background(lambda: 1)  # a short call must be a module-level function: refused at once


def test_a_helper_that_dies_fails_its_calls_and_the_next_call_starts_a_new_one(qtbot):
    got, done, failed = _results()
    run_in_background(time.sleep, 30, on_done=done, on_error=failed)
    process = background._helper._process
    assert process.waitForStarted(10_000)
    process.kill()
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    assert got[0][0] == "failed" and "stopped" in got[0][1]
    run_in_background(abs, -4, on_done=done, on_error=failed)
    qtbot.waitUntil(lambda: len(got) == 2, timeout=30_000)
    assert got[1][:2] == ("done", 4)


def test_long_calls_run_on_a_thread_of_the_window(qtbot):
    got, done, failed = _results()
    run_in_background(threading.get_ident, on_done=done, on_error=failed, long_running=True)
    run_in_background(int, "x", on_done=done, on_error=failed, long_running=True)
    qtbot.waitUntil(lambda: len(got) == 2, timeout=10_000)
    outcome = dict((kind, value) for kind, value, _ in got)
    assert outcome["done"] != threading.get_ident() and all(on_ui for *_, on_ui in got)
    assert outcome["failed"].startswith("ValueError: invalid literal")


def test_waiting_for_background_ends_the_helper(qtbot):
    run_in_background(time.sleep, 0.2)
    process = background._helper._process
    assert wait_for_background(10_000)
    assert background._helper._process is None and process.state() == process.ProcessState.NotRunning


def test_a_helper_that_cannot_start_fails_its_calls_with_a_message(qtbot, monkeypatch, tmp_path):
    import ilabdesk.bundle

    monkeypatch.setattr(ilabdesk.bundle, "app_command", lambda: [str(tmp_path / "no-such-program")])
    got, done, failed = _results()
    run_in_background(abs, -1, on_done=done, on_error=failed)
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    assert got[0][0] == "failed" and "could not start the background helper" in got[0][1]
