"""LoRA training with PyTorch + PEFT on CUDA, MPS or CPU.

Where the time goes on a laptop is the point of this module:
- samples are packed into rows, at the row width that leaves the least
  padding to compute through (`packing_width`), and a row that holds a single
  sample needs no attention mask at all;
- the language-model head (49k x 576 for SmolLM2, the largest matmul) runs
  only on positions that have a target, i.e. the assistant's tokens;
- only the LoRA parameters get gradients;
- each LoRA layer adds its update to the frozen layer's output in one
  `addmm` (`fuse_lora`): peft's forward runs the B product, the scaling and
  the sum as three passes over the layer's whole output (9% of a step);
- where the processor multiplies bfloat16 natively (AVX512-BF16/AMX on
  recent x86, CUDA), the frozen base weights are stored in bfloat16 and the
  forward runs under bf16 autocast: a quarter less time per step on this
  machine's CPU. The LoRA weights, their gradients and the optimizer stay in
  float32, so the small updates are not rounded away.
"""

from __future__ import annotations

import json
from pathlib import Path

from ilabdesk.cpu import free_cores
from ilabdesk.training.config import TrainConfig
from ilabdesk.training.data import IGNORE, Sample


# Attention costs about width / ATTENTION_WIDTH of a token's linear layers (SmolLM2-135M: 2 x 576 MACs per
# key against ~3.5M MACs of projections and MLP per layer), so one long row is only a little dearer per
# token than several short ones; padding is paid in full.
ATTENTION_WIDTH = 3072


def first_fit(lengths: list[int], width: int) -> list[list[int]]:
    """Indices of `lengths` grouped into rows of at most `width` tokens (first-fit decreasing)."""
    rows: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        for r, free in enumerate(room):
            if free >= lengths[i]:
                rows[r].append(i)
                room[r] -= lengths[i]
                break
        else:
            rows.append([i])
            room.append(width - lengths[i])
    return rows


def packing_width(lengths: list[int], limit: int) -> int:
    """The row width (from the longest sample up to `limit`) with the least estimated compute.

    Packing always to `limit` can waste more than padding: samples of 142, 149,
    150 and 181 tokens fill one 512-row with three and leave the fourth alone
    in a second row, 960 positions for 622 tokens, where rows of 181 cost 724.
    """
    longest = max(lengths)

    def cost(width: int) -> float:
        return len(first_fit(lengths, width)) * width * (1 + width / ATTENTION_WIDTH)

    return min(range(longest, max(limit, longest) + 1), key=cost)


def attention_for(hf_dir: Path) -> str:
    """PyTorch's fused attention, except where the model soft-caps attention scores (Gemma 2), which
    only transformers' plain implementation computes."""
    config = json.loads((Path(hf_dir) / "config.json").read_text(encoding="utf-8"))
    return "eager" if config.get("attn_logit_softcapping") else "sdpa"


def pack_rows(samples: list[Sample], width: int, pad_id: int):
    """(input_ids, position_ids, targets): samples packed into rows no wider than `width`.

    Positions restart at 0 for each sample, which transformers turns into a
    block-diagonal mask, so packed samples never see each other. A row's
    trailing padding continues the last sample's positions instead of
    restarting: padding comes after every real token, so under the causal mask
    no real token sees it, and a row holding one sample then runs plain causal
    attention with no mask to build or apply.
    """
    rows = first_fit([len(s.input_ids) for s in samples], width)
    used = max(sum(len(samples[i].input_ids) for i in row) for row in rows)
    ids, pos, tgt = [], [], []
    for row in rows:
        r_ids = [t for i in row for t in samples[i].input_ids]
        r_pos = [p for i in row for p in range(len(samples[i].input_ids))]
        r_tgt = [t for i in row for t in samples[i].targets]
        pad = used - len(r_ids)
        ids.append(r_ids + [pad_id] * pad)
        pos.append(r_pos + list(range(r_pos[-1] + 1, r_pos[-1] + 1 + pad)))
        tgt.append(r_tgt + [IGNORE] * pad)
    return ids, pos, tgt


def pick_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _fused_lora_forward(self, x, *args, **kwargs):
    """peft's LoRA Linear forward, base(x) + scaling * B(A(x)), with the last product, the scaling and the sum in one addmm."""
    import torch

    name = self.active_adapters[0]
    result = self.base_layer(x, *args, **kwargs)
    low = torch.nn.functional.linear(x, self.lora_A[name].weight)
    flat = result.reshape(-1, result.shape[-1])
    out = torch.addmm(flat, low.reshape(-1, low.shape[-1]), self.lora_B[name].weight.t(), alpha=self.scaling[name])
    return out.view(result.shape)


def fuse_lora(model) -> None:
    """Give every plain LoRA Linear of `model` the fused forward.

    Only layers the fused forward computes exactly as peft does: one active
    adapter, no dropout, no DoRA or other variant, no bias on B, not merged.
    """
    import types

    import torch
    from peft.tuners.lora.layer import Linear

    for module in model.modules():
        if not isinstance(module, Linear) or module.merged or module.disable_adapters or len(module.active_adapters) != 1:
            continue
        name = module.active_adapters[0]
        if (name in module.lora_variant or module.lora_B[name].bias is not None
                or not isinstance(module.lora_dropout[name], torch.nn.Identity)):
            continue
        module.forward = types.MethodType(_fused_lora_forward, module)


