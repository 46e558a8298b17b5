"""Job kind "train": dataset folder + base model -> LoRA adapter in a run folder, resumable.

Args: {"data": dir, "output": run_dir, "base": model|None, "backend": "auto"|"torch"|"mlx",
"iters": N|None, "epochs": E|None, plus any TrainConfig field (rank, alpha, learning_rate,
batch_size, max_seq_len, seed, ...)}.

The run folder's config.yaml pins the settings and a fingerprint of the data.
Re-running with the same settings resumes from the last checkpoint (or
reports the finished run); different settings start the run over.
"""

from __future__ import annotations

import math
import platform
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ilabdesk.chat.template import DEFAULT_TEMPLATE, no_template_note
from ilabdesk.errors import UserError
from ilabdesk.jobs.events import Cancel, Event, ProgressTracker
from ilabdesk.locks import holding
from ilabdesk.training.config import TrainConfig, config_from_settings
from ilabdesk.training.rundir import RunDir

RUN_ARGS = ("data", "output", "base")


def choose_backend(name: str) -> str:
    """auto -> mlx on Apple silicon (when mlx-lm is installed), torch everywhere else."""
    if name != "auto":
        return name
    if sys.platform == "darwin" and platform.machine() == "arm64":
        import importlib.util

        if importlib.util.find_spec("mlx_lm") is not None:
            return "mlx"
    return "torch"


def lr_at(step: int, first: int, count: int, config: TrainConfig) -> float:
    """Learning rate at a global step inside a phase [first, first+count): warmup, then decay to 10%."""
    s = step - first
    warm = round(config.warmup_ratio * count)
    if warm and s < warm:
        return config.learning_rate * (s + 1) / warm
    if config.schedule == "constant":
        return config.learning_rate
    progress = (s - warm) / max(1, count - warm - 1)
    progress = min(max(progress, 0.0), 1.0)
    if config.schedule == "cosine":
        factor = 0.5 * (1 + math.cos(math.pi * progress))
    else:
        factor = 1 - progress
    return config.learning_rate * (0.1 + 0.9 * factor)


def make_trainer(backend: str, hf_dir: Path, config: TrainConfig):
    if backend == "torch":
        from ilabdesk.training.torch_backend import TorchTrainer

        return TorchTrainer(hf_dir, config)
    from ilabdesk.training.mlx_backend import MLXTrainer

    return MLXTrainer(hf_dir, config)


