"""The "train" and "convert" jobs on the tiny model: events, run folder, cancel, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from training.agree import llama_logits, prompt_ids, torch_logits
from training.tiny import FAST, VARIANTS

from ilabdesk.jobs.events import Cancel
from ilabdesk.jobs.runner import JobSpec, run_events


def _run(kind: str, args: dict, cancel: Cancel | None = None) -> list:
    return list(run_events(JobSpec(kind, args), cancel))


def _adapter(run_dir):
    from safetensors.numpy import load_file

    return load_file(str(run_dir / "adapter" / "adapter_model.safetensors"))


def test_train_job_writes_a_reproducible_run(tiny, facts_data, tmp_path):
    run_dir = tmp_path / "run"
    events = _run("train", {"data": str(facts_data), "output": str(run_dir), "base": str(tiny["hf"]), **FAST})
    assert events[-1].type == "done", events[-1].message
    progress = [e for e in events if e.type == "progress"]
    assert [e.done for e in progress] == list(range(1, 7)) and progress[-1].total == 6
    assert {"step", "loss", "lr", "tokens_per_s"} <= set(progress[0].data)
    assert progress[-1].eta_s is not None
    assert any("val_loss" in e.data for e in events if e.type == "metric")
    assert progress[-1].data["loss"] < progress[0].data["loss"]
    info = json.loads((run_dir / "run.json").read_text())
    assert info["complete"] and info["base_gguf"] is None and info["base_hf"] == str(tiny["hf"])
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 6
    assert "training" in (run_dir / "config.yaml").read_text() and (run_dir / "log.txt").is_file()
    assert (run_dir / "adapter" / "adapter_config.json").is_file()
    assert len(list((run_dir / "checkpoints").glob("step-*"))) == 2

    again = _run("train", {"data": str(facts_data), "output": str(run_dir), "base": str(tiny["hf"]), **FAST})
    assert again[-1].type == "done" and again[-1].message == "already trained"
    changed = _run("train", {"data": str(facts_data), "output": str(run_dir), "base": str(tiny["hf"]), **FAST, "seed": 7})
    assert any("starting over" in e.message for e in changed) and changed[-1].type == "done"


def test_cancel_stops_between_steps(tiny, facts_data, tmp_path):
    cancel = Cancel()
    events = []
    for event in run_events(JobSpec("train", {"data": str(facts_data), "output": str(tmp_path / "run"),
                                              "base": str(tiny["hf"]), **FAST}), cancel):
        events.append(event)
        if event.type == "progress" and event.done == 2:
            cancel.set()
    assert events[-1].type == "error" and events[-1].data.get("cancelled")
    assert max(e.done for e in events if e.type == "progress") == 2
    assert not (tmp_path / "run" / "adapter").exists() and not (tmp_path / "run" / "run.json").exists()


def test_resume_after_sigkill_matches_an_uninterrupted_run(tiny, facts_data, tmp_path):
    args = {"data": str(facts_data), "base": str(tiny["hf"]), **FAST, "iters": 8, "checkpoint_every": 2}
    spec = JobSpec("train", {**args, "output": str(tmp_path / "killed")})
    spec_path = spec.save(tmp_path / "spec.json")
    child = subprocess.Popen([sys.executable, "-m", "ilabdesk", "job", "run", str(spec_path)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))
    for line in child.stdout:
        event = json.loads(line)
        if event["type"] == "progress" and event["done"] == 5:
            os.kill(child.pid, signal.SIGKILL)  # mid-run, after the checkpoint at step 4
            break
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    killed = tmp_path / "killed"
    assert not (killed / "adapter").exists()

    resumed = _run("train", {**args, "output": str(killed)})
    assert any("resuming from the checkpoint at step 4" in e.message for e in resumed)
    assert [e.done for e in resumed if e.type == "progress"] == [5, 6, 7, 8]
    steps = [json.loads(line)["step"] for line in (killed / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 9))  # step 5, logged before the kill, is not repeated
    straight = _run("train", {**args, "output": str(tmp_path / "straight")})
    assert straight[-1].type == "done"
    a, b = _adapter(killed), _adapter(tmp_path / "straight")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=2e-5)


def test_a_damaged_checkpoint_falls_back_to_the_one_before(tiny, facts_data, tmp_path):
    args = {"data": str(facts_data), "base": str(tiny["hf"]), **FAST, "iters": 6, "checkpoint_every": 2,
            "output": str(tmp_path / "run")}
    cancel = Cancel()
    for event in run_events(JobSpec("train", args), cancel):
        if event.type == "progress" and event.done == 4:
            cancel.set()  # checkpoints at steps 2 and 4
    newest = tmp_path / "run" / "checkpoints" / "step-000004" / "lora.safetensors"
    newest.write_bytes(newest.read_bytes()[:100])  # cut short, as by a full disk
    events = _run("train", args)
    assert events[-1].type == "done", events[-1].message
    damaged = [e.message for e in events if "damaged" in e.message]
    assert damaged and "step-000004" in damaged[0]
    assert any("resuming from the checkpoint at step 2" in e.message for e in events)
    assert [e.done for e in events if e.type == "progress"] == [3, 4, 5, 6]


def test_a_base_without_a_chat_template_is_trained_chatted_and_exported_with_chatml(tiny, facts_data, tmp_path):
    from ilabdesk.chat.llama import LlamaEngine
    from ilabdesk.chat.template import DEFAULT_TEMPLATE
    from ilabdesk.models.gguf_file import inspect_gguf
    from training.tiny import tiny_gguf

    bare = tiny_gguf(tiny["hf"], tmp_path / "bare.gguf", template=False)
    assert inspect_gguf(bare).chat_template is None
    run_dir = tmp_path / "run"
    events = _run("train", {"data": str(facts_data), "output": str(run_dir), "base": str(bare), **FAST, "iters": 2})
    assert events[-1].type == "done", events[-1].message
    assert any("has no chat template of its own: ilabdesk uses ChatML" in e.message for e in events)
    converted = _run("convert", {"run": str(run_dir), "quantize": None})
    assert converted[-1].type == "done", converted[-1].message
    assert inspect_gguf(run_dir / "model-f16.gguf").chat_template == DEFAULT_TEMPLATE  # the model carries it
    engine = LlamaEngine(bare, threads=1)
    try:
        assert engine._llm.chat_format == "chatml" and "ChatML" in engine.note  # not Llama-2's [INST], and said so
    finally:
        engine.close()
    engine = LlamaEngine(run_dir / "model-f16.gguf", threads=1)
    try:
        assert engine.note is None
    finally:
        engine.close()


@pytest.mark.parametrize("variant", VARIANTS)
def test_convert_job_from_a_gguf_base_and_logits_agree(variant, tiny_models, facts_data, tmp_path):
    """Tiny model of each architecture a GGUF base can be, its GGUF written by llama.cpp's converter:
    GGUF -> trainable -> LoRA steps; torch + LoRA, llama.cpp base + adapter GGUF and the fused F32 GGUF
    give the same logits."""
    from ilabdesk.gguf.export import export_fused

    tiny = tiny_models(variant)
    run_dir = tmp_path / "run"
    events = _run("train", {"data": str(facts_data), "output": str(run_dir), "base": str(tiny["gguf"]), **FAST})
    assert events[-1].type == "done", events[-1].message
    info = events[-1].data
    assert info["base_gguf"] == str(tiny["gguf"])
    converted = _run("convert", {"run": str(run_dir), "quantize": "Q8_0"})
    assert converted[-1].type == "done", converted[-1].message
    for name in ("adapter.gguf", "model-f16.gguf", "model-Q8_0.gguf"):
        assert (run_dir / name).is_file()
    assert json.loads((run_dir / "run.json").read_text())["gguf"]["model"] == str(run_dir / "model-Q8_0.gguf")
    again = _run("convert", {"run": str(run_dir), "quantize": "Q8_0"})
    assert sum("up to date" in e.message for e in again) == 3

    fused32 = export_fused(info["base_hf"], run_dir / "adapter", tiny["gguf"], tmp_path / "fused-f32.gguf", "F32")
    ids = prompt_ids(info["base_hf"])
    reference = torch_logits(info["base_hf"], run_dir / "adapter", ids)
    scale = np.abs(reference).max()
    # stated tolerance: 1e-3 of the logit range (float32 kernels sum in a different order); 2e-3 for
    # Gemma, whose GELU llama.cpp reads from a float16 table
    tolerance = 2e-3 if variant.startswith("gemma") else 1e-3
    for got in (llama_logits(tiny["gguf"], ids, lora_path=str(run_dir / "adapter.gguf")), llama_logits(fused32, ids)):
        assert np.abs(got - reference).max() < tolerance * scale
    without = llama_logits(tiny["gguf"], ids)
    assert np.abs(without - reference).max() > 1e-2 * scale, "the trained adapter must change the logits"


def test_convert_refuses_unfinished_runs_and_bad_quant(tmp_path):
    events = _run("convert", {"run": str(tmp_path)})
    assert events[-1].type == "error" and "no finished training run" in events[-1].message
    (tmp_path / "run.json").write_text(json.dumps({"complete": True, "base_gguf": None, "base_hf": "x"}))
    events = _run("convert", {"run": str(tmp_path), "quantize": "Q3_X"})
    assert events[-1].type == "error" and "unknown quantization" in events[-1].message


def test_bad_settings_are_user_errors(facts_data, tmp_path):
    events = _run("train", {"data": str(facts_data), "output": str(tmp_path), "rank": 0})
    assert events[-1].type == "error" and "rank" in events[-1].message and "traceback" not in events[-1].data
    events = _run("train", {"data": str(tmp_path / "nope"), "output": str(tmp_path / "r")})
    assert events[-1].type == "error" and "dataset folder not found" in events[-1].message
