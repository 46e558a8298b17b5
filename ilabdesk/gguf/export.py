"""A trained LoRA back into llama.cpp's world: adapter GGUF, fused GGUF, quantized GGUF.

- `export_adapter`: the LoRA as a llama.cpp adapter (general.type=adapter),
  loadable on the base GGUF; B matrices of Q/K get llama.cpp's row permutation.
- `export_fused`: base weights + LoRA merged into an F16 (or F32) GGUF that
  copies the base GGUF's metadata (tokenizer, chat template, rope...) verbatim.
- `quantize`: llama.cpp's own quantizer through llama-cpp-python.
Every file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ilabdesk.chat.template import DEFAULT_TEMPLATE
from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_path
from ilabdesk.gguf.dequantize import dequantize_tensor
from ilabdesk.gguf.metadata import ROPE_TENSORS
from ilabdesk.gguf.names import PERMUTED_ARCHS, hf_to_gguf, norm_shift, permute, qk_heads
from ilabdesk.gguf.reader import STRING, GGUFFile, Value, read_gguf

QUANT_TYPES = ("Q8_0", "Q4_K_M", "Q5_K_M", "Q4_0", "Q5_0", "Q6_K", "F16")
PEFT_PREFIX = "base_model.model."


def read_peft_adapter(adapter_dir: Path) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """(adapter_config, {hf module weight name: (A, B) float32 numpy}) of a PEFT LoRA folder."""
    from safetensors.numpy import load_file

    adapter_dir = Path(adapter_dir)
    try:
        config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
        tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    except FileNotFoundError as exc:
        raise UserError(f"{adapter_dir}: no trained adapter here", hint="run `ilabdesk train` first") from exc
    pairs: dict[str, list] = {}
    for key, value in tensors.items():
        name = key[len(PEFT_PREFIX) :] if key.startswith(PEFT_PREFIX) else key
        for part, slot in ((".lora_A.weight", 0), (".lora_B.weight", 1)):
            if name.endswith(part):
                pairs.setdefault(name[: -len(part)] + ".weight", [None, None])[slot] = value.astype("float32")
    incomplete = [k for k, (a, b) in pairs.items() if a is None or b is None]
    if incomplete or not pairs:
        raise UserError(f"{adapter_dir}: the adapter is incomplete ({', '.join(incomplete[:3]) or 'no LoRA tensors'})")
    return config, {k: (a, b) for k, (a, b) in pairs.items()}


def lora_scale(config: dict[str, Any]) -> float:
    rank = float(config["r"])
    alpha = float(config.get("lora_alpha", rank))
    return alpha / rank ** 0.5 if config.get("use_rslora") else alpha / rank


def _heads(gf: GGUFFile) -> tuple[int, int]:
    meta = gf.meta
    heads = int(meta.get(f"{gf.arch}.attention.head_count", 0))
    return heads, int(meta.get(f"{gf.arch}.attention.head_count_kv", heads))


def _write(writer, path: Path) -> None:
    writer.write_header_to_file(path=path)
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def export_adapter(adapter_dir: Path, base_gguf: Path, out_path: Path) -> Path:
    """Write the PEFT adapter in `adapter_dir` as a llama.cpp LoRA GGUF for `base_gguf`."""
    import gguf

    config, pairs = read_peft_adapter(adapter_dir)
    gf = read_gguf(base_gguf)
    heads, heads_kv = _heads(gf)
    known = gf.tensor_names()
    # llama.cpp applies scale = alpha / rank; fold rsLoRA's different scale into alpha.
    alpha = lora_scale(config) * float(config["r"])
    with atomic_path(out_path) as tmp:
        writer = gguf.GGUFWriter(None, gf.arch)
        writer.add_string("general.type", "adapter")
        writer.add_string("adapter.type", "lora")
        writer.add_float32("adapter.lora.alpha", alpha)
        name_field = gf.fields.get("general.name")
        if name_field:
            writer.add_string("general.name", f"{name_field.value} LoRA")
        for hf_name, (a, b) in sorted(pairs.items()):
            target = hf_to_gguf(hf_name, gf.arch)
            if target is None or target not in known:
                raise UserError(f"{adapter_dir}: LoRA on '{hf_name}', which the base GGUF {base_gguf} does not have")
            n = qk_heads(target, heads, heads_kv)
            if n and gf.arch in PERMUTED_ARCHS:
                b = permute(b, n)
            writer.add_tensor(f"{target}.lora_a", a.copy())
            writer.add_tensor(f"{target}.lora_b", b.copy())
        _write(writer, tmp)
    return out_path


def merged_tensors(hf_dir: Path, adapter_dir: Path | None) -> Iterator[tuple[str, Any]]:
    """(hf name, float32 numpy) of the base folder's weights with the LoRA merged in."""
    from safetensors import safe_open

    pairs: dict[str, tuple[Any, Any]] = {}
    scale = 1.0
    if adapter_dir is not None:
        config, pairs = read_peft_adapter(adapter_dir)
        scale = lora_scale(config)
    files = sorted(Path(hf_dir).glob("*.safetensors"))
    if not files:
        raise UserError(f"{hf_dir}: no .safetensors weights")
    for file in files:
        with safe_open(str(file), framework="numpy") as fh:
            for name in fh.keys():
                weight = fh.get_tensor(name).astype("float32")
                if name in pairs:
                    a, b = pairs[name]
                    weight = weight + scale * (b @ a)
                yield name, weight


