"""The event vocabulary every long job speaks, and the cancel token it listens to.

Events are small dataclasses that serialise to one JSON object per line, so
the same stream feeds the CLI's progress bar, the GUI's job panel (through
QProcess) and the job's own log file.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

EVENT_TYPES = ("stage", "progress", "log", "metric", "artifact", "done", "error")


@dataclass
class Event:
    """One thing a job reports.

    type: stage (a named step starts), progress (done/total units), log (a
    line for the user), metric (numbers such as loss; `data` holds them),
    artifact (a file produced; `data["path"]`), done (the job's result in
    `data`), error (the job failed; `message` says why).
    """

    type: str
    message: str = ""
    stage: str | None = None
    done: int | None = None
    total: int | None = None
    eta_s: float | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (None, {}, "")}, default=str)

    @classmethod
    def from_json(cls, line: str) -> Event:
        raw = json.loads(line)
        if not isinstance(raw, dict) or raw.get("type") not in EVENT_TYPES:
            raise ValueError(f"not a job event: {line[:80]!r}")
        known = {k: raw[k] for k in ("type", "message", "stage", "done", "total", "eta_s", "data") if k in raw}
        return cls(**known)

    # Short constructors keep job code readable.
    @classmethod
    def log(cls, message: str, **data: Any) -> Event:
        return cls("log", message, data=data)

    @classmethod
    def metric(cls, **data: Any) -> Event:
        return cls("metric", data=data)

    @classmethod
    def artifact(cls, path: Any, kind: str, message: str = "") -> Event:
        return cls("artifact", message or f"wrote {path}", data={"path": str(path), "kind": kind})

    @classmethod
    def begin(cls, stage: str, message: str = "") -> Event:
        return cls("stage", message or stage, stage=stage)

    @classmethod
    def finished(cls, message: str = "done", **data: Any) -> Event:
        return cls("done", message, data=data)


class Cancelled(Exception):
    """Raised inside a job when the user asked it to stop."""


class Cancel:
    """A thread-safe stop flag; jobs call `check()` between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


class ProgressTracker:
    """Turns "n of total done" into progress events with an ETA.

    The rate is measured over the units done in this process only, so a
    resumed job (which starts with `done` > 0) does not claim an absurd speed.
    """

    def __init__(self, total: int, done: int = 0, stage: str | None = None) -> None:
        self.total = total
        self.done = done
        self.stage = stage
        self._start_done = done
        self._start = time.monotonic()

    def eta(self) -> float | None:
        finished_here = self.done - self._start_done
        if finished_here <= 0 or self.total <= 0:
            return None
        rate = finished_here / max(time.monotonic() - self._start, 1e-6)
        return max(self.total - self.done, 0) / rate

    def advance(self, n: int = 1, message: str = "", **data: Any) -> Event:
        self.done += n
        return self.event(message, **data)

    def event(self, message: str = "", **data: Any) -> Event:
        return Event(
            "progress", message, stage=self.stage, done=self.done, total=self.total, eta_s=self.eta(), data=data
        )
