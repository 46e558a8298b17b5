"""Write PNGs of the app's main views for the README, under Xvfb (started here if needed).

    python scripts/screenshots.py [--output docs/screenshots] [--home DIR] [--report REPORT.json]

It drives the real app on a private ILABDESK_HOME: installs the sample
taxonomy, opens the knowledge leaf (form and YAML with a validation error),
chats with the embedded model in both panes with the differences shown, runs
an ingest job on the sample document for the jobs panel, and a short real
LoRA training run on the leaf's seed Q&A for the loss chart (a few minutes), and a
whole run on the sample shown while it trains (its stages), then cancelled. `--home` reuses
an existing home instead (e.g. one where `ilabdesk run` trained a model, so the
jobs panel shows a loss curve). `--report` shows that evaluation (a report.json
of `ilabdesk run` or `evaluate`) in the Results tab. The window is 1280x800.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_xvfb() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is not installed (apt-get install -y xvfb), and DISPLAY is not set")
    server = subprocess.Popen(["Xvfb", ":98", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"] = ":98"
    time.sleep(1.0)
    return server


def wait(app, condition, timeout: float = 60.0) -> bool:
    """Run the event loop until `condition()` holds (or the timeout passes)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.02)
    return False


def seed_dataset(leaf: Path) -> Path:
    """A tiny dataset in the SDG format from the leaf's seed Q&A (no teacher needed)."""
    import json

    import yaml

    from ilabdesk.settings import paths

    data = yaml.safe_load(leaf.read_text(encoding="utf-8"))
    lines = []
    for seed in data["seed_examples"]:
        for qa in seed["questions_and_answers"]:
            messages = [{"role": "user", "content": qa["question"].strip()},
                        {"role": "assistant", "content": qa["answer"].strip()}]
            lines.append(json.dumps({"messages": messages, "metadata": {"leaf": leaf.parent.name}}))
    folder = paths().datasets / "screenshot"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"train_{leaf.parent.name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--home", type=Path, help="an ILABDESK_HOME to show (default: a fresh one)")
    parser.add_argument("--report", type=Path, help="an evaluation's report.json for the Results tab")
    args = parser.parse_args()
    server = start_xvfb()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ["ILABDESK_HOME"] = str(args.home or tempfile.mkdtemp(prefix="ilabdesk-shots-"))
    args.output.mkdir(parents=True, exist_ok=True)
    try:
        return shoot(args.output, args.report)
    finally:
        if server is not None:
            server.terminate()
            server.wait()


def shoot(out: Path, report: Path | None) -> int:
    from ilabdesk.gui.app import create_app

    app = create_app()
    from ilabdesk.gui.mainwindow import MainWindow

    window = MainWindow(first_run_welcome=False)
    window.resize(1280, 800)
    window.show()
    wait(app, lambda: window.windowHandle() is not None and window.windowHandle().isExposed())
    written: list[Path] = []

    def save(name: str) -> None:
        wait(app, lambda: False, 0.3)  # let pending paints land
        path = out / name
        window.grab().save(str(path))
        written.append(path)

    window.open_sample()  # installs off the UI thread
    wait(app, lambda: window.taxonomy_root is not None)
    root = window.taxonomy_root
    panel = window.tree_panel
    wait(app, lambda: len(panel.leaf_paths()) >= 2 and all(panel.state_of(p) != "unknown" for p in panel.leaf_paths()))
    leaf = next(p for p in panel.leaf_paths() if "knowledge" in p.parts)
    window.open_leaf(leaf)
    panel.select_leaf(leaf)
    editor = window.editor
    wait(app, lambda: editor.status.text().startswith("✔"))
    save("leaf-form.png")

    # The YAML tab with a mistake: validation points at the line.
    editor.doc.set_value(("created_by",), "")
    editor.tabs.setCurrentWidget(editor.raw)
    wait(app, lambda: bool(editor.messages))
    editor.jump_to(editor.messages[0].line, editor.messages[0].column)
    save("leaf-yaml-validation.png")
    editor.undo()
    editor.tabs.setCurrentWidget(editor.form_holder)

    # Chat: the same question to both panes, sampled differently, with the differences marked.
    chat = window.chat
    window.center.setCurrentWidget(chat)
    chat.tuned.select(chat.original.choice())
    chat.params.update(max_tokens=60, temperature=0.8, seed=None)  # each pane samples its own answer
    chat.prompt.setPlainText("Where is Quellmoor Island, and what is it known for?")
    chat.send()
    wait(app, lambda: not chat.busy(), 120)
    chat.diff_toggle.setChecked(True)
    save("chat-compare.png")

    # Jobs: ingest the sample's own document into its leaf (a real job in a child process).
    window.center.setCurrentWidget(editor)
    documents = sorted((root.parent / "documents").glob("*.md"))
    job = window.ingest_documents(leaf, documents[:1]) if documents else None
    if job is not None:
        wait(app, lambda: job.outcome is not None, 300)
    window.jobs_dock.raise_()
    save("jobs.png")

    # Training: a short real LoRA run on the leaf's own seed Q&A, for the loss chart.
    from ilabdesk.settings import paths

    data = seed_dataset(leaf)
    run = window.start_job("train", {"data": str(data), "output": str(paths().runs / "screenshot"),
                                     "iters": 24, "batch_size": 2, "max_seq_len": 160}, "Train on the sample leaf")
    wait(app, lambda: run.outcome is not None or len(run.losses) >= 24, 900)
    wait(app, lambda: run.outcome is not None, 120)
    window.jobs_panel.select(run)
    window.jobs_panel.tabs.setCurrentWidget(window.jobs_panel.chart)
    save("training-loss.png")

    # A whole run on the sample, shown while it trains: its stages, each with its own progress.
    whole = window.start_job("pipeline", {"taxonomy": str(root), "output": str(paths().runs / "whole-run"),
                                          "leaves": [str(leaf)]})
    wait(app, lambda: whole.plan is not None and whole.plan.position().endswith("train") and bool(whole.total), 1800)
    wait(app, lambda: False, 5)
    window.jobs_panel.select(whole)
    window.jobs_panel.tabs.setCurrentWidget(window.jobs_panel.stages)
    save("whole-run-stages.png")
    whole.cancel()
    wait(app, lambda: whole.outcome is not None, 120)

    if report is not None:
        window.show_results(str(report))
        results = window.results
        results.questions.selectRow(0)
        window.jobs_panel.select(run)
        save("results.png")

    window.close()
    for path in written:
        print(path, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
