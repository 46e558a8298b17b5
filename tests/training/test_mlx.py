"""The MLX backend (mlx-lm's tuner) on the tiny model; on Linux mlx[cpu] is slow, so a few steps only."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("mlx_lm", reason="mlx-lm is not installed")

from ilabdesk.jobs.runner import JobSpec, run_events  # noqa: E402
from training.tiny import VARIANTS  # noqa: E402


def test_mlx_backend_trains_and_saves_a_peft_adapter(tiny, facts_data, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    run_dir = tmp_path / "run"
    args = {"data": str(facts_data), "output": str(run_dir), "base": str(tiny["hf"]), "backend": "mlx",
            "iters": 3, "batch_size": 4, "learning_rate": 1e-2, "rank": 4, "alpha": 8, "checkpoint_every": 2}
    events = list(run_events(JobSpec("train", args)))
    assert events[-1].type == "done", events[-1].message
    losses = [e.data["loss"] for e in events if e.type == "progress"]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert json.loads((run_dir / "run.json").read_text())["backend"] == "mlx"
    assert sorted(p.name for p in (run_dir / "checkpoints").glob("step-*")) == ["step-000002", "step-000003"]

    # The saved PEFT adapter reproduces, in torch, the validation loss MLX measured after the last step.
    from ilabdesk.training.config import TrainConfig
    from ilabdesk.training.data import load_dataset
    from ilabdesk.training.torch_backend import TorchTrainer

    mlx_val = json.loads((run_dir / "run.json").read_text())["val_loss"]
    trainer = TorchTrainer(tiny["hf"], TrainConfig(batch_size=4, threads=1, rank=4, alpha=8, precision="fp32"))
    model = AutoModelForCausalLM.from_pretrained(str(tiny["hf"]), dtype=torch.float32)
    trainer.model = PeftModel.from_pretrained(model, str(run_dir / "adapter"))
    trainer.decoder, trainer.head = trainer.model.get_base_model().model, trainer.model.get_base_model().lm_head
    dataset = load_dataset(facts_data, trainer.tokenizer, TrainConfig(batch_size=4))
    assert np.isfinite(mlx_val)
    assert trainer.eval_loss(dataset.validation) == pytest.approx(mlx_val, rel=1e-3)


def test_mlx_backend_trains_a_bf16_base(tiny, facts_data, tmp_path):
    run_dir = tmp_path / "run"
    args = {"data": str(facts_data), "output": str(run_dir), "base": str(tiny["hf"]), "backend": "mlx",
            "iters": 3, "batch_size": 4, "learning_rate": 1e-2, "rank": 4, "alpha": 8, "precision": "bf16"}
    events = list(run_events(JobSpec("train", args)))
    assert events[-1].type == "done", events[-1].message
    losses = [e.data["loss"] for e in events if e.type == "progress"]
    assert losses[-1] < losses[0]
    assert json.loads((run_dir / "run.json").read_text())["precision"] == "bf16"


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "llama"])
def test_mlx_computes_what_torch_computes_for_each_architecture(variant, tiny_models):
    """A transformers 5 folder keeps Llama 3's rotary scaling in `rope_parameters`, which mlx-lm must be given."""
    import mlx.core as mx
    import torch
    from transformers import AutoModelForCausalLM

    from ilabdesk.training.config import TrainConfig
    from ilabdesk.training.mlx_backend import MLXTrainer

    folder = tiny_models(variant)["hf"]
    ids = [1, 40, 150, 220, 260, 310, 350, 399]  # within the tiny Gemma 2's 400-piece vocabulary
    trainer = MLXTrainer(folder, TrainConfig(backend="mlx", precision="fp32", rank=4, alpha=8))
    got = np.array(trainer.model(mx.array([ids]))[0].astype(mx.float32))
    with torch.no_grad():
        want = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)(torch.tensor([ids])).logits[0].numpy()
    assert np.abs(got - want).max() < 1e-3 * np.abs(want).max()
