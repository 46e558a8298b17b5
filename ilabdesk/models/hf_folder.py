"""Facts about a Hugging Face model folder, read without loading any weights.

`ilabdesk model info` and the GUI's model picker must answer instantly, so the
parameter count comes from the safetensors headers (an 8-byte length and a
JSON table of shapes at the start of each file), not from torch.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not readable JSON ({exc})", hint="download or copy the model folder again") from exc
    return data if isinstance(data, dict) else {}


def safetensors_parameters(path: Path) -> tuple[int, set[str]]:
    """(parameter count, dtypes) from one .safetensors file's header."""
    try:
        with path.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > 100_000_000:
                raise ValueError("header too large")
            header = json.loads(handle.read(length))
    except (OSError, ValueError, struct.error) as exc:
        raise UserError(f"{path}: not a valid safetensors file ({exc})", hint="download or copy the model again") from exc
    count, dtypes = 0, set()
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        count += math.prod(tensor.get("shape", []))
        dtypes.add(tensor.get("dtype", "?"))
    return count, dtypes


def describe_hf_folder(path: Path) -> dict[str, Any]:
    """Architecture, parameters, dtype, context length and chat template of a HF folder."""
    config = _read_json(path / "config.json")
    tokenizer_config = _read_json(path / "tokenizer_config.json")
    parameters, dtypes = 0, set()
    for file in sorted(path.glob("*.safetensors")):
        count, kinds = safetensors_parameters(file)
        parameters += count
        dtypes |= kinds
    from ilabdesk.models.gguf_file import human_count

    template = tokenizer_config.get("chat_template")
    if template is None and (path / "chat_template.jinja").is_file():
        template = (path / "chat_template.jinja").read_text(encoding="utf-8")
    return {
        "path": str(path),
        "type": "model",
        "architecture": (config.get("architectures") or [config.get("model_type", "unknown")])[0],
        "model_type": config.get("model_type"),
        "parameters": parameters,
        "parameters_human": human_count(parameters),
        "quantization": "/".join(sorted(dtypes)) or "unknown",
        "context_length": config.get("max_position_embeddings"),
        "embedding_length": config.get("hidden_size"),
        "chat_template": template if isinstance(template, str) else None,
        "size_bytes": sum(f.stat().st_size for f in path.rglob("*") if f.is_file()),
    }


def mlx_config_overrides(path: Path) -> dict[str, Any]:
    """What mlx-lm must be told on top of a folder's config.json: transformers 5 writes the rotary settings
    as `rope_parameters` (per kind of layer for Gemma 3), which mlx-lm does not read, so a Llama 3, a
    Gemma 3 4B or a Phi-4-mini would lose its rotary scaling there."""
    rope = _read_json(Path(path) / "config.json").get("rope_parameters")
    if not isinstance(rope, dict):
        return {}
    overrides: dict[str, Any] = {}
    local = rope.get("sliding_attention")
    if isinstance(local, dict) and "rope_theta" in local:
        overrides["rope_local_base_freq"] = local["rope_theta"]
    rope = rope.get("full_attention", rope)
    if "rope_theta" in rope:
        overrides["rope_theta"] = rope["rope_theta"]
    if rope.get("rope_type", "default") != "default":
        # under both names: mlx-lm's Phi-3 reads the older `type`
        overrides["rope_scaling"] = {**{k: v for k, v in rope.items() if k != "rope_theta"}, "type": rope["rope_type"]}
        if rope["rope_type"] == "longrope" and "short_factor" in rope:
            # mlx-lm applies LongRoPE's long factors at every length; transformers and llama.cpp apply the
            # short ones up to the original context (4096 tokens on Phi-4-mini), which training stays within
            overrides["rope_scaling"]["long_factor"] = rope["short_factor"]
    return overrides
