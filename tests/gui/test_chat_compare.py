"""Chat compare with the real embedded model in both panes, streaming at the same time."""

from __future__ import annotations

from gui_helpers import GapMeter
from PySide6.QtCore import Qt

from ilabdesk.gui.chat_compare import ModelChoice, answer_diffs, word_diff


def test_both_panes_stream_tokens_and_ui_stays_responsive(window, qtbot):
    chat = window.chat
    window.center.setCurrentWidget(chat)
    chat.params.update(max_tokens=24, temperature=0.0, seed=1)
    qtbot.waitUntil(lambda: chat.original.picker.count() > 1)
    assert chat.original.choice() == ModelChoice("smollm2-135m-instruct (embedded)", None)
    chat.tuned.select(chat.original.choice())
    # Loading a model (dlopen of llama.cpp, reading the GGUF) happens once, before streaming.
    for pane in chat.panes:
        pane.ensure_loaded()
    qtbot.waitUntil(lambda: all("loaded" in p.status.text() for p in chat.panes), timeout=60_000)
    meter = GapMeter()
    meter.start()
    qtbot.keyClicks(chat.prompt, "What is the capital of France?")
    qtbot.mouseClick(chat.send_button, Qt.MouseButton.LeftButton)
    assert not chat.send_button.isEnabled() and chat.stop_button.isEnabled()
    # Both panes receive tokens before either has finished: they stream at the same time.
    qtbot.waitUntil(lambda: all(p.tokens_seen >= 2 for p in chat.panes), timeout=60_000)
    assert chat.busy()
    qtbot.waitUntil(lambda: not chat.busy(), timeout=60_000)
    meter.stop()
    for pane in chat.panes:
        answer = pane.last_answer()
        assert answer.strip(), pane.status.text()
        assert pane.tokens_seen > 3
        assert answer in pane.transcript.toPlainText().replace("\u2029", "\n") or answer.split()[0] in pane.transcript.toPlainText()
        assert "tok/s" in pane.status.text()
    assert "Paris" in chat.original.last_answer()
    meter.assert_responsive(0.1)

    # Same model, same seed, greedy: no differences to show.
    chat.diff_toggle.setChecked(True)
    assert chat.original.highlights == [set()] and chat.tuned.highlights == [set()]

    # A second turn keeps the conversation; Stop ends a long answer early.
    chat.params.update(max_tokens=400)
    qtbot.keyClicks(chat.prompt, "Write a long story about it.")
    qtbot.keyClick(chat.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: all(p.tokens_seen >= 3 for p in chat.panes), timeout=60_000)
    qtbot.mouseClick(chat.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not chat.busy(), timeout=30_000)
    assert all(len(p.history) == 4 for p in chat.panes)
    assert all("stopped" in p.status.text() for p in chat.panes)
    assert all(p.tokens_seen < 400 for p in chat.panes)
    qtbot.mouseClick(chat.new_button, Qt.MouseButton.LeftButton)
    assert all(p.history == [] for p in chat.panes)


def test_opening_the_chat_loads_both_picked_models(window, qtbot):
    """A user who opens the chat tab finds both models loading before typing a prompt."""
    chat = window.chat
    qtbot.waitUntil(lambda: chat.original.picker.count() > 1)
    assert window.center.currentWidget() is not chat and not any(p.status.text() for p in chat.panes)
    window.chat_tab_action.trigger()
    qtbot.waitUntil(lambda: all("loaded" in p.status.text() for p in chat.panes), timeout=60_000)


def test_word_diff_marks_only_changed_words(qtbot):
    only_a, only_b = word_diff("The capital is Paris.", "The capital is Lyon, I think.")
    assert only_a == {3}
    assert only_b == {3, 4, 5}
    from ilabdesk.gui.chat_compare import ChatPane

    pane = ChatPane("tuned")
    qtbot.addWidget(pane)
    pane.history = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "The capital is Lyon, I think."}]
    pane.highlights = [only_b]
    pane.render()
    assert pane.transcript.toHtml().count("background-color") == 1  # one span for the run of changed words
    assert "Lyon, I think." in pane.transcript.toPlainText()
    # Every turn is compared with the other side's answer to the same turn, not only the last.
    other = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "The capital is Paris."},
             {"role": "user", "content": "r"}, {"role": "assistant", "content": "Yes."}]
    pane.history += [{"role": "user", "content": "r"}, {"role": "assistant", "content": "Yes, it is."}]
    marks_other, pane.highlights = answer_diffs(other, pane.history)
    assert marks_other == [{3}, {0}] and pane.highlights == [{3, 4, 5}, {0, 1, 2}]
    pane.render()
    assert pane.transcript.toHtml().count("background-color") == 2
    pane.shutdown()


