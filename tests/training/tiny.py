"""Tiny models built in code, with the real SmolLM2 tokenizer, as an HF folder and a GGUF.

Tests train and convert them in seconds; because they share the embedded
model's vocabulary and chat template, llama.cpp can load their GGUFs and the
same prompts tokenize the same way everywhere. The Gemmas and the Qwen2 have a SentencePiece
vocabulary of their own, which llama.cpp's converter needs (for a Qwen2 folder, transformers
loads Qwen2's own tokenizer, whose pre-tokenizer the converter knows only with Qwen's vocabulary).
`VARIANTS` are the
architectures (and rotary scalings) a GGUF base can be trained from.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

# Training settings that take a tiny model through a few real steps, with a checkpoint, in seconds
FAST = {"iters": 6, "batch_size": 4, "learning_rate": 5e-3, "checkpoint_every": 3, "threads": 1, "rank": 4, "alpha": 8}
TINY = {"hidden": 64, "layers": 2, "heads": 4, "kv_heads": 2, "ffn": 128}
# Llama 3's rotary scaling, with bounds that put two of the tiny model's eight rotary pairs between them
LLAMA3_ROPE = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 16.0,
               "original_max_position_embeddings": 1024}
# Phi-4-mini's LongRoPE factors for the tiny model's six rotary pairs (a quarter of each head has none)
PHI4_ROPE = {"rope_type": "longrope", "short_factor": [1.0, 1.05, 1.1, 1.2, 1.4, 1.6],
             "long_factor": [1.0, 1.5, 2.5, 4.0, 6.0, 8.0]}
# Gemma 3's chat template, shortened: a system message opens the first user turn
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set first = messages[0]['content'] | trim + '\\n\\n' %}"
    "{% set turns = messages[1:] %}{% else %}{% set first = '' %}{% set turns = messages %}{% endif %}"
    "{% for m in turns %}{{ '<start_of_turn>' + ('model' if m['role'] == 'assistant' else m['role']) + '\\n' "
    "+ (first if loop.first else '') + m['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}")
VARIANTS = ("llama", "llama3", "mistral", "granite", "qwen2", "qwen3", "gemma2", "gemma3", "phi3", "phi4")


def tiny_hf_dir(folder: Path, seed: int = 0, variant: str = "llama") -> Path:
    """A random small model (SmolLM2 vocabulary, tied embeddings) saved as an HF folder: a Llama,
    a Llama with Llama 3's rotary scaling, a Mistral (llama.cpp converts it to a Llama), a Granite
    (scaled embeddings, residuals, attention and logits), a Qwen2 (biased Q/K/V projections; built by
    `tiny_spm_dir`), a Qwen3 (Q/K norms, a head wider than hidden / heads),
    a Gemma 2 (built by `tiny_spm_dir`, with a SentencePiece vocabulary) or a Gemma 3 (Q/K norms too,
    five windowed layers and a global one, each kind with its own rotary base, the global one's
    positions scaled as in Gemma 3 4B and up), a Phi-3 (Q/K/V and gate/up fused into one projection
    each) or a Phi-4-mini (rotary embeddings on three quarters of each head, LongRoPE)."""
    if variant in ("gemma2", "qwen2"):
        return tiny_spm_dir(folder, variant, seed)
    import torch
    from transformers import (Gemma3ForCausalLM, Gemma3TextConfig, GraniteConfig, GraniteForCausalLM, LlamaConfig,
                              LlamaForCausalLM, MistralConfig, MistralForCausalLM, Phi3Config, Phi3ForCausalLM,
                              Qwen3Config, Qwen3ForCausalLM)

    from ilabdesk.gguf.reader import read_gguf
    from ilabdesk.gguf.tokenizer import write_tokenizer
    from ilabdesk.models.default import default_model_path

    gguf_path = default_model_path()
    meta = read_gguf(gguf_path).meta
    torch.manual_seed(seed)
    common = dict(
        vocab_size=len(meta["tokenizer.ggml.tokens"]), hidden_size=TINY["hidden"], intermediate_size=TINY["ffn"],
        num_hidden_layers=TINY["layers"], num_attention_heads=TINY["heads"], num_key_value_heads=TINY["kv_heads"],
        max_position_embeddings=2048, rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True,
        bos_token_id=1, eos_token_id=2, pad_token_id=2,
    )
    if variant == "mistral":
        model = MistralForCausalLM(MistralConfig(**common, sliding_window=None))
    elif variant == "granite":
        model = GraniteForCausalLM(GraniteConfig(**common, embedding_multiplier=6.0, residual_multiplier=0.5,
                                                 attention_multiplier=0.1, logits_scaling=4.0))
    elif variant == "qwen3":
        model = Qwen3ForCausalLM(Qwen3Config(**common, head_dim=32))
    elif variant == "gemma3":
        common.pop("rope_theta")
        model = Gemma3ForCausalLM(Gemma3TextConfig(**{**common, "num_hidden_layers": 6}, head_dim=32,
                                                   query_pre_attn_scalar=32, sliding_window=512,
                                                   rope_scaling={"rope_type": "linear", "factor": 8.0}))
    elif variant == "phi3":
        model = Phi3ForCausalLM(Phi3Config(**common))
    elif variant == "phi4":
        common.pop("rope_theta")
        model = Phi3ForCausalLM(Phi3Config(**{**common, "max_position_embeddings": 4096},
                                           original_max_position_embeddings=1024, partial_rotary_factor=0.75,
                                           rope_parameters={**PHI4_ROPE, "rope_theta": 10000.0,
                                                            "partial_rotary_factor": 0.75, "factor": 4.0}))
    else:
        model = LlamaForCausalLM(LlamaConfig(**common, rope_scaling=LLAMA3_ROPE if variant == "llama3" else None))
    _widened(model, variant).save_pretrained(str(folder))
    write_tokenizer(meta, gguf_path, folder)
    if variant.startswith("phi"):  # a byte-level BPE vocabulary, as Phi-4's: llama.cpp's converter reads its class
        config = json.loads((folder / "tokenizer_config.json").read_text())
        (folder / "tokenizer_config.json").write_text(json.dumps({**config, "tokenizer_class": "GPT2Tokenizer"}))
    return folder


def _widened(model, variant: str):
    """`model` with larger weights than the default init, so its outputs depend on the prompt."""
    import torch

    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 2 or name.endswith(".bias"):
                p.normal_(0, 0.08)
            elif "norm" in name:
                p.uniform_(-0.5, 0.5) if variant.startswith("gemma") else p.uniform_(0.5, 1.5)  # Gemma: 1 + w
    return model


def tiny_spm_dir(folder: Path, variant: str = "gemma3", seed: int = 0) -> Path:
    """A tiny Gemma 3 (or, with `variant` "gemma2", a Gemma 2: norms around the layers, soft-capped
    logits, windowed and global layers in turn; with "qwen2", a Qwen2) folder whose vocabulary is a SentencePiece model
    trained here, laid out as Gemma's: runs of spaces are pieces of their own ("▁▁" in
    tokenizer.model, "  " in tokenizer_config.json's added tokens), and the chat turns are control
    tokens. llama.cpp's converter makes an SPM GGUF of it."""
    import io

    import sentencepiece
    import torch
    from transformers import (Gemma2Config, Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3TextConfig, Qwen2Config,
                              Qwen2ForCausalLM)

    document = next((Path(__file__).parents[2] / "benchmarks/data/knowledge/kelderwick/documents").iterdir())
    lines = [line for line in document.read_text(encoding="utf-8").splitlines() if line.strip()]
    spaces = ["▁" * n for n in range(2, 6)]
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(lines * 3), model_writer=model, vocab_size=400, model_type="bpe",
        user_defined_symbols=[*spaces, "\n", "\n\n", "<start_of_turn>", "<end_of_turn>"], byte_fallback=True,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3, split_digits=True, remove_extra_whitespaces=False,
        normalization_rule_name="identity", minloglevel=2)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.model").write_bytes(model.getvalue())
    pieces = sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())
    decoder = {str(pieces.piece_to_id(p)): {"content": p.replace("▁", " "), "special": False} for p in spaces}
    for name in ("<start_of_turn>", "<end_of_turn>"):
        decoder[str(pieces.piece_to_id(name))] = {"content": name, "special": True}
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "GemmaTokenizer", "added_tokens_decoder": decoder, "bos_token": "<s>", "eos_token": "</s>",
        "add_bos_token": True, "chat_template": GEMMA_TEMPLATE}))
    torch.manual_seed(seed)
    common = dict(vocab_size=pieces.vocab_size(), hidden_size=TINY["hidden"], intermediate_size=TINY["ffn"],
                  num_hidden_layers=2, num_attention_heads=TINY["heads"], num_key_value_heads=TINY["kv_heads"],
                  head_dim=32, pad_token_id=0, eos_token_id=1, bos_token_id=2)
    if variant == "gemma2":
        model = _widened(Gemma2ForCausalLM(Gemma2Config(**common, query_pre_attn_scalar=32, sliding_window=512,
                                                        attn_logit_softcapping=50.0, final_logit_softcapping=30.0)),
                         variant)
    elif variant == "qwen2":
        common["head_dim"] = TINY["hidden"] // TINY["heads"]  # a Qwen2's heads are hidden / heads wide
        model = _widened(Qwen2ForCausalLM(Qwen2Config(**common, use_sliding_window=False)), variant)
    else:
        model = Gemma3ForCausalLM(Gemma3TextConfig(**common))
    model.save_pretrained(str(folder))
    return folder


def tiny_gguf(hf_dir: Path, out: Path, template: bool = True) -> Path:
    """The tiny HF folder as an F32 GGUF written by llama.cpp's converter (without the chat template
    unless `template`)."""
    from ilabdesk.gguf.convert_hf import hf_folder_to_gguf

    if template:
        return hf_folder_to_gguf(hf_dir, out, "f32")
    bare = out.with_name(out.stem + "-bare-hf")
    shutil.copytree(hf_dir, bare, dirs_exist_ok=True)
    config = json.loads((bare / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (bare / "tokenizer_config.json").write_text(json.dumps(config))
    return hf_folder_to_gguf(bare, out, "f32")

