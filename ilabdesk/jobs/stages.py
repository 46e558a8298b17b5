"""The stages of a whole run, folded from its events: done, running or next, each with its own progress.

A whole run (`ilabdesk run`) is five jobs in one, and each reports progress
in its own units (samples, steps, questions): shown as the job's, "93 %" of
generate fell to "23 %" when training began. The run marks each of its
stages with the list of all of them (`Event.data["stages"]`); folding its
events here gives every stage its own progress and ETA, and an ETA for the
whole run as far as it is known.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ilabdesk.jobs.events import Event

NEXT, RUNNING, DONE, SKIPPED, STOPPED = "next", "running", "done", "skipped", "stopped"


@dataclass
class Stage:
    name: str
    state: str = NEXT
    done: int | None = None
    total: int | None = None
    eta_s: float | None = None
    started: float | None = None
    seconds: float | None = None  # how long it ran, once done (measured while the window watched)


class StagePlan:
    """The stages of one whole run; `apply` each of its events in order."""

    def __init__(self, names: list[str]) -> None:
        self.stages = [Stage(name) for name in names]

    @classmethod
    def of(cls, event: Event) -> StagePlan | None:
        """A plan for the run whose stage event this is; None for any other event."""
        names = event.data.get("stages") if event.type == "stage" else None
        return cls([str(n) for n in names]) if isinstance(names, list) and names else None

    @property
    def current(self) -> Stage | None:
        return next((s for s in self.stages if s.state == RUNNING), None)

    def apply(self, event: Event) -> None:
        if event.type == "stage" and "stages" in event.data:
            self._end_current(DONE)
            for stage in self.stages:
                if stage.name == event.stage:
                    stage.state = SKIPPED if event.data.get("skipped") else RUNNING
                    stage.started = time.monotonic()
        elif event.type == "progress" and self.current is not None:
            stage = self.current
            stage.done, stage.total, stage.eta_s = event.done, event.total, event.eta_s
        elif event.type == "done":
            self._end_current(DONE)
        elif event.type == "error":
            self._end_current(STOPPED)

    def _end_current(self, state: str) -> None:
        stage = self.current
        if stage is not None:
            stage.state = state
            stage.eta_s = None
            if stage.started is not None:
                stage.seconds = time.monotonic() - stage.started

    def position(self) -> str:
        """"3/5 train" for the running stage, "" when none runs."""
        stage = self.current
        return f"{self.stages.index(stage) + 1}/{len(self.stages)} {stage.name}" if stage else ""

    def overall_eta(self) -> tuple[float | None, list[str]]:
        """(seconds left as far as known, the stages still to run whose length is not known yet)."""
        stage = self.current
        if stage is None:
            return None, []
        later = [s.name for s in self.stages[self.stages.index(stage) + 1:] if s.state == NEXT]
        return stage.eta_s, later
