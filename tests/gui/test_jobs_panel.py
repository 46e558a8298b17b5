"""Jobs run as real child processes: progress, result, queueing, cancel, a killed process."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from gui_helpers import GapMeter
from PySide6.QtCore import Qt

from ilabdesk.gui.jobs import CANCELLED, CRASHED, FINISHED, QUEUED, RUNNING

HERE = Path(__file__).parent
COUNT = "jobhelpers:counting_job"


@pytest.fixture(autouse=True)
def importable_helpers(monkeypatch):
    """Child processes import the job functions by module name."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(HERE.parent)]))


def test_job_shows_progress_and_result_without_blocking_the_ui(window, qtbot):
    meter = GapMeter()
    meter.start()
    job = window.start_job("gui_helpers:loss_job", {"steps": 12, "sleep": 0.05, "output": str(HERE)}, "Tiny training")
    panel = window.jobs_panel
    assert panel.current_job() is job
    qtbot.waitUntil(lambda: job.state == RUNNING and (job.done or 0) >= 3, timeout=20_000)
    assert 0 < panel.progress.value() <= 12 and panel.progress.maximum() == 12
    qtbot.waitUntil(lambda: job.state == FINISHED, timeout=20_000)
    meter.stop()
    assert panel.progress.value() == 12
    assert "finished" in panel.title.text() and "trained" in panel.title.text()
    assert "training (test)" in panel.log_view.toPlainText()
    assert len(panel.chart.points()) == 12 and panel.chart.points()[-1] == (12, pytest.approx(2.0 / 12))
    assert panel.open_button.isEnabled()
    assert panel.list.item(0).text().startswith("✔ Tiny training")
    meter.assert_responsive(0.1)


def test_heavy_jobs_queue_and_cancel(window, qtbot):
    first = window.start_job(COUNT, {"n": 200, "sleep": 0.05})
    second = window.start_job(COUNT, {"n": 2})
    qtbot.waitUntil(lambda: first.state == RUNNING and (first.done or 0) >= 1, timeout=20_000)
    assert second.state == QUEUED  # two heavy jobs never run at once
    window.jobs_panel.select(first)
    qtbot.mouseClick(window.jobs_panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.state == CANCELLED, timeout=20_000)
    qtbot.waitUntil(lambda: second.state == FINISHED, timeout=20_000)
    assert second.result == {"total": 2}


def test_killed_job_process_shows_error_app_stays_up_and_resumes(window, qtbot):
    job = window.start_job(COUNT, {"n": 200, "sleep": 0.05}, "Long count")
    qtbot.waitUntil(lambda: job.state == RUNNING and (job.done or 0) >= 2, timeout=20_000)
    os.kill(job.pid(), signal.SIGKILL)  # what the OOM killer does
    qtbot.waitUntil(lambda: job.state == CRASHED, timeout=20_000)
    panel = window.jobs_panel
    assert window.isVisible()
    assert "crashed" in panel.title.text() and "killed" in panel.title.text()
    assert panel.resume_button.isEnabled()
    qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    resumed = next(j for j in window.jobs.jobs if j.job_dir == job.job_dir)
    assert resumed is not job and resumed.job_dir == job.job_dir
    qtbot.waitUntil(lambda: resumed.state == RUNNING, timeout=20_000)
    resumed.cancel()
    qtbot.waitUntil(lambda: resumed.state == CANCELLED, timeout=20_000)


def test_failing_job_shows_its_error(window, qtbot):
    job = window.start_job(COUNT, {"n": 1, "fail": True})
    qtbot.waitUntil(lambda: job.outcome is not None, timeout=20_000)
    assert job.outcome.state == "failed"
    assert "the input is wrong" in window.jobs_panel.title.text()


def test_history_lists_earlier_jobs(window, qtbot):
    from ilabdesk.gui.jobs import JobQueue

    job = window.start_job(COUNT, {"n": 1})
    qtbot.waitUntil(lambda: job.state == FINISHED, timeout=20_000)
    later = JobQueue()
    later.load_history()
    assert [j.state for j in later.jobs] == [FINISHED]
    assert later.jobs[0].result == {"total": 1}


def test_after_a_restart_the_newest_job_is_selected_and_jobs_are_named(window, qtbot):
    from ilabdesk.gui.jobs import JobQueue
    from ilabdesk.gui.jobs_panel import JobsPanel

    first = window.start_job(COUNT, {"n": 1, "output": "/data/runs/island-run"})
    qtbot.waitUntil(lambda: first.state == FINISHED, timeout=20_000)
    import time

    time.sleep(1.1)  # job folders are named by the second they start
    second = window.start_job(COUNT, {"n": 1})
    qtbot.waitUntil(lambda: second.state == FINISHED, timeout=20_000)
    assert " · island-run · " in first.title  # kind, what it works on, when
    later = JobQueue()
    panel = JobsPanel(later)  # as at start-up: the window first, then the history
    qtbot.addWidget(panel)
    later.load_history()
    assert panel.current_job().job_dir == second.job_dir


def test_history_read_late_does_not_duplicate_running_jobs(window, qtbot):
    job = window.start_job(COUNT, {"n": 3, "sleep": 0.05})
    window.jobs.load_history()  # e.g. read after the user already started a job
    assert [j.job_dir for j in window.jobs.jobs].count(job.job_dir) == 1
    assert window.jobs_panel.list.count() == 1
    qtbot.waitUntil(lambda: job.state == FINISHED, timeout=20_000)


def test_job_dialogs_start_from_the_open_leaf(window, sample, qtbot):
    from ilabdesk.gui.job_dialogs import JobDialog

    leaf = sample / "knowledge/geography/islands/quellmoor_island/qna.yaml"
    window.open_leaf(leaf)
    generate = JobDialog("generate", window.job_defaults("generate"), window)
    qtbot.addWidget(generate)
    args = generate.args()
    assert args["taxonomy"] == str(sample) and args["leaves"] == [str(leaf.parent)]
    from ilabdesk.settings import paths

    assert Path(args["output"]).parent == paths().datasets and Path(args["output"]).name.startswith("quellmoor_island-")
    train = JobDialog("train", window.job_defaults("train"), window)
    qtbot.addWidget(train)
    train._accept()
    assert train.result() == 0 and "Dataset folder" in train.error.text()  # required, none generated yet
    convert = JobDialog("convert", {"run": "/runs/r1", "quantize": "Q8_0"}, window)
    qtbot.addWidget(convert)
    assert convert.args() == {"run": "/runs/r1", "quantize": "Q8_0"}
