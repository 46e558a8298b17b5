"""The main window's jobs: what starts them (a drop, a dialog, "Compare in chat") and what follows.

Each job runs in a child process (see `ilabdesk.gui.jobs`); this part of the
window decides its arguments from what the user has open, and reacts when it
ends: an ingest reloads the leaf (keeping unsaved edits), a generate or train
becomes the next dialog's default, and a finished training opens in the chat,
after converting its adapter when needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDialog, QMessageBox

from ilabdesk.gui.jobs import FINISHED, JobRun
from ilabdesk.settings import paths

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDockWidget, QTabWidget

    from ilabdesk.gui.chat_compare import ChatCompare
    from ilabdesk.gui.jobs import JobQueue
    from ilabdesk.gui.jobs_panel import JobsPanel
    from ilabdesk.gui.leaf_editor import LeafEditor
    from ilabdesk.gui.results_view import ResultsView
    from ilabdesk.gui.taxonomy_tree import TaxonomyPanel


class JobWiring:
    """Mixed into MainWindow (a QMainWindow with `_config()` and `_teacher()`); the attributes are its parts."""

    editor: LeafEditor
    tree_panel: TaxonomyPanel
    jobs: JobQueue
    jobs_panel: JobsPanel
    jobs_dock: QDockWidget
    center: QTabWidget
    chat: ChatCompare
    results: ResultsView
    settings: QSettings
    draft_action: QAction
    taxonomy_root: Path | None
    last_dataset: Path | None
    last_run: Path | None
    _compare_after: dict[Path, Path]  # convert job folder -> run to compare when it is done

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

    # --- starting jobs ------------------------------------------------------------

    def job_defaults(self, kind: str) -> dict[str, Any]:
        """What the job dialogs start with: this session's taxonomy, dataset and run."""
        from ilabdesk.gui.job_dialogs import stamp

        config = self._config()
        leaf = self.editor.path
        dataset = self.last_dataset or self._latest_output(("generate",))
        run = self.last_run or self._latest_output(("train", "pipeline"))
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
            defaults["data"] = str(dataset or "")
            defaults["output"] = str(paths().runs / stamp(name))
        elif kind == "convert":
            defaults["run"] = str(run or "")
            defaults["quantize"] = "Q4_K_M"
        elif kind == "evaluate":
            if run is not None:
                defaults["adapter"] = str(run / "adapter.gguf")
            defaults["data"] = str(dataset or "")
            defaults["output"] = str(paths().runs / stamp(f"{name}-eval"))
        elif kind == "pipeline":
            defaults["output"] = str(paths().runs / stamp(name))
        return defaults

    def _latest_output(self, kinds: tuple[str, ...]) -> Path | None:
        """The newest finished job of `kinds` in the list (earlier sessions too): a dataset or a run.

        After a restart the session's own dataset and run are gone, but the
        job history still knows them, so "train what I generated yesterday"
        needs no browsing.
        """
        for job in sorted(self.jobs.jobs, key=lambda j: j.job_dir.name, reverse=True):
            if job.spec.kind not in kinds or job.state != FINISHED:
                continue
            found = job.run_dir() if job.spec.kind != "generate" else Path(job.spec.args.get("output", ""))
            if found is not None and found.is_dir():
                return found
        return None

    def _save_before(self, kind: str) -> bool:
        """Jobs that read leaves from disk see unsaved edits only once they are saved: ask first."""
        doc = self.editor.doc
        if kind not in ("generate", "pipeline") or doc is None or not doc.dirty:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, "Save the leaf first?",
            f"{doc.rel} has unsaved changes, and the job reads the saved file. Save them first?",
            buttons.Yes | buttons.No | buttons.Cancel, buttons.Yes,
        )
        if answer == buttons.Yes:
            return self.editor.save()
        return answer == buttons.No  # No: run on the saved file, keep editing

    def start_job_dialog(self, kind: str) -> JobRun | None:
        from ilabdesk.gui.job_dialogs import JobDialog

        if not self._save_before(kind):
            return None
        dialog = JobDialog(kind, self.job_defaults(kind), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return self.start_job(kind, dialog.args())

    def start_job(self, kind: str, args: dict[str, Any], title: str = "") -> JobRun:
        job = self.jobs.submit(kind, args, title)
        self.jobs_dock.show()
        self.jobs_panel.select(job)
        return job

    # --- when a job ends ----------------------------------------------------------

    @Slot(object)
    def _on_job_finished(self, job: JobRun) -> None:
        outcome = job.outcome
        if outcome is None:
            return
        if outcome.state != FINISHED:
            first = outcome.message.splitlines()[0] if outcome.message else ""
            said = first if first.startswith(outcome.state) else f"{outcome.state} — {first}".rstrip(" —")
            self.statusBar().showMessage(f"{job.title}: {said}")
            return
        self.statusBar().showMessage(f"{job.title}: finished", 8000)
        kind = job.spec.kind
        report = job.report_file()
        if report is not None:
            self.show_results(str(report))
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

    @Slot(str)
    def show_results(self, report: str) -> None:
        """Open an evaluation's report in the Results tab."""
        try:
            self.results.load(Path(report))
        except (OSError, ValueError, KeyError) as exc:
            QMessageBox.warning(self, "Cannot show the results", f"{report}: {exc}")
            return
        self.center.setCurrentWidget(self.results)

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
                doc.disk_bytes = qna.read_bytes()  # the edits now hold the ingest's change: saving keeps both
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
                from ilabdesk.taxonomy.placeholders import template_only

                def add(data: dict[str, Any]) -> None:  # in place of a new leaf's template examples
                    kept = [seed for seed in data.get("seed_examples") or [] if not template_only(seed)]
                    data["seed_examples"] = kept + chosen

                self.editor.doc.edit(add, f"add {len(chosen)} drafted example(s)")

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
