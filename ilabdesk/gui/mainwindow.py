"""The main window: taxonomy tree (left), leaf editor and chat (centre tabs), jobs (bottom).

Widgets never talk to each other directly: `_connect` is the one place where
their signals are wired to the window's handlers, so every cross-widget
behaviour (drop a document -> ingest job -> reload the leaf; training done ->
compare in chat) can be read in one method.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from ilabdesk.errors import UserError
from ilabdesk.gui.jobs import FINISHED, JobQueue, JobRun
from ilabdesk.gui.jobs_panel import JobsPanel
from ilabdesk.gui.leaf_editor import LeafEditor
from ilabdesk.gui.taxonomy_tree import TaxonomyPanel
from ilabdesk.settings import paths

if TYPE_CHECKING:
    from ilabdesk.gui.chat_compare import ChatCompare

SAMPLE_FOLDER = "sample"
CHAT_TITLE = "Chat: original vs tuned"


def window_settings() -> QSettings:
    """Window geometry and UI state, kept beside the config (so ILABDESK_HOME isolates it)."""
    return QSettings(str(paths().config / "window.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
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

        self.jobs = JobQueue(self)
        self.tree_panel = TaxonomyPanel()
        self.editor = LeafEditor()
        self._chat: ChatCompare | None = None  # built right after the window shows (see `chat`)
        self.jobs_panel = JobsPanel(self.jobs)
        self.center = QTabWidget()
        self.center.setObjectName("centerTabs")
        self.center.addTab(self.editor, "Leaf")
        self.center.addTab(QWidget(), CHAT_TITLE)
        self.setCentralWidget(self.center)
        self.tree_dock = self._dock("Taxonomy", "taxonomyDock", self.tree_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.jobs_dock = self._dock("Jobs", "jobsDock", self.jobs_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.tree_dock], [300], Qt.Orientation.Horizontal)
        self.resizeDocks([self.jobs_dock], [230], Qt.Orientation.Vertical)
        self.tree_panel.confirm_leave = self._confirm_leave

        self._create_actions()
        self._create_menus()
        self._connect()
        self._restore_state()
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

    # --- actions and menus ----------------------------------------------------

    def _action(self, text: str, slot: Any, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _create_actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.open_action = self._action("&Open taxonomy…", self.choose_taxonomy, keys.Open, "open an InstructLab taxonomy checkout")
        self.sample_action = self._action("Create from the &sample", self.open_sample, None, "copy the sample taxonomy and open it")
        self.new_leaf_action = self._action("&New leaf…", self.tree_panel.new_leaf, keys.New)
        self.save_action = self._action("&Save leaf", self.editor.save, keys.Save)
        self.contribute_action = self._action("&Contribute…", self.contribute, "Ctrl+Shift+E", "commit, export a patch or bundle, push")
        self.settings_action = self._action("Se&ttings…", self.open_settings, keys.Preferences)
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.quit_action = self._action("&Quit", self.close, keys.Quit)
        self.undo_action = self._action("&Undo", self.editor.undo, keys.Undo)
        self.redo_action = self._action("&Redo", self.editor.redo, keys.Redo)
        self.find_action = self._action("&Find leaf", self._focus_filter, keys.Find)
        self.generate_action = self._action("&Generate data (SDG)…", lambda: self.start_job_dialog("generate"), "Ctrl+G")
        self.train_action = self._action("&Train…", lambda: self.start_job_dialog("train"), "Ctrl+T")
        self.convert_action = self._action("&Convert to GGUF…", lambda: self.start_job_dialog("convert"), "Ctrl+Shift+G")
        self.evaluate_action = self._action("E&valuate…", lambda: self.start_job_dialog("evaluate"), "Ctrl+Shift+V")
        self.pipeline_action = self._action("Run the &whole loop…", lambda: self.start_job_dialog("pipeline"), "Ctrl+R")
        self.draft_action = QAction("&Draft seed examples when documents are dropped", self)
        self.draft_action.setCheckable(True)
        self.draft_action.setChecked(self.settings.value("draft_seeds", False, type=bool))
        self.editor_tab_action = self._action("&Leaf editor", lambda: self.center.setCurrentWidget(self.editor), "Ctrl+1")
        self.chat_tab_action = self._action("&Chat", lambda: self.center.setCurrentWidget(self.chat), "Ctrl+2")
        self.welcome_action = self._action("&Welcome", self.show_welcome)
        self.about_action = self._action("&About ilabdesk", self._about)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.open_action, self.sample_action, None, self.new_leaf_action, self.save_action,
                       self.contribute_action, None, self.settings_action, None, self.quit_action):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        edit = bar.addMenu("&Edit")
        for action in (self.undo_action, self.redo_action, None, self.find_action):
            edit.addSeparator() if action is None else edit.addAction(action)
        jobs = bar.addMenu("&Jobs")
        for action in (self.generate_action, self.train_action, self.convert_action, self.evaluate_action,
                       self.pipeline_action, None, self.draft_action):
            jobs.addSeparator() if action is None else jobs.addAction(action)
        view = bar.addMenu("&View")
        view.addAction(self.editor_tab_action)
        view.addAction(self.chat_tab_action)
        view.addSeparator()
        view.addAction(self.tree_dock.toggleViewAction())
        view.addAction(self.jobs_dock.toggleViewAction())
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.welcome_action)
        help_menu.addAction(self.about_action)

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
        self.draft_action.toggled.connect(lambda on: self.settings.setValue("draft_seeds", on))
        group = self.editor.undo_group
        group.canUndoChanged.connect(self.undo_action.setEnabled)
        group.canRedoChanged.connect(self.redo_action.setEnabled)
        group.undoTextChanged.connect(lambda text: self.undo_action.setText(f"&Undo {text}".strip()))
        group.redoTextChanged.connect(lambda text: self.redo_action.setText(f"&Redo {text}".strip()))
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)

    # --- start-up and shutdown ------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.settings.value("geometry")
        state = self.settings.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

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
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("state", self.saveState())
        self.settings.sync()
        if self._chat is not None:
            self._chat.shutdown()
        self.jobs.shutdown()
        from ilabdesk.gui.background import wait_for_background

        wait_for_background(10_000)
        self._closed = True
        event.accept()

    # --- taxonomy ---------------------------------------------------------------

    @Slot()
    def choose_taxonomy(self) -> None:
        start = str(self.taxonomy_root or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open an InstructLab taxonomy checkout", start)
        if folder:
            self.open_taxonomy(Path(folder))

    def open_taxonomy(self, root: Path) -> None:
        if not self.editor.maybe_close():
            return
        self.editor.close_leaf()
        self.taxonomy_root = Path(root)
        self.settings.setValue("taxonomy", str(root))
        base = self._config().get("taxonomy", {}).get("base") or "origin/main"
        self.tree_panel.open_root(self.taxonomy_root, base)
        self.setWindowTitle(f"ilabdesk — {self.taxonomy_root.name}")
        self.statusBar().showMessage(f"Opened {root}", 5000)

    @Slot()
    def open_sample(self) -> Path | None:
        """Install the bundled sample taxonomy (once) under the workspaces folder and open it."""
        from ilabdesk.pipeline.sample import install_sample

        try:
            root = install_sample(paths().workspaces / SAMPLE_FOLDER)
        except UserError as exc:
            QMessageBox.warning(self, "Could not create the sample", str(exc))
            return None
        self.open_taxonomy(root)
        return root

    @Slot(Path)
    def open_leaf(self, path: Path) -> None:
        if self.editor.open_leaf(path):
            self.center.setCurrentWidget(self.editor)
        elif self.editor.path is not None:
            self.tree_panel.select_leaf(self.editor.path)

    def _confirm_leave(self, path: Path) -> bool:
        """Before a leaf is moved or deleted: save or drop its unsaved edits, then close it."""
        if self.editor.path is not None and self.editor.path.resolve() == Path(path).resolve():
            if not self.editor.maybe_close():
                return False
            self.editor.close_leaf()
        return True

    @Slot(Path, Path)
    def _on_leaf_moved(self, old: Path, new: Path) -> None:
        self.open_leaf(new)

    @Slot(Path)
    def _on_leaf_deleted(self, path: Path) -> None:
        self.statusBar().showMessage(f"Deleted {path.parent.name}", 5000)

    @Slot(Path)
    def _on_leaf_saved(self, path: Path) -> None:
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self.tree_panel._load_changed()

    def _focus_filter(self) -> None:
        self.tree_dock.show()
        self.tree_panel.filter.setFocus()
        self.tree_panel.filter.selectAll()

    # --- documents --------------------------------------------------------------

    @Slot(Path, list)
    def ingest_documents(self, qna: Path, files: list[Path]) -> JobRun | None:
        """Refuse what cannot be read, then add the rest to the leaf with an ingest job."""
        from ilabdesk.documents.convert import SUPPORTED_SUFFIXES

        files = [Path(f) for f in files]
        refused = [f for f in files if f.suffix.lower() not in SUPPORTED_SUFFIXES or not f.is_file()]
        accepted = [f for f in files if f not in refused]
        from ilabdesk.taxonomy.leaf import Leaf

        if Leaf(path=Path(qna), data={}).kind != "knowledge":
            QMessageBox.information(self, "Documents go on knowledge leaves",
                                    "Drop documents on a knowledge leaf: skills learn from their examples only.")
            return None
        if refused:
            kinds = ", ".join(SUPPORTED_SUFFIXES)
            QMessageBox.warning(
                self,
                "Some files were not added",
                "These files can't be used as documents:\n"
                + "\n".join(f"  {f.name}" for f in refused)
                + f"\n\nSupported: {kinds}",
            )
        if not accepted:
            return None
        if self.editor.path is not None and self.editor.path.resolve() == Path(qna).resolve() and self.editor.doc.dirty:
            answer = QMessageBox.question(self, "Save the leaf first?",
                                          "Adding documents updates this leaf's file. Save your changes first?")
            if answer != QMessageBox.StandardButton.Yes or not self.editor.save():
                return None
        args = {
            "leaf": str(Path(qna).parent),
            "files": [str(f.resolve()) for f in accepted],
            "draft_seeds": self.draft_action.isChecked(),
            "teacher": self._teacher(),
        }
        names = ", ".join(f.name for f in accepted[:3]) + ("…" if len(accepted) > 3 else "")
        job = self.jobs.submit("ingest", args, title=f"Ingest {names} into {Path(qna).parent.name}")
        self.jobs_dock.show()
        self.statusBar().showMessage(f"Adding {len(accepted)} document(s) to {Path(qna).parent.name}", 5000)
        return job

    # --- jobs -------------------------------------------------------------------

    def job_defaults(self, kind: str) -> dict[str, Any]:
        """What the job dialogs start with: this session's taxonomy, dataset and run."""
        from ilabdesk.gui.job_dialogs import stamp

        config = self._config()
        leaf = self.editor.path
        name = leaf.parent.name if leaf is not None else (self.taxonomy_root.name if self.taxonomy_root else "run")
        training = config.get("training", {})
        defaults: dict[str, Any] = {
            "taxonomy": str(self.taxonomy_root) if self.taxonomy_root else "",
            "leaves": [str(leaf.parent)] if leaf is not None else [],
            "teacher": self._teacher(),
            "backend": training.get("backend", "auto"),
            "epochs": training.get("epochs"),
            "iters": training.get("iters"),
        }
        if kind == "generate":
            defaults["base"] = config.get("taxonomy", {}).get("base") or "origin/main"
            defaults["output"] = str(paths().datasets / stamp(name))
        elif kind == "train":
            defaults["data"] = str(self.last_dataset or "")
            defaults["output"] = str(paths().runs / stamp(name))
        elif kind == "convert":
            defaults["run"] = str(self.last_run or "")
            defaults["quantize"] = "Q4_K_M"
        elif kind == "evaluate":
            if self.last_run is not None:
                defaults["adapter"] = str(self.last_run / "adapter.gguf")
            defaults["data"] = str(self.last_dataset or "")
            defaults["output"] = str(paths().runs / stamp(f"{name}-eval"))
        elif kind == "pipeline":
            defaults["output"] = str(paths().runs / stamp(name))
        return defaults

    def start_job_dialog(self, kind: str) -> JobRun | None:
        from ilabdesk.gui.job_dialogs import JobDialog

        dialog = JobDialog(kind, self.job_defaults(kind), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return self.start_job(kind, dialog.args())

    def start_job(self, kind: str, args: dict[str, Any], title: str = "") -> JobRun:
        job = self.jobs.submit(kind, args, title)
        self.jobs_dock.show()
        self.jobs_panel.select(job)
        return job

    @Slot(object)
    def _on_job_finished(self, job: JobRun) -> None:
        outcome = job.outcome
        if outcome is None:
            return
        if outcome.state != FINISHED:
            self.statusBar().showMessage(f"{job.title}: {outcome.state} — {outcome.message.splitlines()[0] if outcome.message else ''}")
            return
        self.statusBar().showMessage(f"{job.title}: finished", 8000)
        kind = job.spec.kind
        if kind == "ingest":
            self._after_ingest(job)
        elif kind == "generate":
            self.last_dataset = Path(job.spec.args.get("output", ""))
        elif kind in ("train", "pipeline", "convert"):
            run = job.run_dir() or (Path(job.spec.args["run"]) if kind == "convert" else None)
            if run is not None:
                self.last_run = run
            self.chat.refresh_models()
            waiting = self._compare_after.pop(job.job_dir, None)
            if waiting is not None:
                self.compare_in_chat(str(waiting))

    def _after_ingest(self, job: JobRun) -> None:
        leaf_dir = Path(job.spec.args["leaf"])
        qna = leaf_dir / "qna.yaml"
        doc = self.editor.doc
        if doc is not None and doc.path.resolve() == qna.resolve():
            if not doc.dirty:
                self.editor.reload()
            else:  # edited while the job ran: take the new document block, keep the edits unsaved
                import yaml

                document = (yaml.safe_load(qna.read_text(encoding="utf-8")) or {}).get("document")
                if document is not None:
                    doc.edit(lambda data: data.__setitem__("document", document), "documents added")
        self.tree_panel.refresh()
        drafts = job.result.get("draft")  # qna.draft.yaml beside the leaf, for review
        if drafts:
            self._review_drafts(qna, drafts)

    def _review_drafts(self, qna: Path, drafts: Any) -> None:
        from ilabdesk.gui.draft_review import DraftReviewDialog, load_drafts

        seeds = load_drafts(drafts)
        if not seeds:
            return
        self.open_leaf(qna)
        dialog = DraftReviewDialog(seeds, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and self.editor.doc is not None:
            chosen = dialog.chosen()
            if chosen:
                self.editor.doc.edit(lambda data: data.setdefault("seed_examples", []).extend(chosen),
                                     f"add {len(chosen)} drafted example(s)")

    @Slot(str)
    def compare_in_chat(self, run_dir: str) -> None:
        """Base vs base + adapter; a run whose adapter is not yet a GGUF is converted first."""
        from ilabdesk.gui.chat_compare import run_choices

        run = Path(run_dir)
        if not run_choices(run):
            job = self.start_job("convert", {"run": str(run), "quantize": "Q4_K_M"}, f"Convert {run.name} for chat")
            self._compare_after[job.job_dir] = run
            self.statusBar().showMessage("Converting the adapter to GGUF first; the chat opens when it is done", 8000)
            return
        self.chat.refresh_models()
        self.chat.compare_run(run)
        self.center.setCurrentWidget(self.chat)

    # --- dialogs ----------------------------------------------------------------

    @Slot()
    def show_welcome(self) -> None:
        from ilabdesk.gui.welcome import CHAT, OPEN, SAMPLE, WelcomeDialog

        dialog = WelcomeDialog(self)
        dialog.exec()
        if dialog.choice == SAMPLE:
            self.open_sample()
        elif dialog.choice == OPEN:
            self.choose_taxonomy()
        elif dialog.choice == CHAT:
            self.center.setCurrentWidget(self.chat)

    @Slot()
    def open_settings(self) -> None:
        from ilabdesk.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self._config(), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.chat.refresh_models()
            self.statusBar().showMessage("Settings saved", 5000)

    @Slot()
    def contribute(self, path: Path | None = None) -> None:
        from ilabdesk.gui.contribute_dialog import ContributeDialog

        if self.taxonomy_root is None:
            self.statusBar().showMessage("Open a taxonomy first", 5000)
            return
        if not self.editor.maybe_close():
            return
        if self.editor.doc is not None and self.editor.doc.dirty:  # the user chose to discard the edits
            self.editor.reload()
        leaf = Path(path) if isinstance(path, (str, Path)) else self.editor.path
        ContributeDialog(self.taxonomy_root, leaf, self).exec()
        self.tree_panel.refresh()

    def _about(self) -> None:
        from ilabdesk import __version__

        QMessageBox.about(self, "About ilabdesk",
                          f"<b>ilabdesk {__version__}</b><p>The InstructLab loop on your own computer.</p>")

    # --- helpers ----------------------------------------------------------------

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

