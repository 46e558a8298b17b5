"""The bottom panel: every job with its progress, ETA, live log and loss chart.

The panel subscribes to the `JobQueue` and to the selected `JobRun`; it never
touches processes itself except through the job's cancel/kill and the queue's
resume, so what it shows is always the job's own state.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ilabdesk.gui.jobs import CANCELLED, CRASHED, FAILED, FINAL_STATES, FINISHED, QUEUED, RUNNING, JobQueue, JobRun
from ilabdesk.jobs.console import format_duration

STATE_MARK = {
    QUEUED: "⏳",
    RUNNING: "▶",
    FINISHED: "✔",
    FAILED: "✖",
    CRASHED: "✖",
    CANCELLED: "■",
}


def describe(job: JobRun) -> str:
    """One line for the job list: mark, title, state, a whole run's stage and percent."""
    percent = ""
    if job.total and job.done is not None and job.state == RUNNING:
        percent = f" {int(100 * job.done / max(job.total, 1))}%"
    stage = f" · {job.plan.position()}" if job.plan is not None and job.state == RUNNING else ""
    return f"{STATE_MARK.get(job.state, '•')} {job.title} — {job.state}{stage}{percent}"



class JobsPanel(QWidget):
    """List of jobs on the left, the selected job's details on the right."""

    compareRequested = Signal(str)  # a training run folder
    resultsRequested = Signal(str)  # an evaluation's report.json

    def __init__(self, queue: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self._items: dict[Path, QListWidgetItem] = {}
        self._current: JobRun | None = None
        self._shown_lines = 0

        self.list = QListWidget()
        self.list.setObjectName("jobList")
        self.title = QLabel("No job selected")
        self.title.setObjectName("jobTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.eta = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.resume_button = QPushButton("Resume")
        self.open_button = QPushButton("Open output")
        self.compare_button = QPushButton("Compare in chat")
        self.results_button = QPushButton("Show results")
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(5000)
        self.log_view.setObjectName("jobLog")
        from ilabdesk.gui.loss_chart import LossChart

        self.chart = LossChart()
        self.stages = QTreeWidget()  # a whole run's stages: done, running, next
        self.stages.setObjectName("jobStages")
        self.stages.setHeaderLabels(["stage", "state", "progress", "ETA / took"])
        self.stages.setRootIsDecorated(False)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.log_view, "Log")
        self.tabs.addTab(self.chart, "Loss")
        self.tabs.addTab(self.stages, "Stages")

        buttons = QHBoxLayout()
        for button in (self.cancel_button, self.resume_button, self.open_button, self.compare_button,
                       self.results_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.eta)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.title)
        detail_layout.addLayout(progress_row)
        detail_layout.addLayout(buttons)
        detail_layout.addWidget(self.tabs, 1)
        splitter = QSplitter()
        splitter.setObjectName("jobsSplitter")
        splitter.addWidget(self.list)
        splitter.addWidget(detail)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([340, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        self.queue.added.connect(self._on_added)
        self.list.currentItemChanged.connect(self._on_selected)
        self.cancel_button.clicked.connect(self._cancel)
        self.resume_button.clicked.connect(self._resume)
        self.open_button.clicked.connect(self._open_output)
        self.compare_button.clicked.connect(self._compare)
        self.results_button.clicked.connect(self._results)
        for job in self.queue.jobs:
            self._on_added(job)
        self._refresh_details()

    def current_job(self) -> JobRun | None:
        return self._current

    def select(self, job: JobRun) -> None:
        item = self._items.get(job.job_dir)
        if item is not None:
            self.list.setCurrentItem(item)

    @Slot(object)
    def _on_added(self, job: JobRun) -> None:
        item = self._items.get(job.job_dir)
        if item is None:
            item = QListWidgetItem()
            self.list.insertItem(self._row_for(job.job_dir.name), item)
            self._items[job.job_dir] = item
        item.setData(Qt.ItemDataRole.UserRole, job)
        item.setText(describe(job))
        item.setToolTip(f"{job.title}\n{job.job_dir}")
        job.changed.connect(self._on_job_changed)
        job.events.connect(self._on_job_events)
        shown = self.list.currentItem().data(Qt.ItemDataRole.UserRole) if self.list.currentItem() else None
        newest_of_the_past = (shown is not None and shown.state in FINAL_STATES and job.state in FINAL_STATES
                              and job.job_dir.name > shown.job_dir.name)  # history is read oldest first
        if job.state in (QUEUED, RUNNING) or shown is None or newest_of_the_past:
            self.list.setCurrentItem(item)
        if self.list.currentItem() is item:
            self._on_selected(item, None)

    def _row_for(self, name: str) -> int:
        """Newest first: job folder names start with their start time."""
        for row in range(self.list.count()):
            other = self.list.item(row).data(Qt.ItemDataRole.UserRole)
            if other is not None and other.job_dir.name < name:
                return row
        return self.list.count()

    @Slot()
    def _on_job_changed(self) -> None:
        job = self.sender()
        if not isinstance(job, JobRun):
            return
        item = self._items.get(job.job_dir)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) is job:
            item.setText(describe(job))
        if job is self._current:
            self._refresh_details()

    @Slot(list)
    def _on_job_events(self, events: list) -> None:
        if self.sender() is self._current:
            self._append_new_log()
            if any("loss" in event.data for event in events):
                self.chart.set_points(self._current.losses)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_selected(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self._current = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self.log_view.clear()
        self._shown_lines = 0
        if self._current is not None:
            self._shown_lines = max(self._current.log_count - len(self._current.log), 0)
            self._append_new_log()
            self.chart.set_points(self._current.losses)
            if self._current.plan is not None:
                self.tabs.setCurrentWidget(self.stages)
            elif self._current.losses:
                self.tabs.setCurrentWidget(self.chart)
        else:
            self.chart.set_points([])
        self._refresh_details()

    def _append_new_log(self) -> None:
        job = self._current
        if job is None:
            return
        lines = job.new_log_lines(self._shown_lines)
        self._shown_lines = job.log_count
        if lines:
            self.log_view.appendPlainText("\n".join(lines))

    def _refresh_details(self) -> None:
        job = self._current
        if job is None:
            self.title.setText("No job yet: drop a document on a knowledge leaf, or start one from the Jobs menu.")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.eta.setText("")
            for button in (self.cancel_button, self.resume_button, self.open_button, self.compare_button,
                           self.results_button):
                button.setEnabled(False)
            self.tabs.setTabVisible(self.tabs.indexOf(self.stages), False)
            return
        stage = f" · {job.stage}" if job.stage else ""
        if job.plan is not None and job.plan.current is not None:
            stage = f" · stage {job.plan.position()}" + (f" ({job.stage})" if job.stage != job.plan.current.name else "")
        self.title.setText(f"<b>{job.title}</b> — {job.state}{stage}<br>{_escape(job.message)}")
        self._show_stages(job)
        if job.total:
            self.progress.setRange(0, job.total)
            self.progress.setValue(min(job.done or 0, job.total))
            self.progress.setFormat("%v / %m  (%p%)")
        elif job.state == RUNNING:
            self.progress.setRange(0, 0)  # busy indicator until the job reports units
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if job.state == FINISHED else 0)
            self.progress.setFormat("%p%")
        self.eta.setText(f"ETA {format_duration(job.eta_s)}" if job.state == RUNNING and job.eta_s else "")
        if job.plan is not None and job.state == RUNNING:
            left, unknown = job.plan.overall_eta()
            if left is not None:
                self.eta.setText(f"stage ETA {format_duration(left)}; whole run " + (
                    f"≥ {format_duration(left)} ({', '.join(unknown)} not started)" if unknown else format_duration(left)))
        self.cancel_button.setEnabled(job.state in (QUEUED, RUNNING))
        self.resume_button.setEnabled(job.state in FINAL_STATES and job.state != FINISHED)
        self.open_button.setEnabled(job.output_dir().exists())
        self.compare_button.setVisible(job.spec.kind in ("train", "pipeline"))
        self.compare_button.setEnabled(job.run_dir() is not None)
        self.results_button.setVisible(job.spec.kind in ("evaluate", "pipeline"))
        self.results_button.setEnabled(job.report_file() is not None)

    def _show_stages(self, job: JobRun) -> None:
        """The Stages tab: one row per stage of a whole run, each with its own progress and ETA."""
        index = self.tabs.indexOf(self.stages)
        if job.plan is not None and not self.tabs.isTabVisible(index):  # its first stage began: show them
            self.tabs.setTabVisible(index, True)
            self.tabs.setCurrentWidget(self.stages)
        self.tabs.setTabVisible(index, job.plan is not None)
        if job.plan is None:
            return
        rows = []
        for stage in job.plan.stages:
            progress = f"{stage.done}/{stage.total}" if stage.total and stage.state in ("running", "done") else ""
            timing = (f"ETA {format_duration(stage.eta_s)}" if stage.state == "running" and stage.eta_s else
                      format_duration(stage.seconds) if stage.seconds is not None and stage.state == "done" else "")
            rows.append([stage.name, stage.state, progress, timing])
        if self.stages.topLevelItemCount() != len(rows):
            self.stages.clear()
            self.stages.addTopLevelItems([QTreeWidgetItem(row) for row in rows])
        for index, row in enumerate(rows):
            item = self.stages.topLevelItem(index)
            for column, text in enumerate(row):
                item.setText(column, text)

    @Slot()
    def _cancel(self) -> None:
        if self._current is not None:
            self._current.cancel()

    @Slot()
    def _resume(self) -> None:
        if self._current is not None:
            self.queue.resume(self._current)

    @Slot()
    def _open_output(self) -> None:
        if self._current is not None:
            folder = self._current.output_dir()
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
                QMessageBox.information(self, "Open output", f"No file manager could open it. The output is in:\n\n{folder}")

    @Slot()
    def _compare(self) -> None:
        if self._current is not None:
            run = self._current.run_dir()
            if run is not None:
                self.compareRequested.emit(str(run))


    @Slot()
    def _results(self) -> None:
        report = self._current.report_file() if self._current is not None else None
        if report is not None:
            self.resultsRequested.emit(str(report))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
