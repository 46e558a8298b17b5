"""A tiny Llama model built in code, with the real SmolLM2 tokenizer, as an HF folder and a GGUF.

Tests train and convert it in seconds; because it shares the embedded
model's vocabulary and chat template, llama.cpp can load its GGUF and the
same prompts tokenize the same way everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

TINY = {"hidden": 64, "layers": 2, "heads": 4, "kv_heads": 2, "ffn": 128}


def tiny_hf_dir(folder: Path, seed: int = 0) -> Path:
    """A random 2-layer Llama (SmolLM2 vocabulary, tied embeddings) saved as an HF folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from ilabdesk.gguf.reader import read_gguf
    from ilabdesk.gguf.tokenizer import write_tokenizer
    from ilabdesk.models.default import default_model_path

    gguf_path = default_model_path()
    meta = read_gguf(gguf_path).meta
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(meta["tokenizer.ggml.tokens"]), hidden_size=TINY["hidden"], intermediate_size=TINY["ffn"],
        num_hidden_layers=TINY["layers"], num_attention_heads=TINY["heads"], num_key_value_heads=TINY["kv_heads"],
        max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True,
        bos_token_id=1, eos_token_id=2, pad_token_id=2,
    )
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # larger weights than the default init, so outputs depend on the prompt
        for name, p in model.named_parameters():
            if p.ndim == 2:
                p.normal_(0, 0.08)
    model.save_pretrained(str(folder))
    write_tokenizer(meta, gguf_path, folder)
    return folder


def tiny_gguf(hf_dir: Path, out: Path, template: bool = True) -> Path:
    """The tiny HF folder as an F32 llama.cpp GGUF, with the SmolLM2 GGUF's tokenizer metadata
    (without its chat template unless `template`)."""
    import gguf

    from ilabdesk.gguf.export import merged_tensors, write_model_gguf
    from ilabdesk.gguf.reader import Value, read_gguf
    from ilabdesk.models.default import default_model_path

    config = json.loads((hf_dir / "config.json").read_text())
    source = read_gguf(default_model_path())
    fields = {k: v for k, v in source.fields.items()
              if k.startswith("tokenizer.") and (template or k != "tokenizer.chat_template")}
    u32, f32 = gguf.GGUFValueType.UINT32, gguf.GGUFValueType.FLOAT32
    fields.update({
        "general.name": Value("tiny-test", gguf.GGUFValueType.STRING),
        "llama.block_count": Value(config["num_hidden_layers"], u32),
        "llama.context_length": Value(512, u32),
        "llama.embedding_length": Value(config["hidden_size"], u32),
        "llama.feed_forward_length": Value(config["intermediate_size"], u32),
        "llama.attention.head_count": Value(config["num_attention_heads"], u32),
        "llama.attention.head_count_kv": Value(config["num_key_value_heads"], u32),
        "llama.rope.freq_base": Value(10000.0, f32),
        "llama.attention.layer_norm_rms_epsilon": Value(1e-5, f32),
        "llama.rope.dimension_count": Value(config["hidden_size"] // config["num_attention_heads"], u32),
        "llama.vocab_size": Value(config["vocab_size"], u32),
    })
    return write_model_gguf(out, "llama", fields, merged_tensors(hf_dir, None), "F32")
