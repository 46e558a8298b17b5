"""Shared chat-test helpers: write real llama.cpp LoRA adapter GGUFs, the way convert_lora_to_gguf.py does.

Conventions (llama.cpp src/llama-adapter.cpp): general.type=adapter,
adapter.type=lora, adapter.lora.alpha; for a base weight `X` of ggml shape
[n_in, n_out], tensors `X.lora_a` with numpy shape (rank, n_in) and `X.lora_b`
with numpy shape (n_out, rank).
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest

from ilabdesk.models.gguf_file import inspect_gguf


def base_shapes(model: Path) -> tuple[str, dict[str, tuple[int, ...]]]:
    info = inspect_gguf(model)
    return info.architecture, info.tensor_shapes


def write_lora(
    path: Path,
    model: Path,
    *,
    targets: tuple[str, ...] = ("attn_q", "attn_v"),
    rank: int = 4,
    alpha: float = 8.0,
    b_scale: float = 0.0,
    arch: str | None = None,
    n_in_override: int | None = None,
    seed: int = 0,
) -> Path:
    """An adapter for `model`; `b_scale` 0 makes it a no-op (B = 0), larger values change outputs."""
    base_arch, shapes = base_shapes(model)
    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(path, arch or base_arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    for name, shape in shapes.items():
        if not name.startswith("blk.") or name.split(".")[2] not in targets:
            continue
        n_in, n_out = shape
        n_in = n_in_override or n_in
        a = rng.normal(0, 1 / np.sqrt(n_in), size=(rank, n_in)).astype(np.float32)
        b = (rng.normal(0, 1, size=(n_out, rank)) * b_scale).astype(np.float32)
        writer.add_tensor(f"{name}.lora_a", a)
        writer.add_tensor(f"{name}.lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture
def make_lora():
    """The adapter writer, as a fixture so test modules need no helper import."""
    return write_lora
