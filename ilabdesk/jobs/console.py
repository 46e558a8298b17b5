"""Show a job's events in a terminal: a one-line progress bar, logs above it.

With `--json` the CLI prints the raw JSON lines instead, for scripts and for
the GUI, which reads exactly the same stream from a child process.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import TextIO

from ilabdesk.jobs.events import Event


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class ConsoleReporter:
    """Render events; returns the final `done` event's data, or raises on error."""

    def __init__(self, stream: TextIO | None = None, json_lines: bool = False, width: int = 28) -> None:
        self.stream = stream or sys.stderr
        self.json_lines = json_lines
        self.width = width
        self.tty = self.stream.isatty()
        self._last_line = 0.0
        self._bar_shown = False

    def _clear_bar(self) -> None:
        if self._bar_shown and self.tty:
            self.stream.write("\r\033[K")
            self._bar_shown = False

    def show(self, event: Event) -> None:
        if self.json_lines:
            print(event.to_json(), flush=True)
            return
        if event.type == "progress" and event.total:
            frac = min(max((event.done or 0) / event.total, 0.0), 1.0)
            filled = int(frac * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            stage = f"{event.stage}: " if event.stage else ""
            text = (
                f"{stage}[{bar}] {event.done}/{event.total} "
                f"ETA {format_duration(event.eta_s)} {event.message}"
            )
            if self.tty:
                self.stream.write("\r\033[K" + text[:160])
                self._bar_shown = True
                self.stream.flush()
            elif time.monotonic() - self._last_line > 5 or event.done == event.total:
                self.stream.write(text + "\n")
                self._last_line = time.monotonic()
            return
        self._clear_bar()
        if event.type == "stage":
            self.stream.write(f"== {event.message}\n")
        elif event.type in ("log", "artifact"):
            self.stream.write(f"{event.message}\n")
        elif event.type == "metric" and event.message:
            self.stream.write(f"{event.message}\n")
        elif event.type == "error":
            self.stream.write(f"error: {event.message}\n")
        elif event.type == "done":
            self.stream.write(f"{event.message}\n")
        self.stream.flush()

    def run(self, events: Iterable[Event]) -> tuple[bool, dict]:
        """Consume all events; (ok, result data of the done event)."""
        result: dict = {}
        ok = True
        for event in events:
            self.show(event)
            if event.type == "done":
                result = event.data
            elif event.type == "error":
                ok = False
        self._clear_bar()
        return ok, result


def run_in_terminal(kind: str, args: dict, json_lines: bool = False) -> int:
    """Run a job in this process with Ctrl-C as cancel; exit code 0, 1 (error) or 130 (cancelled)."""
    import signal

    from ilabdesk.jobs.events import Cancel
    from ilabdesk.jobs.runner import JobSpec, run_events

    cancel = Cancel()
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum, frame):  # first Ctrl-C asks nicely, the second one stops hard
        cancel.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        ok, _ = ConsoleReporter(json_lines=json_lines).run(run_events(JobSpec(kind, args), cancel))
    finally:
        signal.signal(signal.SIGINT, previous)
    if cancel.is_set():
        return 130
    return 0 if ok else 1

