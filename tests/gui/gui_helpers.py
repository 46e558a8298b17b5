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
    """Measures the longest gap between ticks of a 10 ms timer: how long the UI thread was busy."""

    def __init__(self) -> None:
        import time

        from PySide6.QtCore import QTimer

        self._time = time.perf_counter
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.max_gap = 0.0

    def _tick(self) -> None:
        now = self._time()
        if self.last is not None:
            self.max_gap = max(self.max_gap, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last = self._time()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap


def loss_job(args, cancel):
    """A real job (run in a child process) that reports a falling training loss."""
    import time

    from ilabdesk.jobs import Event, ProgressTracker

    steps = args["steps"]
    tracker = ProgressTracker(steps, stage="train")
    yield Event.begin("train", "training (test)")
    for step in range(1, steps + 1):
        cancel.check()
        time.sleep(args.get("sleep", 0.02))
        yield Event.metric(step=step, loss=2.0 / step)
        yield tracker.advance()
    yield Event.finished("trained", output=args["output"])
