"""Jobs: events as JSON lines, in-process runs, child processes, cancel, errors."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from ilabdesk.jobs import Cancel, Cancelled, Event, ProgressTracker
from ilabdesk.jobs.console import ConsoleReporter, format_duration
from ilabdesk.jobs.runner import JobProcess, JobSpec, run_events

HERE = Path(__file__).parent


@pytest.fixture
def counting_kind(monkeypatch):
    """A job given as "module:function", which a child process can import too."""
    monkeypatch.setenv("PYTHONPATH", str(HERE))
    return "jobhelpers:counting_job"


def test_event_json_round_trip():
    event = Event("progress", "x", stage="s", done=1, total=4, eta_s=2.5, data={"loss": 0.5})
    again = Event.from_json(event.to_json())
    assert again == event
    with pytest.raises(ValueError):
        Event.from_json('{"type": "nonsense"}')


def test_progress_tracker_eta_counts_only_this_session():
    tracker = ProgressTracker(total=10, done=5)
    assert tracker.event().eta_s is None  # nothing done here yet: no made-up speed
    time.sleep(0.05)
    event = tracker.advance()
    assert event.done == 6 and event.total == 10
    assert 0 < event.eta_s < 5


def test_cancel_raises_between_units():
    cancel = Cancel()
    cancel.check()
    cancel.set()
    with pytest.raises(Cancelled):
        cancel.check()


def test_run_events_turns_errors_into_events(counting_kind):
    events = list(run_events(JobSpec(counting_kind, {"n": 3})))
    assert [e.type for e in events] == ["stage", "progress", "progress", "progress", "done"]
    last = list(run_events(JobSpec(counting_kind, {"n": 1, "fail": True})))[-1]
    assert last.type == "error" and "the input is wrong" in last.message and "fix it" in last.message
    last = list(run_events(JobSpec(counting_kind, {"n": 1, "crash": True})))[-1]
    assert last.type == "error" and "RuntimeError: boom" in last.message
    assert "Traceback" in last.data["traceback"]
    unknown = list(run_events(JobSpec("no-such-kind")))
    assert unknown[-1].type == "error" and "unknown job kind" in unknown[-1].message


def test_cancelled_in_process(counting_kind):
    cancel = Cancel()
    events = []
    for event in run_events(JobSpec(counting_kind, {"n": 50}), cancel):
        events.append(event)
        if event.type == "progress" and event.done == 2:
            cancel.set()
    assert events[-1].type == "error" and events[-1].data["cancelled"]
    assert events[-2].done == 2


def test_child_process_streams_events_and_cancels(counting_kind, tmp_path, monkeypatch):
    job = JobProcess(JobSpec(counting_kind, {"n": 3}), tmp_path / "job1")
    events = list(job.events())
    assert events[-1].type == "done" and events[-1].data == {"total": 3}
    logged = [json.loads(line) for line in (tmp_path / "job1" / "events.jsonl").read_text().splitlines()]
    assert len(logged) == len(events)

    slow = JobProcess(JobSpec(counting_kind, {"n": 1000, "sleep": 0.05}), tmp_path / "job2")
    seen = []
    for event in slow.events():
        seen.append(event)
        if event.type == "progress" and event.done == 3:
            slow.cancel()
    assert seen[-1].type == "error" and seen[-1].data.get("cancelled")
    assert slow.proc.returncode == 3


def test_console_reporter_plain_output(counting_kind):
    import io

    stream = io.StringIO()
    ok, result = ConsoleReporter(stream).run(run_events(JobSpec(counting_kind, {"n": 2})))
    assert ok and result == {"total": 2}
    text = stream.getvalue()
    assert "== count" in text and "2/2" in text
    assert format_duration(3725) == "1h02m" and format_duration(75) == "1m15s" and format_duration(None) == "--"


def test_self_command_reruns_this_python():
    from ilabdesk.jobs.runner import self_command

    assert self_command()[:3] == [sys.executable, "-m", "ilabdesk"]
