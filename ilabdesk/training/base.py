"""The base model a run trains on: a Hugging Face folder, or a GGUF turned into one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class TrainableBase:
    """Where the trainable weights are, and the GGUF they came from (if any).

    `gguf` matters after training: the LoRA adapter GGUF loads on that file,
    and the fused model reuses its tokenizer and metadata.
    """

    hf_dir: Path
    gguf: Path | None
    name: str


def resolve_base(model: str | None) -> TrainableBase:
    """A library name, a .gguf path, an HF folder or None (the configured default) -> TrainableBase."""
    from ilabdesk.models.library import resolve

    entry = resolve(model)
    if entry.format == "hf":
        return TrainableBase(Path(entry.path), None, entry.name)
    from ilabdesk.gguf.dequantize import hf_dir_for_gguf

    gguf = Path(entry.path).resolve()
    return TrainableBase(hf_dir_for_gguf(gguf), gguf, entry.name)
