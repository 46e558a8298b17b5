"""Helpers shared by the GUI tests (imported by plain name: pytest puts this folder on sys.path)."""

from __future__ import annotations

def leaf_index(window, name: str):
    """The tree's (proxy) index of the leaf called `name`."""
    from ilabdesk.gui.taxonomy_tree import PATH_ROLE

    panel = window.tree_panel
    for path in panel.leaf_paths():
        if path.parent.name == name:
            item = panel._items[path]
            index = panel.proxy.mapFromSource(item.index())
            assert index.isValid(), f"{name} is filtered out"
            assert index.data(PATH_ROLE) == str(path)
            return index
    raise AssertionError(f"no leaf {name}")


class GapMeter:
    """How long the UI thread was busy: the longest gap between ticks of a 10 ms timer.

    `max_gap` is wall time; `max_busy` is the UI thread's own CPU time between two
    ticks (time.thread_time), which a busy test machine cannot inflate. A slot
    that computes for 150 ms shows in both; an overloaded CPU only in the first.
    """

    def __init__(self) -> None:
        import time

        from PySide6.QtCore import QTimer

        self._time = time
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.last_cpu = None
        self.max_gap = 0.0
        self.max_busy = 0.0

    def _tick(self) -> None:
        now, cpu = self._time.perf_counter(), self._time.thread_time()
        if self.last is not None:
            self.max_gap = max(self.max_gap, now - self.last)
            self.max_busy = max(self.max_busy, cpu - self.last_cpu)
        self.last, self.last_cpu = now, cpu

    def start(self) -> None:
        self.last, self.last_cpu = self._time.perf_counter(), self._time.thread_time()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap

    def assert_responsive(self, limit: float = 0.1) -> None:
        """The UI thread never worked more than `limit` at once; on an idle machine, never
        paused longer either (on an overloaded one the OS may park any thread for a while)."""
        import os

        assert self.max_busy < limit, f"the UI thread computed for {self.max_busy * 1000:.0f} ms at once"
        overloaded = os.getloadavg()[0] / (os.cpu_count() or 1) > 1.0
        wall_limit = limit * 5 if overloaded else limit
        assert self.max_gap < wall_limit, f"the UI thread was blocked for {self.max_gap * 1000:.0f} ms"


def loss_job(args, cancel):
    """A real job (run in a child process) that reports a falling training loss."""
    import time

    from ilabdesk.jobs import Event, ProgressTracker

    steps = args["steps"]
    tracker = ProgressTracker(steps, stage="train")
    yield Event.begin("train", "training (test)")
    for step in range(1, steps + 1):  # like ilabdesk.training.job: loss rides on progress events
        cancel.check()
        time.sleep(args.get("sleep", 0.02))
        yield tracker.advance(1, f"loss {2.0 / step:.3f}", step=step, loss=2.0 / step)
        if step % 4 == 0:
            yield Event.metric(step=step, loss=2.0 / step, val_loss=2.5 / step)
    yield Event.finished("trained", output=args["output"])
