"""The torch trainer's packing: row widths that waste less, and a loss that packing does not change."""

from __future__ import annotations

import random

import pytest

from ilabdesk.training.config import TrainConfig
from ilabdesk.training.data import IGNORE, Sample
from ilabdesk.training.torch_backend import first_fit, pack_rows, packing_width


def _positions(lengths: list[int], width: int) -> int:
    return len(first_fit(lengths, width)) * max(sum(lengths[i] for i in row) for row in first_fit(lengths, width))


def test_packing_width_wastes_less_than_packing_to_the_limit():
    similar = [142, 149, 150, 181]  # one SDG batch: packing to 512 leaves 142 alone in a 480-wide row
    assert _positions(similar, 512) == 960
    assert _positions(similar, packing_width(similar, 512)) <= 724  # no worse than padding to the longest
    short = [42, 43, 55, 56]
    assert _positions(short, packing_width(short, 512)) <= 200  # 196 tokens: short samples share rows
    assert packing_width([300], 512) == 300


def _samples(lengths: list[int], seed: int = 0) -> list[Sample]:
    rng = random.Random(seed)
    samples = []
    for n in lengths:
        ids = [rng.randrange(3, 1000) for _ in range(n)]
        learn = n // 2  # the second half is the "assistant" part
        samples.append(Sample(ids, [ids[t + 1] if t + 1 >= learn else IGNORE for t in range(n - 1)] + [IGNORE]))
    return samples


def test_pack_rows_padding_continues_positions_and_has_no_targets():
    samples = _samples([30, 12, 9, 25])
    ids, pos, tgt = pack_rows(samples, 30, pad_id=2)
    assert [len(r) for r in ids] == [30, 30, 30]
    assert pos[1] == list(range(30))  # 25 tokens + 5 padding: one sample, so no restart and no mask
    assert pos[2] == list(range(12)) + list(range(18))  # two samples; padding continues the second
    assert sum(t != IGNORE for row in tgt for t in row) == sum(s.n_targets for s in samples)


def test_trainer_loss_is_the_same_packed_or_alone(tiny):
    """Whatever the row layout, the batch loss is the mean over all target tokens of the samples alone."""
    import torch

    from ilabdesk.training.torch_backend import TorchTrainer

    trainer = TorchTrainer(tiny["hf"], TrainConfig(threads=1, max_seq_len=64, precision="fp32"), device="cpu")
    samples = _samples([30, 12, 9, 25, 61, 5])
    with torch.no_grad():
        alone = [trainer._loss_sum([s]) for s in samples]
        packed, n = trainer._loss_sum(samples)
    assert n == sum(count for _, count in alone) == sum(s.n_targets for s in samples)
    assert float(packed) == pytest.approx(sum(float(loss) for loss, _ in alone), rel=1e-4)


def test_bf16_training_keeps_lora_and_optimizer_in_float32(tiny):
    """bf16 stores only the frozen base in bfloat16: the loss stays close to fp32's, the trained weights stay fp32."""
    import torch

    from ilabdesk.training.torch_backend import TorchTrainer

    samples = _samples([30, 12, 9, 25])
    runs = {}
    for precision in ("fp32", "bf16"):
        trainer = TorchTrainer(tiny["hf"], TrainConfig(threads=1, max_seq_len=64, precision=precision), device="cpu")
        assert trainer.precision == precision
        losses = [trainer.step(samples, 1e-2, seed) for seed in range(3)]
        runs[precision] = losses
        frozen = {p.dtype for p in trainer.model.parameters() if not p.requires_grad}
        assert frozen == {torch.bfloat16 if precision == "bf16" else torch.float32}
        assert {p.dtype for p in trainer.params} == {torch.float32}
        assert all(s["exp_avg"].dtype == torch.float32 for s in trainer.optimizer.state.values())
    assert runs["bf16"][-1] < runs["bf16"][0]  # it learns
    assert runs["bf16"] == pytest.approx(runs["fp32"], rel=0.03)


def test_auto_precision_is_bf16_only_where_the_processor_has_it(monkeypatch):
    import torch

    from ilabdesk.training.torch_backend import resolve_precision

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert resolve_precision("auto", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert resolve_precision("auto", "cpu") == "bf16"
    assert resolve_precision("fp32", "cpu") == "fp32"
    assert resolve_precision("auto", "mps") == "fp32"


def test_fused_lora_layers_compute_what_peft_computes(tiny):
    """The one-addmm LoRA forward gives peft's loss and LoRA gradients (and leaves dropout layers to peft)."""
    from ilabdesk.training.torch_backend import TorchTrainer

    samples = _samples([30, 12, 9, 25])
    grads, losses = [], []
    for fused in (True, False):
        trainer = TorchTrainer(tiny["hf"], TrainConfig(threads=1, max_seq_len=64, precision="fp32"), device="cpu")
        for p in trainer.params:  # B starts at zero, which would hide a wrong product
            p.data.normal_(0, 0.05)
        assert sum("forward" in m.__dict__ for m in trainer.model.modules()) == 2 * 7  # every LoRA layer of the tiny model
        if not fused:  # back to peft's own forward
            for module in trainer.model.modules():
                module.__dict__.pop("forward", None)
        loss, _ = trainer._loss_sum(samples)
        loss.backward()
        losses.append(float(loss))
        grads.append([p.grad.clone() for p in trainer.params])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    for mine, theirs in zip(*grads):
        assert (mine - theirs).abs().max() <= 1e-5 * max(1.0, float(theirs.abs().max()))
    with_dropout = TorchTrainer(tiny["hf"], TrainConfig(threads=1, max_seq_len=64, dropout=0.1), device="cpu")
    assert not any("forward" in m.__dict__ for m in with_dropout.model.modules())
