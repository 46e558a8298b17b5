"""How Hugging Face tensor names and llama.cpp GGUF tensor names map onto each other.

llama.cpp's converter permutes the rows of the Q and K projections of
llama-style models (it stores rotary pairs interleaved, HF stores them in two
halves). Reading a GGUF back into HF layout undoes it; writing a GGUF (fused
weights, or the B matrix of a LoRA adapter) applies it again.
"""

from __future__ import annotations

import re

# Architectures whose GGUF stores Q/K rows permuted (convert_hf_to_gguf's LlamaModel and subclasses).
PERMUTED_ARCHS = frozenset({"llama", "granite", "mistral"})

_LAYER_PARTS = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "self_attn.q_norm": "attn_q_norm",  # Qwen3
    "self_attn.k_norm": "attn_k_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_TOP = {
    "model.embed_tokens": "token_embd",
    "model.norm": "output_norm",
    "lm_head": "output",
}
_GGUF_LAYER = {v: k for k, v in _LAYER_PARTS.items()}
_GGUF_TOP = {v: k for k, v in _TOP.items()}
_HF_LAYER_RE = re.compile(r"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$")
_GGUF_LAYER_RE = re.compile(r"^blk\.(\d+)\.(\w+)\.(weight|bias)$")


def hf_to_gguf(name: str) -> str | None:
    """'model.layers.3.self_attn.q_proj.weight' -> 'blk.3.attn_q.weight'; None if unknown."""
    match = _HF_LAYER_RE.match(name)
    if match:
        part = _LAYER_PARTS.get(match.group(2))
        return f"blk.{match.group(1)}.{part}.{match.group(3)}" if part else None
    base, _, kind = name.rpartition(".")
    top = _TOP.get(base)
    return f"{top}.{kind}" if top else None


def gguf_to_hf(name: str) -> str | None:
    """'blk.3.attn_q.weight' -> 'model.layers.3.self_attn.q_proj.weight'; None if unknown."""
    match = _GGUF_LAYER_RE.match(name)
    if match:
        part = _GGUF_LAYER.get(match.group(2))
        return f"model.layers.{match.group(1)}.{part}.{match.group(3)}" if part else None
    base, _, kind = name.rpartition(".")
    top = _GGUF_TOP.get(base)
    return f"{top}.{kind}" if top else None


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
