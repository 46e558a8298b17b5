"""Background jobs as child processes, seen from the UI: a QProcess wrapper and a queue.

Each job is the app itself re-run as `job run SPEC` (see `ilabdesk.jobs.runner`),
so a crash or an out-of-memory in a job ends that process, never the window or
the user's unsaved edits. `JobRun` reads the child's JSON-line events and ends
in a `JobOutcome`; `JobQueue` starts jobs so that two heavy ones (SDG,
training, conversion, evaluation, the whole pipeline) never compete for the
laptop's cores, and lists the jobs of earlier sessions so they can be resumed.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal, Slot

from ilabdesk.jobs.events import Event
from ilabdesk.jobs.stages import StagePlan
from ilabdesk.settings import paths

if TYPE_CHECKING:  # the runner (subprocess, signals, the job registry) loads with the first job, not at start-up
    from ilabdesk.jobs.runner import JobSpec

KIND_TITLES = {
    "ingest": "Ingest documents",
    "generate": "Generate data (SDG)",
    "train": "Train",
    "convert": "Convert to GGUF",
    "evaluate": "Evaluate",
    "pipeline": "Whole run",
}

# States a job moves through; the last four are final.
QUEUED, RUNNING, FINISHED, FAILED, CANCELLED, CRASHED, INTERRUPTED = (
    "queued",
    "running",
    "finished",
    "failed",
    "cancelled",
    "crashed",
    "interrupted",
)
FINAL_STATES = (FINISHED, FAILED, CANCELLED, CRASHED, INTERRUPTED)
LOG_LINES = 5000
CANCEL_GRACE_MS = 10_000


def _subject(args: dict[str, Any]) -> str:
    """What a job works on, in a few words: its leaves, else the folder it reads or writes."""
    leaves = args.get("leaves") or ([args["leaf"]] if isinstance(args.get("leaf"), str) else [])
    if isinstance(leaves, list) and leaves:
        names = [Path(p).parent.name if Path(p).name == "qna.yaml" else Path(p).name for p in map(str, leaves)]
        return ", ".join(names[:2]) + ("…" if len(names) > 2 else "")
    for key in ("taxonomy", "output", "run", "data"):
        if isinstance(args.get(key), str) and args[key]:
            return Path(args[key]).name
    return ""


def is_heavy(spec: JobSpec) -> bool:
    """Jobs that load a model or train; at most one of them runs at a time."""
    return spec.kind != "ingest" or bool(spec.args.get("draft_seeds"))


@dataclass
class JobOutcome:
    """How a job ended: what the user reads, and the job's result data."""

    state: str
    message: str
    result: dict[str, Any] = field(default_factory=dict)
    exit_code: int | None = None
    details: str = ""  # a traceback or the child's last stderr lines


