"""How Hugging Face tensor names and llama.cpp GGUF tensor names map onto each other.

The names come from gguf-py's TensorNameMap, per architecture. Besides the
names, llama.cpp's converter changes two things: it permutes the rows of the
Q and K projections of llama-style models (it stores rotary pairs
interleaved, HF stores them in two halves), and it adds one to Gemma's norm
weights. Reading a GGUF back into HF layout undoes both; writing a GGUF
(fused weights, or the B matrix of a LoRA adapter) applies them again.
"""

from __future__ import annotations

import re
from functools import cache

# Architectures whose GGUF stores Q/K rows permuted (convert_hf_to_gguf's LlamaModel and subclasses).
PERMUTED_ARCHS = frozenset({"llama", "granite", "mistral"})
# Architectures whose GGUF stores every norm weight plus one: Gemma's RMSNorm scales by (1 + weight),
# llama.cpp's by the weight, so llama.cpp's converter adds the one.
NORM_SHIFTED_ARCHS = frozenset({"gemma", "gemma2", "gemma3"})

# The weights of a transformers causal LM, by their names there; gguf-py's TensorNameMap says what each
# is called in a GGUF of a given architecture ("post_attention_layernorm" is Llama's ffn_norm but
# Gemma's post_attention_norm).
_HF_TOP = ("model.embed_tokens", "model.norm", "lm_head")
_HF_LAYER = (
    "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm",
    "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "self_attn.qkv_proj",
    "self_attn.q_norm", "self_attn.k_norm", "mlp.gate_proj", "mlp.up_proj", "mlp.gate_up_proj", "mlp.down_proj",
)
_HF_LAYER_RE = re.compile(r"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$")
_GGUF_LAYER_RE = re.compile(r"^blk\.(\d+)\.(\w+)\.(weight|bias)$")


@cache
def _table(arch: str) -> dict[str, str]:
    """{HF name without layer number and suffix: GGUF name likewise} for `arch`, from gguf-py."""
    import gguf

    known = {name: key for key, name in gguf.MODEL_ARCH_NAMES.items()}
    arch = {"mistral": "llama"}.get(arch, arch)  # early Mistral GGUFs: a Llama by another name
    if arch not in known:
        return {}
    names = gguf.get_tensor_name_map(known[arch], 1)
    table = {part: names.get_name(part) for part in _HF_TOP}
    # ffn_up is Llama's up_proj, but gate and up in one (gate_up_proj) where there is no ffn_gate (Phi-3)
    fused_ffn = gguf.MODEL_TENSOR.FFN_GATE not in gguf.MODEL_TENSORS[known[arch]]
    for part in _HF_LAYER:
        if part == ("mlp.up_proj" if fused_ffn else "mlp.gate_up_proj"):
            continue
        found = names.get_name(f"model.layers.0.{part}")
        table[part] = found.removeprefix("blk.0.") if found else None
    return {hf: gg for hf, gg in table.items() if gg}


def hf_to_gguf(name: str, arch: str) -> str | None:
    """'model.layers.3.self_attn.q_proj.weight' -> 'blk.3.attn_q.weight' in a GGUF of `arch`; None if unknown."""
    table = _table(arch)
    match = _HF_LAYER_RE.match(name)
    if match:
        part = table.get(match.group(2)) if match.group(2) not in _HF_TOP else None
        return f"blk.{match.group(1)}.{part}.{match.group(3)}" if part else None
    base, _, kind = name.rpartition(".")
    top = table.get(base) if base in _HF_TOP else None
    return f"{top}.{kind}" if top else None


@cache
def _back(arch: str) -> dict[str, str]:
    """`_table` the other way round: GGUF name -> HF name."""
    return {gg: hf for hf, gg in _table(arch).items()}


def gguf_to_hf(name: str, arch: str) -> str | None:
    """'blk.3.attn_q.weight' -> 'model.layers.3.self_attn.q_proj.weight' for `arch`; None if unknown."""
    back = _back(arch)
    match = _GGUF_LAYER_RE.match(name)
    if match:
        part = back.get(match.group(2))
        return f"model.layers.{match.group(1)}.{part}.{match.group(3)}" if part and part not in _HF_TOP else None
    base, _, kind = name.rpartition(".")
    top = back.get(base)
    return f"{top}.{kind}" if top in _HF_TOP else None


def norm_shift(gguf_name: str, arch: str) -> float:
    """What llama.cpp's converter added to this tensor (1 for a Gemma norm weight, else 0)."""
    return 1.0 if arch in NORM_SHIFTED_ARCHS and gguf_name.endswith("norm.weight") else 0.0


def permute(rows, n_head: int):
    """llama.cpp's order of Q/K rows (numpy or torch tensor, first axis = output rows)."""
    dim = rows.shape[0]
    return rows.reshape(n_head, 2, dim // n_head // 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def unpermute(rows, n_head: int):
    """Inverse of `permute`: back to the Hugging Face order."""
    dim = rows.shape[0]
    return rows.reshape(n_head, dim // n_head // 2, 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def qk_heads(gguf_name: str, n_head: int, n_head_kv: int) -> int | None:
    """Number of heads to (un)permute with for a Q or K tensor name; None for other tensors."""
    if ".attn_q." in gguf_name:
        return n_head
    if ".attn_k." in gguf_name:
        return n_head_kv
    return None
