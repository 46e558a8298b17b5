"""Read a GGUF's key/value metadata into plain Python values, and derive an HF config from it."""

from __future__ import annotations

from typing import Any

from ilabdesk.errors import UserError

# GGUF architecture -> (HF model_type, HF architecture class)
HF_ARCHS = {
    "llama": ("llama", "LlamaForCausalLM"),
    "mistral": ("llama", "LlamaForCausalLM"),
    "granite": ("granite", "GraniteForCausalLM"),
    "qwen2": ("qwen2", "Qwen2ForCausalLM"),
}


def untrainable(arch: str | None, tensor_names: set[str]) -> UserError | None:
    """Why a GGUF of `arch` with these tensors cannot be trained here, or None when it can."""
    if arch not in HF_ARCHS:
        return UserError(
            f"this GGUF's architecture '{arch}' cannot be trained by ilabdesk yet",
            hint="supported: " + ", ".join(sorted(HF_ARCHS)) + " (SmolLM2, Llama, Mistral, Granite, Qwen2)",
        )
    if "rope_freqs.weight" in tensor_names:
        return UserError(
            "this GGUF uses Llama-3 style scaled rotary embeddings, which ilabdesk cannot rebuild from a GGUF",
            hint="train from the model's Hugging Face folder instead (--base DIR)",
        )
    return None


def hf_config(meta: dict[str, Any], tensor_names: set[str]) -> dict[str, Any]:
    """A transformers config.json for the model described by GGUF metadata."""
    arch = meta.get("general.architecture")
    refusal = untrainable(arch, tensor_names)
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
    if model_type == "qwen2":
        config["use_sliding_window"] = False
    if model_type == "granite":
        config["embedding_multiplier"] = float(get("embedding_scale", 1.0))
        config["residual_multiplier"] = float(get("residual_scale", 1.0))
        config["attention_multiplier"] = float(get("attention.scale", 1.0 / (hidden // heads) ** 0.5))
        config["logits_scaling"] = float(get("logit_scale", 1.0))
    return config