def native_bf16(device: str) -> bool:
    """Whether `device` multiplies bfloat16 in hardware (emulated bf16 on an older CPU is slower than fp32)."""
    import torch

    if device == "cuda":
        return torch.cuda.is_bf16_supported()
    if device == "cpu":
        return any(getattr(torch.cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return False


def resolve_precision(precision: str, device: str) -> str:
    """"auto" -> "bf16" where `device` computes it natively, else "fp32"."""
    if precision != "auto":
        return precision
    return "bf16" if native_bf16(device) else "fp32"


class TorchTrainer:
    """One PEFT LoRA model plus its optimizer; `step` does one optimizer step on a batch."""

    adapter_format = "peft"

    def __init__(self, hf_dir: Path, config: TrainConfig, device: str | None = None) -> None:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.config = config
        self.device = device or pick_device()
        if self.device == "cpu":
            torch.set_num_threads(config.threads or free_cores())
        torch.manual_seed(config.seed)
        self.tokenizer = AutoTokenizer.from_pretrained(str(hf_dir))
        model = AutoModelForCausalLM.from_pretrained(str(hf_dir), dtype=torch.float32,
                                                     attn_implementation=attention_for(hf_dir))
        model.config.use_cache = False
        model.requires_grad_(False)
        lora = LoraConfig(
            r=config.rank,
            lora_alpha=config.alpha,
            lora_dropout=config.dropout,
            target_modules=list(config.target_modules),
            bias="none",
            task_type="CAUSAL_LM",
        )
        self.model = get_peft_model(model, lora).to(self.device)
        fuse_lora(self.model)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.precision = resolve_precision(config.precision, self.device)
        if self.precision == "bf16":
            for p in self.model.parameters():
                if not p.requires_grad:
                    p.data = p.data.to(torch.bfloat16)
        self.optimizer = torch.optim.AdamW(
            self.params, lr=config.learning_rate, weight_decay=config.weight_decay, betas=(0.9, 0.999)
        )
        inner = self.model.get_base_model()
        self.decoder = inner.model
        self.head = inner.lm_head
        self.logit_scale = 1.0 / float(getattr(inner.config, "logits_scaling", 1.0) or 1.0)
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else 0

    def _loss_sum(self, samples: list[Sample]):
        """(summed loss over the target tokens, their count), under bf16 autocast when training in bf16."""
        torch = self.torch
        with torch.autocast(self.device, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            return self._packed_loss_sum(samples)

    def _packed_loss_sum(self, samples: list[Sample]):
        torch = self.torch
        lengths = [len(s.input_ids) for s in samples]
        width = packing_width(lengths, max(self.config.max_seq_len, max(lengths)))
        ids, pos, tgt = pack_rows(samples, width, self.pad_id)
        dev = self.device
        hidden = self.decoder(
            input_ids=torch.tensor(ids, device=dev),
            position_ids=torch.tensor(pos, device=dev),
            use_cache=False,
        ).last_hidden_state
        targets = torch.tensor(tgt, device=dev)
        where = targets != IGNORE
        logits = self.head(hidden[where])
        if self.logit_scale != 1.0:
            logits = logits * self.logit_scale
        loss = torch.nn.functional.cross_entropy(logits.float(), targets[where], reduction="sum")
        return loss, int(where.sum())

    def step(self, samples: list[Sample], lr: float, seed: int) -> float:
        """One optimizer step; returns the mean loss over the batch's target tokens."""
        torch = self.torch
        torch.manual_seed(seed)  # dropout masks depend on the step only, so resume is exact
        self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        loss_sum, n = self._loss_sum(samples)
        loss = loss_sum / max(n, 1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    def train_steps(self, dataset, start: int, lr_of, seed_of):
        """Yield (step, loss) for the planned steps from `start` on (same protocol as MLXTrainer)."""
        for step in range(start, len(dataset.plan.steps)):
            yield step, self.step(dataset.batch(step), lr_of(step), seed_of(step))

    def eval_loss(self, samples: list[Sample]) -> float | None:
        if not samples:
            return None
        torch = self.torch
        self.model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(samples), self.config.batch_size):
                loss_sum, n = self._loss_sum(samples[start : start + self.config.batch_size])
                total += float(loss_sum)
                count += n
        return total / max(count, 1)

    def save_checkpoint(self, folder: Path) -> None:
        from peft import get_peft_model_state_dict
        from safetensors.torch import save_file

        state = {k: v.detach().cpu().contiguous() for k, v in get_peft_model_state_dict(self.model).items()}
        save_file(state, str(folder / "lora.safetensors"))
        self.torch.save(self.optimizer.state_dict(), folder / "optimizer.pt")

    def load_checkpoint(self, folder: Path) -> None:
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        set_peft_model_state_dict(self.model, load_file(str(folder / "lora.safetensors"), device=self.device))
        self.optimizer.load_state_dict(self.torch.load(folder / "optimizer.pt", map_location=self.device))

    def save_adapter(self, folder: Path) -> None:
        """The trained adapter in PEFT's own format (adapter_config.json + adapter_model.safetensors)."""
        self.model.save_pretrained(str(folder))