@holding("output", "run folder")
def run(args: dict[str, Any], cancel: Cancel) -> Iterator[Event]:
    """The train job (see the module docstring)."""
    from ilabdesk.training.base import resolve_base
    from ilabdesk.training.data import load_dataset, read_recipe

    if not args.get("data") or not args.get("output"):
        raise UserError("the train job needs 'data' (a dataset folder) and 'output' (a run folder)")
    overrides = {k: v for k, v in args.items() if k not in RUN_ARGS}
    config = config_from_settings(overrides)
    backend = choose_backend(config.backend)
    data_dir = Path(args["data"]).expanduser().resolve()
    run_dir = RunDir(Path(args["output"]).expanduser())
    started = time.monotonic()

    read_recipe(data_dir)  # a wrong folder fails now, not after converting the base model
    yield Event.begin("prepare", "preparing the base model and data")
    base = resolve_base(args.get("base"))
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base.hf_dir))
    if not tokenizer.chat_template:
        tokenizer.chat_template = DEFAULT_TEMPLATE
        yield Event.log(no_template_note(f"the base model {base.name}") + " (the converted model carries it)")
    dataset = load_dataset(data_dir, tokenizer, config)
    pinned = {
        "data": str(data_dir),
        "base": str(base.gguf or base.hf_dir),
        "backend": backend,
        "fingerprint": dataset.fingerprint,
        "training": config.to_dict(),
    }
    previous = run_dir.read_config()
    if previous is not None and previous != pinned:
        run_dir.log("settings or data changed: starting the run over")
        yield Event.log("settings or data changed since the last run in this folder: starting over")
        run_dir.reset()
    run_dir.write_config(pinned)
    finished = run_dir.read_run()
    if finished and finished.get("complete") and run_dir.adapter_dir.is_dir():
        yield Event.log(f"{run_dir.root} already holds this finished run")
        yield Event.finished("already trained", **finished)
        return
    info = dataset.describe()
    yield Event.log(
        f"{info['samples']} samples, {info['steps']} steps in phases {', '.join(info['phases'])}, "
        f"backend {backend}, base {base.name}"
    )
    run_dir.log(f"start: {pinned}")

    trainer = make_trainer(backend, base.hf_dir, config)
    start_step = 0
    for step, folder in run_dir.checkpoints_newest_first():
        try:
            trainer.load_checkpoint(folder)
        except Exception as exc:  # safetensors, torch and mlx each raise their own on a damaged file
            run_dir.discard_checkpoint(folder)
            run_dir.log(f"checkpoint {folder} is damaged ({type(exc).__name__}: {exc}); discarded")
            yield Event.log(f"{folder}: the checkpoint is damaged (a kill while it was written, or a full disk); "
                            "discarded it and going back to the one before")
            trainer = make_trainer(backend, base.hf_dir, config)  # a half-loaded checkpoint stays behind in the old one
            continue
        start_step = step
        yield Event.log(f"resuming from the checkpoint at step {start_step}")
        run_dir.log(f"resume from step {start_step}")
        break
    run_dir.trim_metrics(start_step)

    steps = dataset.plan.steps
    bounds = dataset.plan.phase_bounds()
    total = len(steps)
    tracker = ProgressTracker(total, start_step, stage="train")
    tokens_done, tick = 0, time.monotonic()
    val_loss = None
    current_phase = None

    def checkpoint(step: int) -> None:
        run_dir.save_checkpoint(step, trainer.save_checkpoint, {"val_loss": val_loss})

    def lr_of(step: int) -> float:
        first, count = bounds[steps[step][0]]
        return lr_at(step, first, count, config)

    def seed_of(step: int) -> int:
        return config.seed * 100_003 + step

    cancel.check()
    record: dict[str, Any] = {}
    for step, loss in trainer.train_steps(dataset, start_step, lr_of, seed_of):
        phase, batch = steps[step]
        if phase != current_phase:
            current_phase = phase
            yield Event.begin("train", f"phase {dataset.plan.phases[phase]} ({bounds[phase][1]} steps)")
        first, count = bounds[phase]
        tokens_done += sum(len(dataset.samples[i].input_ids) for i in batch)
        speed = tokens_done / max(time.monotonic() - tick, 1e-6)
        record = {"step": step + 1, "phase": dataset.plan.phases[phase], "loss": round(loss, 5),
                  "lr": lr_of(step), "tokens_per_s": round(speed, 1)}
        if step + 1 == first + count or (step + 1) % config.checkpoint_every == 0:
            val_loss = trainer.eval_loss(dataset.validation)
            if val_loss is not None:
                record["val_loss"] = round(val_loss, 5)
            checkpoint(step + 1)
        run_dir.metric(**record)
        message = f"loss {loss:.3f}" + (f" val {val_loss:.3f}" if "val_loss" in record else "") + f" {speed:.0f} tok/s"
        yield tracker.advance(1, message, **record)
        if "val_loss" in record:
            yield Event.metric(**record)
        cancel.check()

    cancel.check()
    run_dir.write_folder(run_dir.adapter_dir, trainer.save_adapter)
    result = {
        "complete": True,
        "adapter": str(run_dir.adapter_dir),
        "adapter_format": trainer.adapter_format,
        "base_gguf": str(base.gguf) if base.gguf else None,
        "base_hf": str(base.hf_dir),
        "backend": backend,
        "precision": trainer.precision,
        "steps": total,
        "final_loss": record.get("loss"),
        "val_loss": val_loss,
        "seconds": round(time.monotonic() - started, 1),
        "run": str(run_dir.root),
    }
    run_dir.write_run(result)
    run_dir.log(f"done: {result}")
    yield Event.artifact(run_dir.adapter_dir, "adapter")
    yield Event.finished(f"trained {total} steps in {result['seconds']} s", **result)
