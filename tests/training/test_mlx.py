"""The MLX backend (mlx-lm's tuner) on the tiny model; on Linux mlx[cpu] is slow, so a few steps only."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("mlx_lm", reason="mlx-lm is not installed")

from ilabdesk.jobs.runner import JobSpec, run_events  # noqa: E402


def test_mlx_backend_trains_and_saves_a_peft_adapter(tiny, facts_data, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    run_dir = tmp_path / "run"
    args = {"data": str(facts_data), "output": str(run_dir), "base": str(tiny["hf"]), "backend": "mlx",
            "iters": 4, "batch_size": 4, "learning_rate": 1e-2, "rank": 4, "alpha": 8, "checkpoint_every": 2}
    events = list(run_events(JobSpec("train", args)))
    assert events[-1].type == "done", events[-1].message
    losses = [e.data["loss"] for e in events if e.type == "progress"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert json.loads((run_dir / "run.json").read_text())["backend"] == "mlx"
    assert len(list((run_dir / "checkpoints").glob("step-*"))) == 2

    # The saved PEFT adapter reproduces the MLX model's loss in torch.
    from ilabdesk.training.mlx_backend import MLXTrainer
    from ilabdesk.training.config import TrainConfig
    from ilabdesk.training.data import load_dataset

    config = TrainConfig(backend="mlx", iters=4, batch_size=4, rank=4, alpha=8)
    trainer = MLXTrainer(tiny["hf"], config)
    trainer.load_checkpoint(run_dir / "checkpoints" / "step-000004")
    dataset = load_dataset(facts_data, trainer.tokenizer, config)
    mlx_loss = trainer.eval_loss(dataset.validation)

    from ilabdesk.training.torch_backend import TorchTrainer

    torch_trainer = TorchTrainer(tiny["hf"], TrainConfig(batch_size=4, threads=1))
    model = AutoModelForCausalLM.from_pretrained(str(tiny["hf"]), dtype=torch.float32)
    torch_trainer.model = PeftModel.from_pretrained(model, str(run_dir / "adapter"))
    torch_trainer.decoder = torch_trainer.model.get_base_model().model
    torch_trainer.head = torch_trainer.model.get_base_model().lm_head
    assert torch_trainer.eval_loss(dataset.validation) == pytest.approx(mlx_loss, rel=1e-3)
    assert np.isfinite(mlx_loss)
