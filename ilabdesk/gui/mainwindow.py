"""The main window: taxonomy tree (left), leaf editor and chat (centre tabs), jobs (bottom).

Widgets never talk to each other directly: `_connect` is the one place where
their signals are wired to the window's handlers, so every cross-widget
behaviour (drop a document -> ingest job -> reload the leaf; training done ->
compare in chat) can be read in one method. The handlers live in small parts
mixed into the window, named after what they do: `window_actions` (menus and
shortcuts), `taxonomy_actions` (checkouts, leaves, contribute), `job_wiring`
(starting jobs and what follows them) and `window_state` (what is remembered).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QTabWidget, QWidget

from ilabdesk.errors import UserError
from ilabdesk.gui.job_wiring import JobWiring
from ilabdesk.gui.jobs import JobQueue
from ilabdesk.gui.jobs_panel import JobsPanel
from ilabdesk.gui.results_view import ResultsView
from ilabdesk.gui.leaf_editor import LeafEditor
from ilabdesk.gui.taxonomy_actions import TaxonomyActions
from ilabdesk.gui.taxonomy_tree import TaxonomyPanel
from ilabdesk.gui.ui_thread_gc import UiThreadCollector
from ilabdesk.gui.window_actions import MenuActions
from ilabdesk.gui.window_state import restore_layout, save_layout, window_settings

if TYPE_CHECKING:
    from ilabdesk.gui.chat_compare import ChatCompare

CHAT_TITLE = "Chat: original vs tuned"


class MainWindow(MenuActions, TaxonomyActions, JobWiring, QMainWindow):
    """The app window; `taxonomy` opens a checkout at start-up."""

    def __init__(self, taxonomy: Path | None = None, first_run_welcome: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("ilabdesk")
        self.setObjectName("MainWindow")
        self.resize(1280, 820)
        self.settings = window_settings()
        self.taxonomy_root: Path | None = None
        self.last_dataset: Path | None = None
        self.last_run: Path | None = None
        self._initial_taxonomy = taxonomy
        self._compare_after: dict[Path, Path] = {}  # convert job folder -> run to compare when it is done
        self._first_run_welcome = first_run_welcome
        self._collector = UiThreadCollector(self)  # Qt objects in cyclic garbage die on this thread only

        self.jobs = JobQueue(self)
        self.tree_panel = TaxonomyPanel()
        self.editor = LeafEditor()
        self._chat: ChatCompare | None = None  # built right after the window shows (see `chat`)
        self.jobs_panel = JobsPanel(self.jobs)
        self.center = QTabWidget()
        self.center.setObjectName("centerTabs")
        self.center.addTab(self.editor, "Leaf")
        self.center.addTab(QWidget(), CHAT_TITLE)
        self.results = ResultsView()
        self.center.addTab(self.results, "Results")
        self.setCentralWidget(self.center)
        self.tree_dock = self._dock("Taxonomy", "taxonomyDock", self.tree_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.jobs_dock = self._dock("Jobs", "jobsDock", self.jobs_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.tree_dock], [300], Qt.Orientation.Horizontal)
        self.resizeDocks([self.jobs_dock], [190], Qt.Orientation.Vertical)
        self.tree_panel.confirm_leave = self._confirm_leave

        self._create_actions()
        self._create_menus()
        self._connect()
        restore_layout(self, self.settings)
        self.statusBar().showMessage("Ready")
        self._started = False
        self.ready = False  # True once the deferred start-up work ran
        self._closed = False

    @property
    def chat(self) -> ChatCompare:
        """The chat tab, created on first use: two worker threads need not delay the first paint."""
        if self._chat is None:
            from ilabdesk.gui.chat_compare import ChatCompare

            current = self.center.currentIndex()
            self._chat = ChatCompare()
            placeholder = self.center.widget(1)
            self.center.removeTab(1)
            placeholder.deleteLater()
            self.center.insertTab(1, self._chat, CHAT_TITLE)
            self.center.setCurrentIndex(current)
        return self._chat

    def _dock(self, title: str, name: str, widget: Any, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        """Every signal between the window's parts, in one place."""
        self.tree_panel.leafActivated.connect(self.open_leaf)
        self.tree_panel.documentsDropped.connect(self.ingest_documents)
        self.tree_panel.leafMoved.connect(self._on_leaf_moved)
        self.tree_panel.leafDeleted.connect(self._on_leaf_deleted)
        self.tree_panel.message.connect(self.statusBar().showMessage)
        self.editor.documentsDropped.connect(self.ingest_documents)
        self.editor.validated.connect(self.tree_panel.set_leaf_state)
        self.editor.saved.connect(self._on_leaf_saved)
        self.editor.contributeRequested.connect(self.contribute)
        self.jobs.jobFinished.connect(self._on_job_finished)
        self.jobs_panel.compareRequested.connect(self.compare_in_chat)
        self.jobs_panel.resultsRequested.connect(self.show_results)
        self.draft_action.toggled.connect(lambda on: self.settings.setValue("draft_seeds", on))
        group = self.editor.undo_group
        group.canUndoChanged.connect(self.undo_action.setEnabled)
        group.canRedoChanged.connect(self.redo_action.setEnabled)
        group.undoTextChanged.connect(lambda text: self.undo_action.setText(f"&Undo {text}".strip()))
        group.redoTextChanged.connect(lambda text: self.redo_action.setText(f"&Redo {text}".strip()))
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)

    # --- start-up and shutdown ------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._started and self.windowHandle() is not None:
            self.windowHandle().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Start the deferred work once the window is really on screen (its first expose)."""
        if event.type() == QEvent.Type.Expose and not self._started and watched is self.windowHandle():
            if self.windowHandle().isExposed():
                self._started = True
                watched.removeEventFilter(self)
                QTimer.singleShot(0, self._after_show)
        return super().eventFilter(watched, event)

    @Slot()
    def _after_show(self) -> None:
        """Work that can wait until the window is on screen: history, models, last taxonomy, welcome."""
        if self._closed:
            return
        self.jobs.load_history()
        self.chat.refresh_models()
        root = self._initial_taxonomy or self.settings.value("taxonomy", None)
        if root and Path(root).is_dir():
            self.open_taxonomy(Path(root))
        elif self._first_run_welcome and not self.settings.value("welcomed", False, type=bool):
            self.settings.setValue("welcomed", True)
            self.ready = True
            self.show_welcome()
        self.ready = True

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.editor.maybe_close():
            event.ignore()
            return
        running = self.jobs.active()
        if running:
            answer = QMessageBox.question(
                self,
                "Jobs are running",
                f"{len(running)} job(s) are running or queued. Quit anyway? "
                "They stop now and can be resumed next time from the Jobs panel.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        save_layout(self, self.settings)
        if self._chat is not None:
            self._chat.shutdown()
        self.jobs.shutdown()
        from ilabdesk.gui.background import wait_for_background

        wait_for_background(10_000)
        self._collector.stop()
        self._closed = True
        event.accept()

    # --- settings the parts share -------------------------------------------------

    def _config(self) -> dict[str, Any]:
        from ilabdesk.settings import DEFAULTS, load_config

        try:
            return load_config()
        except UserError as exc:
            self.statusBar().showMessage(str(exc).splitlines()[0])
            return dict(DEFAULTS)

    def _teacher(self) -> str | None:
        from ilabdesk.gui.settings_dialog import teacher_model

        return teacher_model(self._config())
