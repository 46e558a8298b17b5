"""One configuration for every training backend, with defaults that work on a laptop CPU.

The defaults were chosen on the embedded 135M model and the sample's made-up
island (benchmarks/pipeline.py): a rank-16 LoRA on every linear layer at a
high learning rate learns new facts in three epochs; the replay data that SDG
writes keeps it from wrecking chat (learning rate 1e-3 recalled 8/10 held-out
questions, 2e-3 9/10).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ilabdesk.errors import UserError

# every linear layer of the supported architectures (Phi-3 fuses q/k/v and gate/up into one each)
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "qkv_proj", "o_proj", "gate_proj", "up_proj", "gate_up_proj", "down_proj")
BACKENDS = ("auto", "torch", "mlx")
PRECISIONS = ("auto", "fp32", "bf16")
SCHEDULES = ("cosine", "linear", "constant")


@dataclass
class TrainConfig:
    """Everything that decides what a training run computes (so it can be reproduced)."""

    backend: str = "auto"
    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.0
    target_modules: list[str] = field(default_factory=lambda: list(ALL_LINEAR))
    learning_rate: float = 2e-3
    schedule: str = "cosine"
    warmup_ratio: float = 0.05
    weight_decay: float = 0.0
    iters: int | None = None
    epochs: float = 3.0
    batch_size: int = 4
    max_seq_len: int = 512
    seed: int = 42
    checkpoint_every: int = 25
    threads: int = 0
    precision: str = "auto"

    def validate(self) -> TrainConfig:
        """Raise UserError naming the bad setting; return self for chaining."""
        if self.backend not in BACKENDS:
            raise UserError(f"unknown training backend '{self.backend}'", hint="use auto, torch or mlx")
        if self.precision not in PRECISIONS:
            raise UserError(f"unknown training precision '{self.precision}'", hint="use " + ", ".join(PRECISIONS))
        if self.schedule not in SCHEDULES:
            raise UserError(f"unknown learning-rate schedule '{self.schedule}'", hint="use " + ", ".join(SCHEDULES))
        checks = [
            ("rank", self.rank >= 1),
            ("alpha", self.alpha > 0),
            ("dropout", 0 <= self.dropout < 1),
            ("learning_rate", 0 < self.learning_rate < 1),
            ("warmup_ratio", 0 <= self.warmup_ratio < 1),
            ("batch_size", self.batch_size >= 1),
            ("max_seq_len", self.max_seq_len >= 16),
            ("checkpoint_every", self.checkpoint_every >= 1),
            ("iters", self.iters is None or self.iters >= 1),
            ("epochs", self.epochs > 0),
            ("threads", self.threads >= 0),
        ]
        for name, ok in checks:
            if not ok:
                raise UserError(f"training setting '{name}' has an invalid value: {getattr(self, name)!r}")
        if not self.target_modules:
            raise UserError("training setting 'target_modules' is empty", hint="e.g. q_proj, v_proj")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a dict, ignoring None values (= use the default) and rejecting unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UserError(f"unknown training setting(s): {', '.join(unknown)}", hint="known: " + ", ".join(sorted(known)))
        return cls(**{k: v for k, v in values.items() if v is not None}).validate()


def config_from_settings(overrides: dict[str, Any]) -> TrainConfig:
    """The config file's `training:` section, then explicit overrides.

    `settings.DEFAULTS["training"]` equals TrainConfig's defaults (a test keeps
    them together), so an untouched config file changes nothing here.
    """
    from ilabdesk.settings import load_config

    config = load_config()
    names = {f.name for f in fields(TrainConfig)}
    values: dict[str, Any] = {
        key: value for key, value in config.get("training", {}).items() if key in names and value not in (None, 0)
    }
    if config.get("threads"):
        values["threads"] = config["threads"]
    explicit = {k: v for k, v in overrides.items() if v is not None}
    if "iters" in explicit:
        values.pop("epochs", None)
    if "epochs" in explicit:
        values.pop("iters", None)
    values.update(explicit)
    if values.get("iters") is not None:
        values.setdefault("epochs", TrainConfig.epochs)
    return TrainConfig.from_dict(values)
