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


def launch_with_sample(qtbot, modals, meter):
    """First launch: the welcome offers the sample and one click (through `modals`) opens it.

    The meter starts timing the UI thread with the phase "click: welcome, open the sample".
    """
    from PySide6.QtCore import Qt

    from ilabdesk.gui.mainwindow import MainWindow
    from ilabdesk.gui.welcome import WelcomeDialog

    modals.expect(WelcomeDialog, lambda dialog: qtbot.mouseClick(dialog.sample_button, Qt.MouseButton.LeftButton))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    meter.phase = "click: welcome, open the sample"
    meter.start()
    qtbot.waitUntil(lambda: window.ready and window.taxonomy_root is not None, timeout=30_000)
    qtbot.waitUntil(lambda: len(window.tree_panel.leaf_paths()) == 2, timeout=20_000)
    return window


class GapMeter:
    """How long the UI thread was busy: the longest gap between ticks of a 10 ms timer.

    `max_gap` is wall time; `max_busy` is the UI thread's own CPU time between two
    ticks (time.thread_time), which a busy test machine cannot inflate. A slot
    that computes for 150 ms shows in both; an overloaded CPU only in the first.
    Set `phase` to what the test does now: the worst gap of each phase is kept,
    and phases named "click: …" (the answer to a user's click, such as building
    a leaf's form) may take `click_limit`, the rest only `limit`.
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
        self._phase = ""
        self.gaps: dict[str, tuple[float, float]] = {}  # phase -> (longest wall gap, longest CPU burst)

    @property
    def phase(self) -> str:
        return self._phase

    @phase.setter
    def phase(self, name: str) -> None:
        """Start a new phase; the time since the last tick still belongs to the old one.

        A click or a drop runs its handler synchronously, with no tick in between:
        without this, building the form for "click: open the leaf" would be charged
        to whatever phase the test names next.
        """
        if self.timer.isActive():
            self._tick()
        self._phase = name

    @property
    def max_gap(self) -> float:
        return max((gap for gap, _ in self.gaps.values()), default=0.0)

    @property
    def max_busy(self) -> float:
        return max((busy for _, busy in self.gaps.values()), default=0.0)

    def _tick(self) -> None:
        now, cpu = self._time.perf_counter(), self._time.thread_time()
        if self.last is not None:
            gap, busy = self.gaps.get(self._phase, (0.0, 0.0))
            self.gaps[self._phase] = (max(gap, now - self.last), max(busy, cpu - self.last_cpu))
        self.last, self.last_cpu = now, cpu

    def start(self) -> None:
        self.last, self.last_cpu = self._time.perf_counter(), self._time.thread_time()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap

    def assert_responsive(self, limit: float = 0.1, click_limit: float | None = None) -> None:
        """The UI thread never worked more than `limit` at once; on an idle machine, never
        paused longer either (on an overloaded one the OS may park any thread for a while,
        and beyond twice as many runnable processes as cores, for seconds: then only the
        CPU bursts, which load does not inflate, are checked)."""
        import os

        load = os.getloadavg()[0] / (os.cpu_count() or 1)
        for phase, (gap, busy) in self.gaps.items():
            allowed = click_limit if click_limit is not None and phase.startswith("click:") else limit
            assert busy < allowed, f"the UI thread computed for {busy * 1000:.0f} ms at once ({phase or 'no phase'})"
            if load > 2.0:
                continue
            wall_limit = allowed * 5 if load > 1.0 else allowed
            assert gap < wall_limit, f"the UI thread was blocked for {gap * 1000:.0f} ms ({phase or 'no phase'})"

    def report(self) -> str:
        """Each phase's longest wall gap and CPU burst, in ms (printed by the slow tests)."""
        return "; ".join(f"{p or '-'}: {g * 1000:.0f}/{b * 1000:.0f} ms" for p, (g, b) in self.gaps.items())


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


def drop_files(widget, position, paths):
    """Drag `paths` over `widget` and drop them at `position`, as a file manager would."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPointF(position)
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier

    def drag(event_type):  # Qt 6.11 takes an integer point here, 6.12 a real one
        try:
            return event_type(point, actions, mime, buttons, modifiers)
        except TypeError:
            return event_type(point.toPoint(), actions, mime, buttons, modifiers)

    QApplication.sendEvent(widget, drag(QDragEnterEvent))
    QApplication.sendEvent(widget, drag(QDragMoveEvent))
    drop = QDropEvent(point, actions, mime, buttons, modifiers)
    QApplication.sendEvent(widget, drop)
    return drop


def click_menu(qtbot, window, menu_title: str, action_text: str) -> None:
    """Open `menu_title` in the menu bar with the mouse, then click `action_text` in it."""
    from PySide6.QtCore import Qt

    bar = window.menuBar()
    entry = next(a for a in bar.actions() if a.text() == menu_title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(entry).center())
    menu = entry.menu()
    qtbot.waitUntil(menu.isVisible)
    action = next(a for a in menu.actions() if a.text() == action_text)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


class ModalAnswers:
    """Answers modal dialogs: `expect(type, act)` runs `act(dialog)` once such a dialog is up.

    A modal dialog's exec() spins its own event loop, so the test cannot click
    after the call that opened it returns; a timer polls for the dialog
    instead, and `act` clicks and types in it like a person would. `when`
    runs an action once a condition holds (e.g. a dialog's work is done).
    Steps run in the order they were registered.
    """

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.pending: list[tuple[object, object]] = []
        self.handled: list[object] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def expect(self, kind: type, act) -> None:
        def modal():
            from PySide6.QtWidgets import QApplication

            dialog = QApplication.activeModalWidget()
            return dialog if isinstance(dialog, kind) and dialog.isVisible() else None

        self.pending.append((modal, act))

    def when(self, condition, act) -> None:
        self.pending.append((lambda: True if condition() else None, lambda _: act()))

    def _poll(self) -> None:
        if not self.pending:
            return
        found, act = self.pending[0]
        target = found()
        if target is not None:
            self.pending.pop(0)
            self.handled.append(target)
            act(target)

    def done(self) -> bool:
        return not self.pending

    def stop(self) -> None:
        self.timer.stop()


def type_number(qtbot, spin, value: int) -> None:
    """Select what a spin box shows and type a new number, as a person would."""
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), str(value))
    spin.interpretText()
