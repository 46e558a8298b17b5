"""LoRA training with MLX through mlx-lm's own tuner loop (the default on Apple silicon).

mlx-lm's `tuner.trainer.train` owns the loop, so it runs in a worker thread:
a TrainingCallback hands each step's loss to the job and waits for the job
to say "go on", which lets the job save checkpoints and validation losses
while the model is idle and stop the loop on cancel. (`mlx_lm.lora.run()`
would replace that callback, so the tuner function is called directly.)
Batches come from the run's own plan, so phases, recipe weights and resume
behave exactly as with the torch backend. The adapter is saved in PEFT's
format, so GGUF export has one input format.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from ilabdesk.training.config import TrainConfig
from ilabdesk.training.data import IGNORE, Dataset, Sample

_STOP = object()


class _Stop(Exception):
    """Raised inside the tuner's thread to end its loop early."""


class MLXTrainer:
    adapter_format = "peft"

    def __init__(self, hf_dir: Path, config: TrainConfig) -> None:
        import mlx.core as mx
        import mlx.optimizers as optim
        from mlx_lm.tuner.utils import linear_to_lora_layers
        from mlx_lm.utils import load

        from ilabdesk.models.hf_folder import mlx_config_overrides

        self.mx = mx
        self.config = config
        mx.random.seed(config.seed)
        self.model, self.tokenizer = load(str(hf_dir), model_config=mlx_config_overrides(hf_dir))
        # MLX computes in the weights' own type: auto keeps the base's, fp32 and bf16 cast it.
        self.precision = config.precision if config.precision != "auto" else "as stored"
        if config.precision != "auto":
            self.model.set_dtype(mx.bfloat16 if config.precision == "bf16" else mx.float32)
        self.model.freeze()
        keys = [f"self_attn.{m}" if m.endswith(("q_proj", "k_proj", "v_proj", "o_proj")) else f"mlp.{m}"
                for m in config.target_modules]
        linear_to_lora_layers(
            self.model,
            len(self.model.layers),
            {"rank": config.rank, "scale": config.alpha / config.rank, "dropout": config.dropout, "keys": keys},
        )
        self.lr = config.learning_rate
        self.optimizer = optim.AdamW(learning_rate=self.lr, weight_decay=config.weight_decay)
        pad = getattr(self.tokenizer, "pad_token_id", None)
        self.pad_id = pad if pad is not None else 0

    # --- batches and loss in the tuner's calling convention --------------------------------
    def _arrays(self, samples: list[Sample]):
        mx = self.mx
        # Round widths up so the tuner's compiled step sees few distinct shapes (each one recompiles).
        width = -(-max(len(s.input_ids) for s in samples) // 64) * 64
        ids = [s.input_ids + [self.pad_id] * (width - len(s.input_ids)) for s in samples]
        tgt = [s.targets + [IGNORE] * (width - len(s.targets)) for s in samples]
        return mx.array(ids), mx.array(tgt)

    @staticmethod
    def loss(model, inputs, targets):
        import mlx.core as mx
        import mlx.nn as nn

        logits = model(inputs)
        mask = targets != IGNORE
        ce = nn.losses.cross_entropy(logits, mx.where(mask, targets, 0)) * mask
        ntoks = mask.sum()
        return ce.astype(mx.float32).sum() / ntoks, ntoks

    def train_steps(
        self, dataset: Dataset, start: int, lr_of: Callable[[int], float], seed_of: Callable[[int], int]
    ) -> Iterator[tuple[int, float]]:
        """Run mlx-lm's trainer over the planned steps start..end; yield (step, loss) after each.

        The tuner's thread waits after every step until the consumer asks for
        the next one, so whatever the consumer does between two yields (save
        a checkpoint, compute a validation loss) sees a quiet model.
        """
        from mlx_lm.tuner.callbacks import TrainingCallback
        from mlx_lm.tuner.trainer import TrainingArgs, train

        total = len(dataset.plan.steps)
        reports: queue.Queue = queue.Queue()
        go_on: queue.Queue = queue.Queue()
        trainer = self

        def batches(**_kwargs):
            for step in range(start, total):
                trainer.mx.random.seed(seed_of(step))
                trainer.optimizer.learning_rate = lr_of(step)
                yield trainer._arrays(dataset.batch(step))

        class Feed(TrainingCallback):
            def on_train_loss_report(self, info: dict) -> None:
                reports.put((start + int(info["iteration"]) - 1, float(info["train_loss"])))
                if go_on.get() is _STOP:
                    raise _Stop()

        def work() -> None:
            try:
                # MLX streams belong to a thread: this one needs its own.
                trainer.mx.set_default_stream(trainer.mx.new_stream(trainer.mx.default_device()))
                with _quiet_tuner():
                    train(
                        self.model, self.optimizer, [None] * total, None,
                        args=TrainingArgs(batch_size=self.config.batch_size, iters=total - start, steps_per_report=1,
                                          steps_per_eval=total + 1, steps_per_save=total + 1,
                                          max_seq_length=self.config.max_seq_len,
                                          adapter_file=str(Path(self._scratch()) / "adapters.safetensors")),
                        loss=MLXTrainer.loss, iterate_batches=batches, training_callback=Feed(),
                    )
                reports.put(_STOP)
            except _Stop:
                reports.put(_STOP)
            except BaseException as exc:  # surfaced in the job's thread
                reports.put(exc)

        if start >= total:
            return
        # Arrays are bound to the stream of the thread that made them: materialise
        # everything the tuner's thread will touch before handing it over.
        mx = self.mx
        if not self.optimizer.state:
            self.optimizer.init(self.model.trainable_parameters())
        mx.eval(self.model.parameters(), self.optimizer.state, mx.random.state)
        thread = threading.Thread(target=work, name="mlx-tuner", daemon=True)
        thread.start()
        try:
            while True:
                item = reports.get()
                if item is _STOP:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
                go_on.put(None)
        finally:
            go_on.put(_STOP)
            thread.join()

    def _scratch(self) -> str:
        import tempfile

        if not hasattr(self, "_tmp"):
            self._tmp = tempfile.mkdtemp(prefix="ilabdesk-mlx-")
        return self._tmp

    def eval_loss(self, samples: list[Sample]) -> float | None:
        if not samples:
            return None
        total, count = 0.0, 0
        self.model.eval()
        for start in range(0, len(samples), self.config.batch_size):
            loss, n = MLXTrainer.loss(self.model, *self._arrays(samples[start : start + self.config.batch_size]))
            total += float(loss) * int(n)
            count += int(n)
        self.model.train()
        return total / max(count, 1)

    # --- checkpoints and the adapter ---------------------------------------------------------
    def _lora_pairs(self) -> dict[str, tuple]:
        from mlx.utils import tree_flatten

        weights = dict(tree_flatten(self.model.trainable_parameters()))
        pairs: dict[str, list] = {}
        for name, value in weights.items():
            module, _, kind = name.rpartition(".")
            pairs.setdefault(module, [None, None])[0 if kind == "lora_a" else 1] = value
        return {k: (a, b) for k, (a, b) in pairs.items()}

    def save_checkpoint(self, folder: Path) -> None:
        from mlx.utils import tree_flatten

        mx = self.mx
        mx.save_safetensors(str(folder / "lora.safetensors"), dict(tree_flatten(self.model.trainable_parameters())))
        state = dict(tree_flatten(self.optimizer.state))
        mx.save_safetensors(str(folder / "optimizer.safetensors"), {k: v for k, v in state.items() if isinstance(v, mx.array)})

    def load_checkpoint(self, folder: Path) -> None:
        from mlx.utils import tree_unflatten

        mx = self.mx
        self.model.load_weights(str(folder / "lora.safetensors"), strict=False)
        self.optimizer.init(self.model.trainable_parameters())
        saved = mx.load(str(folder / "optimizer.safetensors"))
        self.optimizer.state = tree_unflatten(list(saved.items()))

    def save_adapter(self, folder: Path) -> None:
        """PEFT layout: A = lora_a^T (r x in), B = lora_b^T (out x r), scale alpha / r."""
        import numpy as np
        from safetensors.numpy import save_file

        tensors = {}
        for module, (a, b) in self._lora_pairs().items():
            name = f"base_model.model.model.{module.removeprefix('model.')}"
            tensors[f"{name}.lora_A.weight"] = np.ascontiguousarray(np.array(a.astype(self.mx.float32)).T)
            tensors[f"{name}.lora_B.weight"] = np.ascontiguousarray(np.array(b.astype(self.mx.float32)).T)
        save_file(tensors, str(folder / "adapter_model.safetensors"), metadata={"format": "pt"})
        config = {"peft_type": "LORA", "r": self.config.rank, "lora_alpha": self.config.alpha,
                  "lora_dropout": self.config.dropout, "target_modules": list(self.config.target_modules),
                  "bias": "none", "task_type": "CAUSAL_LM"}
        (folder / "adapter_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")


class _quiet_tuner:
    """mlx-lm's trainer draws a rich progress UI on stdout, where the job's JSON events go.

    Its UI stays silent for non-zero distributed ranks, so the trainer module's
    TrainUI is swapped for one that always says rank 1 while our loop runs.
    """

    def __enter__(self):
        from mlx_lm.tuner import trainer

        original = self._original = trainer.TrainUI

        class SilentUI(original):
            def __init__(self, total_iters: int, rank: int = 0) -> None:
                super().__init__(total_iters, rank=1)

        trainer.TrainUI = SilentUI

    def __exit__(self, *exc):
        from mlx_lm.tuner import trainer

        trainer.TrainUI = self._original
        return False
