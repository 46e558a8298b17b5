"""LoRA training on this machine: PyTorch + PEFT (CUDA, MPS, CPU) or MLX on Apple silicon.

`train(...)` runs the "train" job in this process and returns its result;
the GUI and `ilabdesk train` run the same job through the job runner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def train(data: str | Path, output: str | Path, base: str | None = None, **settings: Any) -> dict[str, Any]:
    """Train a LoRA adapter on an SDG dataset folder; returns run.json's content.

    `settings` are TrainConfig fields (rank, learning_rate, epochs, iters, ...).
    Raises UserError when the job fails.
    """
    from ilabdesk.errors import UserError
    from ilabdesk.jobs.runner import JobSpec, run_events

    result: dict[str, Any] = {}
    for event in run_events(JobSpec("train", {"data": str(data), "output": str(output), "base": base, **settings})):
        if event.type == "error":
            raise UserError(event.message)
        if event.type == "done":
            result = event.data
    return result
