"""Read a GGUF's key/value metadata into plain Python values, and derive an HF config from it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ilabdesk.errors import UserError

# GGUF architecture -> (HF model_type, HF architecture class)
HF_ARCHS = {
    "llama": ("llama", "LlamaForCausalLM"),
    "mistral": ("llama", "LlamaForCausalLM"),
    "granite": ("granite", "GraniteForCausalLM"),
    "qwen2": ("qwen2", "Qwen2ForCausalLM"),
    "qwen3": ("qwen3", "Qwen3ForCausalLM"),
    "gemma2": ("gemma2", "Gemma2ForCausalLM"),
    "gemma3": ("gemma3_text", "Gemma3ForCausalLM"),
    "phi3": ("phi3", "Phi3ForCausalLM"),
}
# Small tensors that hold rotary settings rather than weights: a Llama 3's per-pair divisors, a
# Phi-3.5's or Phi-4's LongRoPE factors. Training rebuilds the settings from them; the fused GGUF keeps them.
ROPE_TENSORS = ("rope_freqs", "rope_factors_long", "rope_factors_short")
# What llama.cpp assumes for Gemma rather than reading it from the GGUF (src/llama-model.cpp): every
# second (Gemma 2) or sixth (Gemma 3) layer attends to the whole context, the others to a window;
# Gemma 3's windowed layers with rotary base 10000.
SLIDING_PATTERN = {"gemma2": 2, "gemma3_text": 6}
GEMMA3_LOCAL_ROPE_BASE = 10000.0


def untrainable(arch: str | None) -> UserError | None:
    """Why a GGUF of `arch` cannot be trained here, or None when it can."""
    if arch not in HF_ARCHS:
        return UserError(
            f"this GGUF's architecture '{arch}' cannot be trained by ilabdesk yet",
            hint="supported: " + ", ".join(sorted(HF_ARCHS))
            + " (SmolLM2, Llama 2 and 3, Mistral, Granite, Qwen2, Qwen3, Gemma 2 and 3, Phi-3 and Phi-4)",
        )
    return None


def llama3_rope_scaling(rope_freqs: Sequence[float], theta: float, dims: int) -> dict[str, Any] | None:
    """The `rope_scaling` of a Llama 3 model, rebuilt from the per-dimension divisors a GGUF stores.

    llama.cpp's converter turns `factor`, `low_freq_factor`, `high_freq_factor`
    and `original_max_position_embeddings` into one divisor per rotary pair
    (the `rope_freqs` tensor) and keeps nothing else. Between its two bounds the
    divisor follows 1 / ((1 - s) / factor + s) with s = A / wavelength + B, and
    only A and B decide every divisor and both bounds; low_freq_factor = 1
    (Meta's value) then gives the others exactly. None when no pair is scaled.
    Raises ValueError when the divisors are not of that form.
    """
    factor = max(rope_freqs)
    if factor <= 1.0 + 1e-6:
        return None
    waves = [2 * math.pi * theta ** (2 * i / dims) for i in range(len(rope_freqs))]
    middle = [(w, (1 / r - 1 / factor) / (1 - 1 / factor))  # (wavelength, s) of the pairs between the bounds
              for w, r in zip(waves, rope_freqs) if 1 + 1e-4 < r < factor * (1 - 1e-4)]
    unscaled = max((w for w, r in zip(waves, rope_freqs) if r <= 1 + 1e-4), default=0.0)
    scaled = min(w for w, r in zip(waves, rope_freqs) if r >= factor * (1 - 1e-4))
    if len(middle) >= 2:  # s = A / w + B, fitted by least squares on 1 / w
        xs, ys = [1 / w for w, _ in middle], [s for _, s in middle]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        a = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        original = round(-a / (my - a * mx))  # B = -1 / (high - 1), A = original / (high - 1)
        high = 1 + original / a
    elif middle:  # one pair between the bounds: put the lower bound halfway (geometrically) to the pair below
        (wave, s), = middle
        lower = math.sqrt(unscaled * wave) if unscaled else wave / 2
        original = round(wave * (s * (wave * (1 - s) / (lower - wave * s) - 1) + 1))
        high = 1 + (original / wave - 1) / s
    else:  # bounds anywhere between the last unscaled and the first scaled pair
        original = round(math.sqrt(max(unscaled, 1e-9) * scaled))
        high = max(1.001, 0.999 * original / unscaled) if unscaled else 4.0
    scaling = {"rope_type": "llama3", "factor": float(factor), "low_freq_factor": 1.0, "high_freq_factor": float(high),
               "original_max_position_embeddings": original}
    if max(abs(r - q) / r for r, q in zip(rope_freqs, llama3_rope_freqs(scaling, theta, dims))) > 1e-3:
        raise ValueError("the rotary scaling of this GGUF is not Llama 3's")
    return scaling


def llama3_rope_freqs(scaling: dict[str, Any], theta: float, dims: int) -> list[float]:
    """The per-pair divisors of `scaling`, as llama.cpp's converter writes them (`rope_freqs`)."""
    factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    original = scaling["original_max_position_embeddings"]
    out = []
    for i in range(dims // 2):
        wave = 2 * math.pi * theta ** (2 * i / dims)
        if wave < original / high:
            out.append(1.0)
        elif wave > original / low:
            out.append(float(factor))
        else:
            smooth = (original / wave - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return out


def hf_config(meta: dict[str, Any], tensor_names: set[str], rope: dict[str, Sequence[float]] | None = None
              ) -> dict[str, Any]:
    """A transformers config.json for the model described by GGUF metadata (and its `ROPE_TENSORS`)."""
    arch = meta.get("general.architecture")
    refusal = untrainable(arch)
    if refusal is not None:
        raise refusal
    model_type, cls = HF_ARCHS[arch]

    def get(key: str, default: Any = None) -> Any:
        return meta.get(f"{arch}.{key}", default)

    heads = int(get("attention.head_count"))
    hidden = int(get("embedding_length"))
    tokens = meta.get("tokenizer.ggml.tokens") or []
    config: dict[str, Any] = {
        "architectures": [cls],
        "model_type": model_type,
        "hidden_size": hidden,
        "intermediate_size": int(get("feed_forward_length")),
        "num_hidden_layers": int(get("block_count")),
        "num_attention_heads": heads,
        "num_key_value_heads": int(get("attention.head_count_kv", heads)),
        "head_dim": int(get("attention.key_length", hidden // heads)),
        "rms_norm_eps": float(get("attention.layer_norm_rms_epsilon", 1e-5)),
        "rope_theta": float(get("rope.freq_base", 10000.0)),
        "max_position_embeddings": int(get("context_length", 2048)),
        "vocab_size": int(get("vocab_size", len(tokens))),
        "tie_word_embeddings": "output.weight" not in tensor_names,
        "hidden_act": "silu",
        "torch_dtype": "float32",
        "bos_token_id": meta.get("tokenizer.ggml.bos_token_id"),
        "eos_token_id": meta.get("tokenizer.ggml.eos_token_id"),
        "pad_token_id": meta.get("tokenizer.ggml.padding_token_id"),
    }
    if model_type == "llama":
        config["attention_bias"] = "blk.0.attn_q.bias" in tensor_names
        config["mlp_bias"] = False
    if model_type in ("qwen2", "qwen3"):
        config["use_sliding_window"] = False
    if model_type == "qwen3":
        config["attention_bias"] = "blk.0.attn_q.bias" in tensor_names
    rope = rope or {}
    if "rope_freqs" in rope:
        dims = int(get("rope.dimension_count", config["head_dim"]))
        try:
            scaling = llama3_rope_scaling(rope["rope_freqs"], config["rope_theta"], dims)
        except ValueError as exc:
            raise UserError(f"{exc}, so ilabdesk cannot rebuild it for training",
                            hint="train from the model's Hugging Face folder instead (--base DIR)") from None
        if scaling:
            config["rope_scaling"] = scaling
    if model_type in SLIDING_PATTERN:
        config.update(_gemma(get, config))
    if model_type == "phi3":
        config.update(_phi3(get, config, rope))
    if model_type == "granite":
        config["embedding_multiplier"] = float(get("embedding_scale", 1.0))
        config["residual_multiplier"] = float(get("residual_scale", 1.0))
        config["attention_multiplier"] = float(get("attention.scale", 1.0 / (hidden // heads) ** 0.5))
        config["logits_scaling"] = float(get("logit_scale", 1.0))
    return config


def _gemma(get: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Gemma 2's or 3's settings as llama.cpp runs such a GGUF, in transformers' terms (and mlx-lm's)."""
    layers, heads, hidden = config["num_hidden_layers"], config["num_attention_heads"], config["hidden_size"]
    pattern = SLIDING_PATTERN[config["model_type"]]
    settings: dict[str, Any] = {
        "hidden_activation": "gelu_pytorch_tanh",
        "hidden_act": "gelu_pytorch_tanh",
        "attention_bias": False,
        "sliding_window": int(get("attention.sliding_window", 4096)),
        "layer_types": ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention" for i in range(layers)],
        "sliding_window_pattern": pattern,  # mlx-lm's name for it
        # llama.cpp scales queries by 1/sqrt(head_dim), but the 27Bs (46 or 62 layers) by 1/sqrt(hidden / heads)
        "query_pre_attn_scalar": hidden // heads if layers in (46, 62) else config["head_dim"],
        "final_logit_softcapping": get("final_logit_softcapping"),
        "attn_logit_softcapping": get("attn_logit_softcapping"),
    }
    if config["model_type"] == "gemma3_text":
        full: dict[str, Any] = {"rope_type": "default", "rope_theta": config["rope_theta"]}
        if get("rope.scaling.type") == "linear":  # Gemma 3 4B and up: the global layers' positions scaled
            full = {**full, "rope_type": "linear", "factor": float(get("rope.scaling.factor", 1.0))}
            settings["rope_scaling"] = {"rope_type": "linear", "factor": full["factor"]}  # as mlx-lm reads it
        settings["rope_parameters"] = {
            "full_attention": full, "sliding_attention": {"rope_type": "default", "rope_theta": GEMMA3_LOCAL_ROPE_BASE}}
        settings["rope_local_base_freq"] = GEMMA3_LOCAL_ROPE_BASE
    return settings


def _phi3(get: Any, config: dict[str, Any], rope: dict[str, Sequence[float]]) -> dict[str, Any]:
    """Phi-3's and Phi-4's settings as llama.cpp runs such a GGUF: rotary embeddings on part of each head
    (Phi-4-mini), LongRoPE factors (Phi-3.5, Phi-4-mini), and no sliding window (llama.cpp ignores it)."""
    dims = int(get("rope.dimension_count", config["head_dim"]))
    original = int(get("rope.scaling.original_context_length", config["max_position_embeddings"]))
    settings: dict[str, Any] = {
        "partial_rotary_factor": dims / config["head_dim"],
        "original_max_position_embeddings": original,
        "sliding_window": None,
        "attention_bias": False,
    }
    if "rope_factors_long" in rope and "rope_factors_short" in rope:
        settings["rope_scaling"] = {
            "rope_type": "longrope", "long_factor": list(rope["rope_factors_long"]),
            "short_factor": list(rope["rope_factors_short"]),
            "original_max_position_embeddings": original,
            "factor": config["max_position_embeddings"] / original,
            "attention_factor": float(get("rope.scaling.attn_factor", 1.0)),
        }
    return settings