def test_run_folder_offers_base_plus_adapter_and_fused(tmp_path):
    import json

    from ilabdesk.gui.chat_compare import run_choices

    import os
    import time

    run = tmp_path / "run-1"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"base_gguf": "/models/base.gguf"}))
    (run / "adapter.gguf").write_bytes(b"x")
    (run / "model-Q4_K_M.gguf").write_bytes(b"x")
    trained = time.mktime((2026, 12, 4, 20, 31, 0, 0, 0, -1))
    os.utime(run / "run.json", (trained, trained))
    choices = run_choices(run)
    assert choices[0] == ModelChoice("run-1 · 4 Dec 20:31: base + adapter", "/models/base.gguf", str(run / "adapter.gguf"))
    assert choices[1] == ModelChoice("run-1 · 4 Dec 20:31: fused Q4_K_M", str(run / "model-Q4_K_M.gguf"))
    # A whole run's training folder is named by the leaves its dataset taught.
    pipeline = tmp_path / "island-run"
    (pipeline / "dataset").mkdir(parents=True)
    (pipeline / "dataset" / "summary.json").write_text(json.dumps({"leaves": {
        "knowledge_islands_quellmoor": {"leaf": "knowledge/islands/quellmoor"}, "replay": {"leaf": None}}}))
    (pipeline / "train").mkdir()
    (pipeline / "train" / "config.yaml").write_text(f"data: {pipeline / 'dataset'}\n")
    (pipeline / "train" / "model-Q4_K_M.gguf").write_bytes(b"x")
    assert run_choices(pipeline / "train")[0].label.startswith("quellmoor · ")


def test_picker_lists_a_whole_runs_trained_models():
    """`ilabdesk run` keeps its training run in train/: the picker must offer its fused model."""
    from ilabdesk.gui.chat_compare import model_choices
    from ilabdesk.settings import paths

    train = paths().runs / "whole-run" / "train"
    train.mkdir(parents=True)
    (train / "model-Q4_K_M.gguf").write_bytes(b"x")
    (train / "adapter.gguf").write_bytes(b"x")
    models = {c.model for c in model_choices()}
    adapters = {c.adapter for c in model_choices()}
    assert str(train / "model-Q4_K_M.gguf") in models
    assert str(train / "adapter.gguf") in adapters


def write_adapter(path, model, b_scale: float = 0.6):
    """A real llama.cpp LoRA adapter GGUF for `model` (attention q/v), as convert_lora_to_gguf writes it."""
    import gguf
    import numpy as np

    from ilabdesk.models.gguf_file import inspect_gguf

    info = inspect_gguf(model)
    rng = np.random.default_rng(0)
    writer = gguf.GGUFWriter(path, info.architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 8.0)
    for name, shape in info.tensor_shapes.items():
        if name.startswith("blk.") and name.split(".")[2] in ("attn_q", "attn_v"):
            n_in, n_out = shape
            writer.add_tensor(f"{name}.lora_a", rng.normal(0, 1 / np.sqrt(n_in), size=(4, n_in)).astype(np.float32))
            writer.add_tensor(f"{name}.lora_b", (rng.normal(0, 1, size=(n_out, 4)) * b_scale).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_compare_in_chat_after_training_loads_base_and_adapter(window, qtbot):
    import json

    from ilabdesk.jobs.events import Event
    from ilabdesk.jobs.runner import JobSpec
    from ilabdesk.models.default import default_model_path
    from ilabdesk.settings import paths

    # A finished training run from an earlier session: its run folder and its job journal.
    run = paths().runs / "quellmoor-run"
    (run / "adapter").mkdir(parents=True)
    base = default_model_path()
    (run / "run.json").write_text(json.dumps({"base_gguf": str(base), "run": str(run)}))
    write_adapter(run / "adapter.gguf", base)
    spec = JobSpec("train", {"data": str(paths().datasets / "d"), "output": str(run)})
    job_dir = paths().jobs / spec.id
    spec.save(job_dir / "spec.json")
    (job_dir / "events.jsonl").write_text(Event.finished("trained 10 steps", run=str(run)).to_json() + "\n")
    window.jobs.load_history()
    panel = window.jobs_panel
    panel.select(next(job for job in window.jobs.jobs if job.spec.kind == "train"))
    assert panel.compare_button.isVisible() and panel.compare_button.isEnabled()

    qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
    chat = window.chat
    assert window.center.currentWidget() is chat
    assert chat.tuned.choice().label.startswith("quellmoor-run · ")
    assert (chat.tuned.choice().model, chat.tuned.choice().adapter) == (str(base), str(run / "adapter.gguf"))
    assert chat.original.choice().model == str(base) and chat.original.choice().adapter is None
    qtbot.waitUntil(lambda: all("loaded" in p.status.text() for p in chat.panes), timeout=60_000)
    chat.params.update(max_tokens=16, temperature=0.0, seed=1)
    chat.prompt.setPlainText("Name a famous lighthouse.")
    chat.send()
    qtbot.waitUntil(lambda: not chat.busy(), timeout=60_000)
    assert chat.original.last_answer() != chat.tuned.last_answer()  # the adapter changes the model
    chat.diff_toggle.setChecked(True)
    assert chat.original.highlights[-1] and chat.tuned.highlights[-1]
    assert "background-color" in chat.tuned.transcript.toHtml()