def write_model_gguf(
    out_path: Path, arch: str, fields: dict[str, Value], tensors: Iterator[tuple[str, Any]], dtype: str = "F16",
    order: list[str] | None = None, extra: dict[str, Any] | None = None,
) -> Path:
    """Write HF-named float32 weights as a llama.cpp model GGUF with the given metadata fields.

    2-D weights are stored as `dtype` (F16 or F32); norms stay F32, as llama.cpp
    expects; Q/K rows get llama.cpp's permutation for llama-style architectures,
    Gemma's norms their one (names.norm_shift). `extra` holds tensors already
    in GGUF form (metadata.ROPE_TENSORS).
    """
    import gguf
    import numpy as np

    if dtype not in ("F16", "F32"):
        raise UserError(f"models are written as F16 or F32 here, not {dtype}")
    heads = int(fields[f"{arch}.attention.head_count"].value)
    kv_field = fields.get(f"{arch}.attention.head_count_kv")
    heads_kv = int(kv_field.value) if kv_field else heads
    out: dict[str, Any] = dict(extra or {})
    for hf_name, weight in tensors:
        target = hf_to_gguf(hf_name, arch)
        if target is None:
            continue
        n = qk_heads(target, heads, heads_kv)
        if n and arch in PERMUTED_ARCHS:
            weight = permute(weight, n)
        shift = norm_shift(target, arch)
        if shift:
            weight = weight + shift
        if weight.ndim >= 2 and dtype == "F16":
            weight = weight.astype(np.float16)
        out[target] = np.ascontiguousarray(weight)
    if order:
        missing = [name for name in order if name not in out]
        if missing:
            raise UserError(f"weights for {', '.join(missing[:3])} are missing, so no complete model can be written")
    rank = {name: i for i, name in enumerate(order or [])}
    skip = {"general.architecture", "general.file_type", "general.quantization_version", "general.alignment"}
    with atomic_path(out_path) as tmp:
        writer = gguf.GGUFWriter(None, arch)
        for key, value in fields.items():
            if key in skip:
                continue
            sub = gguf.GGUFValueType(value.sub_type) if value.sub_type is not None else None
            writer.add_key_value(key, value.value, gguf.GGUFValueType(value.vtype), sub)
        writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if dtype == "F16" else gguf.LlamaFileType.ALL_F32)
        for name in sorted(out, key=lambda k: rank.get(k, len(rank))):
            writer.add_tensor(name, out[name])
        _write(writer, tmp)
    return out_path


def export_fused(hf_dir: Path, adapter_dir: Path | None, base_gguf: Path, out_path: Path, dtype: str = "F16") -> Path:
    """Merge the LoRA into the base weights; write a GGUF with the base GGUF's metadata and tokenizer."""
    gf = read_gguf(base_gguf)
    fields = dict(gf.fields)
    # a base without a template was trained with ilabdesk's default (chat.template): the model carries it
    fields.setdefault("tokenizer.chat_template", Value(DEFAULT_TEMPLATE, STRING))
    # what training does not change and HF keeps in its config: rotary divisors and factors
    extra = {t.name: dequantize_tensor(gf, t) for t in gf.tensors if t.name.removesuffix(".weight") in ROPE_TENSORS}
    return write_model_gguf(
        out_path, gf.arch, fields, merged_tensors(hf_dir, adapter_dir), dtype, [t.name for t in gf.tensors], extra
    )


def quantize(source: Path, out_path: Path, qtype: str = "Q4_K_M", threads: int = 0) -> Path:
    """Quantize a GGUF with llama.cpp's quantizer (in-process, no external binary)."""
    import ctypes
    import logging

    import llama_cpp

    qtype = qtype.upper()
    if qtype not in QUANT_TYPES:
        raise UserError(f"unknown quantization '{qtype}'", hint="choose one of " + ", ".join(QUANT_TYPES))
    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{qtype}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads

    log = logging.getLogger("llama-cpp-python")  # llama.cpp prints a line per tensor otherwise
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with atomic_path(out_path) as tmp:
            status = llama_cpp.llama_model_quantize(str(source).encode(), str(tmp).encode(), ctypes.byref(params))
            if status != 0:  # raised inside the block, so the temp file is never renamed into place
                raise UserError(f"{source}: llama.cpp could not quantize this model to {qtype} (status {status})")
    finally:
        log.setLevel(level)
    return out_path
