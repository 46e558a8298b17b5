"""The main window's menus, their shortcuts, and the small dialogs they open.

Every command a user can give from the menu bar is a `QAction` made here, so
the shortcuts can be read (and tested) in one table; what the commands do
lives with the part they act on (taxonomy_actions, job_wiring, the editor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMessageBox

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QDockWidget, QTabWidget

    from ilabdesk.gui.chat_compare import ChatCompare
    from ilabdesk.gui.leaf_editor import LeafEditor
    from ilabdesk.gui.results_view import ResultsView
    from ilabdesk.gui.taxonomy_tree import TaxonomyPanel


class MenuActions:
    """Mixed into MainWindow: builds the `*_action` attributes and the menu bar from them.

    The commands it binds (open_sample, contribute, start_job_dialog, ...) come
    from the window's other parts; the attributes below are the window's widgets.
    """

    editor: LeafEditor
    tree_panel: TaxonomyPanel
    tree_dock: QDockWidget
    jobs_dock: QDockWidget
    center: QTabWidget
    chat: ChatCompare
    results: ResultsView
    settings: QSettings

    def _action(self, text: str, slot: Any, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)  # self is the QMainWindow
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
        self.add_documents_action = self._action("&Add documents to the leaf…", self._add_documents, "Ctrl+Shift+D",
                                                 "pick document files for the open knowledge leaf")
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
        self.results_tab_action = self._action("&Results", lambda: self.center.setCurrentWidget(self.results), "Ctrl+3")
        self.welcome_action = self._action("&Welcome", self.show_welcome)
        self.about_action = self._action("&About ilabdesk", self._about)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.open_action, self.sample_action, None, self.new_leaf_action, self.save_action,
                       self.add_documents_action, self.contribute_action, None, self.settings_action, None, self.quit_action):
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
        view.addAction(self.results_tab_action)
        view.addSeparator()
        view.addAction(self.tree_dock.toggleViewAction())
        view.addAction(self.jobs_dock.toggleViewAction())
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.welcome_action)
        help_menu.addAction(self.about_action)

    def _add_documents(self) -> None:
        if self.editor.path is None:
            self.statusBar().showMessage("Open a knowledge leaf first, then add documents to it.", 5000)
            return
        self.editor.add_documents()

    def _focus_filter(self) -> None:
        self.tree_dock.show()
        self.tree_panel.filter.setFocus()
        self.tree_panel.filter.selectAll()

    # --- the small dialogs of the File and Help menus ---------------------------

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

    def _about(self) -> None:
        from ilabdesk import __version__

        QMessageBox.about(self, "About ilabdesk",
                          f"<b>ilabdesk {__version__}</b><p>The InstructLab loop on your own computer.</p>")