class JobRun(QObject):
    """One job: its spec, live state, and the child process while it runs."""

    changed = Signal()  # state, progress, stage or result changed
    events = Signal(list)  # a batch of new Events, in order
    finished = Signal(object)  # JobOutcome

    def __init__(self, spec: JobSpec, job_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.job_dir = job_dir
        self.spec_path = job_dir / "spec.json"
        self.state = QUEUED
        self.stage = ""
        self.message = ""
        self.done: int | None = None
        self.total: int | None = None
        self.eta_s: float | None = None
        self.plan: StagePlan | None = None  # a whole run's stages, each with its own progress
        self.log: deque[str] = deque(maxlen=LOG_LINES)
        self.log_count = 0  # lines ever logged; a view shows the new ones by comparing counts
        self.losses: list[tuple[int, float]] = []
        self.artifacts: list[dict[str, Any]] = []
        self.result: dict[str, Any] = {}
        self.outcome: JobOutcome | None = None
        self._error: Event | None = None
        self._done_seen = False
        self._cancel_requested = False
        self._stdout_buffer = b""
        self._stderr_tail: deque[str] = deque(maxlen=40)
        self.process: QProcess | None = None

    # --- what the panel shows -------------------------------------------------

    @property
    def title(self) -> str:
        """The given title, else "Whole run · island_leaf · 4 Dec 20:53": kind, what it works on, when."""
        if self.spec.title:
            return self.spec.title
        parts = [KIND_TITLES.get(self.spec.kind, self.spec.kind), _subject(self.spec.args)]
        try:
            started = time.strptime(self.spec.id[:15], "%Y%m%d-%H%M%S")
            parts.append(f"{started.tm_mday} {time.strftime('%b %H:%M', started)}")
        except ValueError:
            pass  # a spec written by hand, without the time in its id
        return " · ".join(p for p in parts if p)

    @property
    def heavy(self) -> bool:
        return is_heavy(self.spec)

    def output_dir(self) -> Path:
        """The folder worth opening: the job's declared output, else its own folder."""
        for source in (self.result, self.spec.args):
            for key in ("output", "run", "dataset", "report_dir"):
                value = source.get(key)
                if isinstance(value, str) and value:
                    path = Path(value)
                    return path if path.is_dir() or not path.suffix else path.parent
        leaf = self.spec.args.get("leaf")
        if isinstance(leaf, str) and leaf:
            path = Path(leaf)
            return path.parent if path.suffix else path
        return self.job_dir

    def report_file(self) -> Path | None:
        """For a finished evaluation or whole run: its evaluation's report.json, if it is there."""
        if self.spec.kind not in ("evaluate", "pipeline") or self.state != FINISHED:
            return None
        value = self.result.get("report") or (self.result.get("evaluation") or {}).get("report")
        return Path(value) if isinstance(value, str) and Path(value).is_file() else None

    def run_dir(self) -> Path | None:
        """For a finished training or pipeline job: the training run folder (for "Compare in chat")."""
        if self.spec.kind not in ("train", "pipeline") or self.state != FINISHED:
            return None
        candidates = [self.result.get("run"), self.result.get("run_dir"), self.spec.args.get("output")]
        for value in candidates:
            if isinstance(value, str) and value:
                path = Path(value)
                for folder in (path, path / "run", path / "train"):
                    if (folder / "adapter").exists() or (folder / "adapter.gguf").exists():
                        return folder
        return None

    # --- running --------------------------------------------------------------

    def start(self) -> None:
        """Start the child process (the queue calls this)."""
        if not self.spec_path.exists():  # submit wrote it; a resumed job's is there from its first run
            self.job_dir.mkdir(parents=True, exist_ok=True)
            self.spec.save(self.spec_path, durable=False)  # an fsync here would stall the UI on a busy disk
        from ilabdesk.jobs.runner import PRIORITY_ENV, self_command

        command = self_command()
        process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert(PRIORITY_ENV, "low")  # the window stays quick while the job works
        process.setProcessEnvironment(env)
        process.setProgram(command[0])
        process.setArguments([*command[1:], "job", "run", str(self.spec_path)])
        process.setWorkingDirectory(str(self.job_dir))
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_process_error)
        self.process = process
        self.state = RUNNING
        self.message = "starting…"
        self._error = None
        self._done_seen = False
        self._cancel_requested = False
        self.changed.emit()
        process.start()

    def cancel(self) -> None:
        """Ask the job to stop (SIGTERM lets it finish the current unit), kill it after a grace period."""
        if self.state == QUEUED:
            self._end(JobOutcome(CANCELLED, "cancelled before it started"))
            return
        if self.process is None or self.state != RUNNING:
            return
        self._cancel_requested = True
        self.message = "stopping…"
        self.changed.emit()
        self.process.terminate()
        QTimer.singleShot(CANCEL_GRACE_MS, self._kill_if_running)

    def kill(self) -> None:
        """Stop the child at once (what an out-of-memory kill looks like to the app)."""
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()

    def pid(self) -> int | None:
        if self.process is None or self.process.state() == QProcess.ProcessState.NotRunning:
            return None
        return int(self.process.processId())

    @Slot()
    def _kill_if_running(self) -> None:
        if self.state == RUNNING:
            self.kill()

    @Slot()
    def _read_stdout(self) -> None:
        assert self.process is not None
        self._stdout_buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._stdout_buffer = self._stdout_buffer.split(b"\n")
        batch = [self._parse(raw) for raw in lines if raw.strip()]
        if batch:
            for event in batch:
                self.apply(event)
            self.events.emit(batch)
            self.changed.emit()

    @Slot()
    def _read_stderr(self) -> None:
        assert self.process is not None
        text = bytes(self.process.readAllStandardError()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                self._stderr_tail.append(line)

    @staticmethod
    def _parse(raw: bytes) -> Event:
        line = raw.decode("utf-8", "replace").strip()
        try:
            return Event.from_json(line)
        except ValueError:
            return Event.log(line)

    def _log(self, line: str) -> None:
        self.log.append(line)
        self.log_count += 1

    def new_log_lines(self, seen: int) -> list[str]:
        """Lines logged after the first `seen` ones (those still kept)."""
        fresh = min(self.log_count - seen, len(self.log))
        return list(self.log)[len(self.log) - fresh :] if fresh > 0 else []

    def _add_loss(self, data: dict[str, Any]) -> None:
        """Training reports loss in progress events (per step) and metric events (with val_loss)."""
        loss = data.get("loss")
        if not isinstance(loss, (int, float)) or isinstance(loss, bool):
            return
        step = data.get("step", data.get("iter"))
        step = int(step) if isinstance(step, (int, float)) else len(self.losses) + 1
        if self.losses and self.losses[-1][0] == step:
            self.losses[-1] = (step, float(loss))
        elif not self.losses or step > self.losses[-1][0]:
            self.losses.append((step, float(loss)))
        else:  # a resumed run starts again from its checkpoint's step
            self.losses = [p for p in self.losses if p[0] < step] + [(step, float(loss))]

    def apply(self, event: Event) -> None:
        """Fold one event into the job's state (also used to replay an old job's journal)."""
        self.plan = self.plan or StagePlan.of(event)
        if self.plan is not None:
            self.plan.apply(event)
        if event.type in ("progress", "metric"):
            self._add_loss(event.data)
        if event.type == "progress":
            self.done, self.total, self.eta_s = event.done, event.total, event.eta_s
            if event.stage:
                self.stage = event.stage
            if event.message:
                self.message = event.message
        elif event.type == "stage":
            self.stage = event.stage or event.message
            self.message = event.message
            self.done = self.total = self.eta_s = None
            self._log(f"== {event.message}")
        elif event.type == "log":
            self._log(event.message)
        elif event.type == "metric":
            if event.message:
                self._log(event.message)
        elif event.type == "artifact":
            self.artifacts.append(event.data)
            self._log(event.message)
        elif event.type == "done":
            self.result = dict(event.data)
            self._done_seen = True
            self.message = event.message
            self._log(event.message)
        elif event.type == "error":
            self._error = event
            self._log(f"error: {event.message}")

    @Slot(int, QProcess.ExitStatus)
    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        if self._stdout_buffer.strip():
            self._stdout_buffer += b"\n"
            self._read_stdout()
        self._end(self._outcome(code, status == QProcess.ExitStatus.CrashExit))

    @Slot(QProcess.ProcessError)
    def _on_process_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            program = self.process.program() if self.process else "?"
            self._end(JobOutcome(CRASHED, f"the job could not start ({program}): {self.process.errorString()}"))

    def _outcome(self, code: int, crashed: bool) -> JobOutcome:
        stderr = "\n".join(self._stderr_tail)
        if self._error is not None:
            if self._error.data.get("cancelled") or self._cancel_requested:
                return JobOutcome(CANCELLED, "cancelled; resume to continue where it stopped", exit_code=code)
            return JobOutcome(
                FAILED, self._error.message, exit_code=code, details=self._error.data.get("traceback", stderr)
            )
        if not crashed and code == 0 and self._done_seen:
            return JobOutcome(FINISHED, self.message, self.result, exit_code=code)
        if self._cancel_requested:
            return JobOutcome(CANCELLED, "stopped; resume to continue where it stopped", exit_code=code)
        how = "was killed" if crashed else f"exited with code {code}"
        return JobOutcome(
            CRASHED, f"the job process {how} before finishing; resume to continue", exit_code=code, details=stderr
        )

    def _end(self, outcome: JobOutcome) -> None:
        if self.state in FINAL_STATES:
            return
        self.outcome = outcome
        self.state = outcome.state
        self.message = outcome.message
        if outcome.state == FINISHED and self.total:
            self.done = self.total
        self.eta_s = None
        if outcome.state in (CRASHED,) and outcome.details:
            self._log(outcome.details)
        self.changed.emit()
        self.finished.emit(outcome)

    # --- history --------------------------------------------------------------

    @classmethod
    def from_journal(cls, job_dir: Path, parent: QObject | None = None) -> JobRun | None:
        """An earlier session's job, rebuilt from its spec and events.jsonl."""
        from ilabdesk.jobs.runner import JobSpec

        try:
            spec = JobSpec.load(job_dir / "spec.json")
        except Exception:  # a damaged job folder is skipped, not fatal
            return None
        job = cls(spec, job_dir, parent)
        journal = job_dir / "events.jsonl"
        last: Event | None = None
        if journal.exists():
            for line in journal.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.strip():
                    event = cls._parse(line.encode())
                    job.apply(event)
                    if event.type in ("done", "error"):
                        last = event
        if last is not None and last.type == "done":
            job.state, job.message = FINISHED, last.message
        elif last is not None and last.data.get("cancelled"):
            job.state, job.message = CANCELLED, "cancelled; resume to continue where it stopped"
        elif last is not None:
            job.state, job.message = FAILED, last.message
        else:
            job.state, job.message = INTERRUPTED, "the app closed while this job ran; resume to continue"
        job.outcome = JobOutcome(job.state, job.message, job.result)
        return job


class JobQueue(QObject):
    """All jobs of this app; starts queued jobs, one heavy job at a time."""

    added = Signal(object)  # JobRun
    jobFinished = Signal(object)  # JobRun

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[JobRun] = []

    def submit(self, kind: str, args: dict[str, Any], title: str = "") -> JobRun:
        """Queue a new job; it starts as soon as no other heavy job runs."""
        from ilabdesk.jobs.runner import JobSpec

        spec = JobSpec(kind, args, title=title)
        job_dir = paths().jobs / spec.id
        job_dir.mkdir(parents=True, exist_ok=True)
        spec.save(job_dir / "spec.json", durable=False)
        return self._enqueue(JobRun(spec, job_dir, self))

    def resume(self, job: JobRun) -> JobRun:
        """Re-run a stopped job's spec: jobs journal finished units, so it continues."""
        if job.state not in FINAL_STATES:
            return job
        return self._enqueue(JobRun(job.spec, job.job_dir, self), replace=job)

    def _enqueue(self, job: JobRun, replace: JobRun | None = None) -> JobRun:
        if replace is not None and replace in self.jobs:
            self.jobs[self.jobs.index(replace)] = job
        else:
            self.jobs.append(job)
        job.finished.connect(self._on_job_finished)
        self.added.emit(job)
        self._pump()
        return job

    def running(self) -> list[JobRun]:
        return [job for job in self.jobs if job.state == RUNNING]

    def active(self) -> list[JobRun]:
        return [job for job in self.jobs if job.state in (QUEUED, RUNNING)]

    def _pump(self) -> None:
        heavy_running = any(job.heavy for job in self.running())
        for job in self.jobs:
            if job.state != QUEUED:
                continue
            if job.heavy:
                if heavy_running:
                    job.message = "waiting for the running job to finish"
                    continue
                heavy_running = True
            job.start()

    @Slot(object)
    def _on_job_finished(self, outcome: JobOutcome) -> None:
        job = self.sender()
        self._pump()
        if isinstance(job, JobRun):
            self.jobFinished.emit(job)

    def load_history(self, limit: int = 30) -> None:
        """Show the most recent jobs of earlier sessions (finished, failed, or cut off)."""
        root = paths().jobs
        if not root.is_dir():
            return
        known = {job.job_dir for job in self.jobs}  # jobs started before the history was read
        folders = sorted((d for d in root.iterdir() if (d / "spec.json").exists() and d not in known), reverse=True)
        for folder in reversed(folders[:limit]):
            job = JobRun.from_journal(folder, self)
            if job is not None:
                self.jobs.insert(0, job)
                self.added.emit(job)

    def shutdown(self, wait_ms: int = 3000) -> None:
        """On quit: stop running jobs (they journal their progress and can resume next time)."""
        for job in self.active():
            if job.state == QUEUED:
                job.cancel()
            elif job.process is not None:
                job._cancel_requested = True
                job.process.terminate()
        for job in self.jobs:
            if job.process is not None and job.process.state() != QProcess.ProcessState.NotRunning:
                if not job.process.waitForFinished(wait_ms):
                    job.process.kill()
                    job.process.waitForFinished(1000)


def read_json(path: Path) -> dict[str, Any]:
    """A small JSON file (run.json, summary.json) or {} when absent or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}

