"""Running a job: in this process with a cancel token, or as a child process.

The child is the app itself (`python -m ilabdesk job run SPEC`, or the frozen
app binary with `job run SPEC`), never multiprocessing: a packaged app has no
`python` on PATH and spawn mode breaks there. The child prints one JSON event
per line on stdout and mirrors them into `<job dir>/events.jsonl`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError, from_os_error
from ilabdesk.fileio import atomic_write_text, sync_file
from ilabdesk.jobs.events import Cancel, Cancelled, Event
from ilabdesk.jobs.registry import resolve


@dataclass
class JobSpec:
    """What to run: a job kind and its arguments (all JSON-serialisable)."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])
    title: str = ""

    def save(self, path: Path, durable: bool = True) -> Path:
        """Write the spec; the UI saves it with `durable=False` and the job's process syncs it (`child_main`)."""
        atomic_write_text(path, json.dumps(self.__dict__, indent=2), durable)
        return path

    @classmethod
    def load(cls, path: Path) -> JobSpec:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"{path}: cannot read the job spec ({exc})") from exc
        return cls(**raw)


def run_events(spec: JobSpec, cancel: Cancel | None = None) -> Iterator[Event]:
    """Run a job in this process; turns exceptions into a final error event."""
    cancel = cancel or Cancel()
    try:
        function = resolve(spec.kind)
        yield from function(spec.args, cancel)
    except Cancelled as exc:
        yield Event("error", str(exc), data={"cancelled": True})
    except UserError as exc:
        yield Event("error", str(exc))
    except OSError as exc:
        yield Event("error", str(from_os_error(exc)))
    except MemoryError:
        yield Event("error", "the job ran out of memory; try a smaller model, batch or sequence length")
    except Exception as exc:  # a bug: report it with its traceback, never crash the caller
        yield Event("error", f"{type(exc).__name__}: {exc}", data={"traceback": traceback.format_exc()})


def self_command() -> list[str]:
    """The command that re-runs this app: the packaged app's launcher, or this Python with -m ilabdesk.

    Briefcase bundles don't set sys.frozen; ilabdesk.bundle recognises them.
    """
    from ilabdesk.bundle import app_command

    return app_command()


# Set to "low" by the window for its job processes (see ilabdesk.cpu.lower_priority).
PRIORITY_ENV = "ILABDESK_JOB_PRIORITY"


def child_main(spec_path: Path) -> int:
    """Entry of `ilabdesk job run SPEC`: run the job, print events as JSON lines."""
    if os.environ.get(PRIORITY_ENV) == "low":
        from ilabdesk.cpu import lower_priority

        lower_priority()
    spec = JobSpec.load(spec_path)
    sync_file(Path(spec_path))  # the UI wrote it without waiting for the disk
    cancel = Cancel()

    def on_signal(signum: int, frame: Any) -> None:
        cancel.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log_path = Path(spec_path).with_name("events.jsonl")
    status = 0
    with open(log_path, "a", encoding="utf-8") as log:
        for event in run_events(spec, cancel):
            line = event.to_json()
            print(line, flush=True)
            log.write(line + "\n")
            log.flush()
            if event.type == "error":
                status = 3 if event.data.get("cancelled") else 1
    return status


class JobProcess:
    """A job running in a child process, read from the CLI side (the GUI uses QProcess)."""

    def __init__(self, spec: JobSpec, job_dir: Path) -> None:
        job_dir.mkdir(parents=True, exist_ok=True)
        self.spec_path = spec.save(job_dir / "spec.json")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [*self_command(), "job", "run", str(self.spec_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def events(self) -> Iterator[Event]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                yield Event.from_json(line)
            except ValueError:
                yield Event.log(line)
        code = self.proc.wait()
        if code < 0 or code not in (0, 1, 3):
            err = self.proc.stderr.read() if self.proc.stderr else ""
            yield Event("error", f"the job process died (exit {code}). {err.strip()[-500:]}")

    def cancel(self, grace_s: float = 10.0) -> None:
        """Ask the child to stop; terminate, then kill, if it does not in time."""
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
