"""A trainable Hugging Face model folder from a GGUF, fast, and cached.

transformers can load a GGUF itself but takes ~50 s for the 135M model here;
a struct-based header reader plus vectorised numpy dequantization does the same
in a few seconds. The result (float32 safetensors, config.json and a tokenizer
rebuilt from the GGUF metadata) is cached under the app's cache folder, keyed
by the GGUF's path, size and modification time, so a second run costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ilabdesk.errors import UserError
from ilabdesk.gguf.metadata import ROPE_TENSORS, hf_config
from ilabdesk.gguf.names import PERMUTED_ARCHS, gguf_to_hf, norm_shift, qk_heads, unpermute
from ilabdesk.gguf.reader import GGUFFile, TensorInfo, read_gguf
from ilabdesk.gguf.tokenizer import write_tokenizer
from ilabdesk.settings import paths

# Bump when the folder layout or the conversion changes, so stale caches are rebuilt.
FORMAT_VERSION = 4


def cache_key(gguf_path: Path) -> str:
    """Identity of a GGUF file for the cache: resolved path, size and mtime (no full read)."""
    stat = gguf_path.stat()
    raw = f"{gguf_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{FORMAT_VERSION}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def hf_dir_for_gguf(gguf_path: Path) -> Path:
    """The cached HF folder for a GGUF, converting it on first use."""
    gguf_path = Path(gguf_path)
    if not gguf_path.is_file():
        raise UserError(f"{gguf_path}: no such GGUF file", hint="check the --base path")
    target = paths().cache / "bases" / f"{gguf_path.stem}-{cache_key(gguf_path)}"
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        convert_gguf_to_hf(gguf_path, tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished first: keep theirs
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _fp16(raw_bytes):
    import numpy as np

    return raw_bytes.copy().view(np.float16).astype(np.float32)


def dequantize_tensor(gf: GGUFFile, info: TensorInfo):
    """float32 numpy array of one tensor in GGUF (llama.cpp) layout.

    Q4_0, Q4_1 and Q8_0 (the embedded model's types) have fast paths; other
    types fall back to gguf-py's reference dequantizer.
    """
    import numpy as np

    raw = gf.raw(info)
    if info.ggml_type == 0:
        return np.asarray(raw, dtype=np.float32)
    if info.ggml_type == 1:
        return raw.astype(np.float32)
    if info.ggml_type == 30:  # bf16: the high half of a float32
        return (raw.astype(np.uint32) << 16).view(np.float32)
    blocks = None
    if info.ggml_type in (2, 3, 8):
        size = {2: 18, 3: 20, 8: 34}[info.ggml_type]
        blocks = np.asarray(raw).reshape(-1, size)
    if info.ggml_type == 8:  # Q8_0: f16 scale, 32 x int8
        out = blocks[:, 2:].view(np.int8).astype(np.float32)
        out *= _fp16(blocks[:, :2])
    elif info.ggml_type in (2, 3):  # Q4_0 (d, 16 bytes), Q4_1 (d, m, 16 bytes): low nibbles first
        qs = blocks[:, 4:] if info.ggml_type == 3 else blocks[:, 2:]
        q = np.empty((blocks.shape[0], 32), dtype=np.uint8)
        np.bitwise_and(qs, 0x0F, out=q[:, :16])
        np.right_shift(qs, 4, out=q[:, 16:])
        out = q.astype(np.float32)
        if info.ggml_type == 2:
            out -= 8.0
            out *= _fp16(blocks[:, :2])
        else:
            out *= _fp16(blocks[:, :2])
            out += _fp16(blocks[:, 2:4])
    else:
        from gguf.quants import dequantize

        return dequantize(np.asarray(raw), info.ggml_type).reshape(info.shape).astype(np.float32, copy=False)
    return out.reshape(info.shape)


def dequantized_tensors(gf: GGUFFile) -> Iterator[tuple[str, object]]:
    """Yield (hf_name, float32 numpy array in HF layout) for every weight of the GGUF."""
    import numpy as np

    meta = gf.meta
    arch = gf.arch
    heads = int(meta.get(f"{arch}.attention.head_count", 0))
    heads_kv = int(meta.get(f"{arch}.attention.head_count_kv", heads))
    for info in gf.tensors:
        name = gguf_to_hf(info.name, arch)
        if name is None:
            continue
        values = dequantize_tensor(gf, info)
        n = qk_heads(info.name, heads, heads_kv)
        if n and arch in PERMUTED_ARCHS:
            values = unpermute(values, n)
        shift = norm_shift(info.name, arch)
        if shift:
            values = values - shift
        yield name, np.ascontiguousarray(values)


def convert_gguf_to_hf(gguf_path: Path, out_dir: Path) -> Path:
    """Write model.safetensors, config.json and the tokenizer for `gguf_path` into `out_dir`."""
    from safetensors.numpy import save_file

    gf = read_gguf(gguf_path)
    meta = gf.meta
    rope = {t.name.removesuffix(".weight"): dequantize_tensor(gf, t).tolist() for t in gf.tensors
            if t.name.removesuffix(".weight") in ROPE_TENSORS}
    config = hf_config(meta, gf.tensor_names(), rope)
    out_dir.mkdir(parents=True, exist_ok=True)
    tensors = dict(dequantized_tensors(gf))
    if config["tie_word_embeddings"]:
        tensors.pop("lm_head.weight", None)
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    (out_dir / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    write_tokenizer(meta, Path(gguf_path), out_dir)
    (out_dir / "source.json").write_text(
        json.dumps({"gguf": str(Path(gguf_path).resolve()), "architecture": gf.arch}), encoding="utf-8"
    )
    return out_dir
