"""Read and check GGUF files before llama.cpp ever sees them.

llama.cpp answers a damaged file or a mismatched LoRA adapter with a C-level
log line and a bare exception (or, for some damage, an abort that takes the
whole process down). Reading the header, metadata and tensor table in Python
first turns every such case into a `UserError` that names the file and says
what to do, and gives the model library its facts (architecture, size,
quantization, context length, chat template) for free.

The header is walked with `struct` (the layout gguf-py's GGUFReader reads,
without its per-string numpy views, which cost seconds on a big vocabulary);
gguf-py itself names quantization types and writes the adapters in tests.
"""

from __future__ import annotations

import functools
import math
import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError

GGUF_MAGIC = b"GGUF"


@dataclass
class GGUFInfo:
    """What a GGUF file says about itself."""

    path: Path
    kind: str  # "model" or "adapter" (general.type)
    architecture: str
    name: str | None
    parameter_count: int
    context_length: int | None
    embedding_length: int | None
    chat_template: str | None
    adapter_alpha: float | None = None
    file_type: int | None = None  # general.file_type
    # tensor name -> shape in ggml order (ne[0] = the row length)
    tensor_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    # ggml type id -> number of weights stored in that type
    type_counts: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def quantization(self) -> str:
        """llama.cpp's name for the file type (Q4_K_M, F16, ...), else the commonest tensor type.

        Named through gguf-py, imported only here: describing a model may take
        its import time, opening one for chat should not.
        """
        import gguf

        if isinstance(self.file_type, int):
            try:
                return gguf.LlamaFileType(self.file_type).name.removeprefix("MOSTLY_").removeprefix("ALL_")
            except ValueError:
                pass
        if not self.type_counts:
            return "unknown"
        commonest = max(self.type_counts, key=self.type_counts.get)
        try:
            return gguf.GGMLQuantizationType(commonest).name
        except ValueError:
            return f"type {commonest}"

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly summary for `ilabdesk model info` and the GUI."""
        return {
            "path": str(self.path),
            "type": self.kind,
            "architecture": self.architecture,
            "name": self.name,
            "parameters": self.parameter_count,
            "parameters_human": human_count(self.parameter_count),
            "quantization": self.quantization,
            "context_length": self.context_length,
            "embedding_length": self.embedding_length,
            "chat_template": self.chat_template,
            **({"lora_alpha": self.adapter_alpha} if self.kind == "adapter" else {}),
        }


def human_count(n: int) -> str:
    """135000000 -> '135M': how model sizes are usually spoken of."""
    for unit, size in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= size:
            value = n / size
            return f"{value:.0f}{unit}" if value >= 10 else f"{value:.1f}{unit}"
    return str(n)


class _Damaged(Exception):
    """The file ends, or says something impossible, in the middle of its header."""


# GGUF value types (gguf.GGUFValueType) -> struct format of one scalar.
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")
# ggml type id -> (weights per block, bytes per block), as in gguf-py's GGML_QUANT_SIZES; kept
# here so the size check needs no gguf-py import (a quarter second) on chat start-up.
GGML_BLOCKS = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 40),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
    22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
    29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}
# Arrays longer than this (the vocabulary, the merges) are skipped, not kept.
_KEEP_ARRAY = 64


@dataclass(frozen=True)
class LongArray:
    """Stands in for a long metadata array that was skipped, keeping its length."""

    length: int


class _HeaderReader:
    """A bounds-checked cursor over a GGUF file's bytes.

    gguf-py's GGUFReader builds a numpy view of every vocabulary string, which
    takes seconds for a 49k-token vocabulary; chat start-up can't afford that,
    so the header is walked here with struct, keeping only what we look at.
    """

    def __init__(self, data: Any) -> None:
        self.data = data
        self.size = len(data)
        self.pos = 0

    def _advance(self, count: int) -> int:
        start = self.pos
        self.pos += count
        if self.pos > self.size:
            raise _Damaged(f"the file ends inside its header (at byte {start})")
        return start

    def take(self, fmt: str) -> Any:
        return struct.unpack_from(fmt, self.data, self._advance(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.take("<Q")
        start = self._advance(length)
        return bytes(self.data[start : self.pos]).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.take(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind != _ARRAY:
            raise _Damaged(f"unknown metadata value type {kind} at byte {self.pos}")
        item, count = self.take("<I"), self.take("<Q")
        if count <= _KEEP_ARRAY:
            return [self.value(item) for _ in range(count)]
        if item in _SCALARS:
            self._advance(count * struct.calcsize(_SCALARS[item]))
        elif item == _STRING:  # 49k vocabulary strings: the hot loop of a chat start-up, kept tight
            data, pos, length_at = self.data, self.pos, _U64.unpack_from
            try:
                for _ in range(count):
                    pos += 8 + length_at(data, pos)[0]
            except struct.error:
                pos = self.size + 1
            self._advance(pos - self.pos)
        else:
            for _ in range(count):
                self.value(item)
        return LongArray(count)


Header = tuple[dict[str, Any], list[tuple[str, tuple[int, ...], int, int]], int]


def read_header(path: Path) -> Header:
    """(metadata, tensors as (name, ggml shape, ggml type, offset), data start) of a GGUF file.

    Remembered per file version (path, size, modification time): both chat
    panes, the model list and each reload look at the same few files, and a
    header walk is Python work that takes the GIL from the UI thread.
    """
    stat = path.stat()
    return _read_header(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _read_header(path: str, size: int, mtime_ns: int) -> Header:
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        reader = _HeaderReader(data)
        reader.pos = 4
        version = reader.take("<I")
        if version not in (2, 3):
            raise _Damaged(f"GGUF version {version} is not supported (big-endian or too new)")
        n_tensors, n_kv = reader.take("<Q"), reader.take("<Q")
        if n_tensors > 1_000_000 or n_kv > 1_000_000:
            raise _Damaged("the header claims an impossible number of entries")
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = reader.string()
            metadata[key] = reader.value(reader.take("<I"))
        tensors = []
        for _ in range(n_tensors):
            name = reader.string()
            n_dims = reader.take("<I")
            if n_dims > 8:
                raise _Damaged(f"tensor {name} claims {n_dims} dimensions")
            shape = tuple(reader.take("<Q") for _ in range(n_dims))
            tensors.append((name, shape, reader.take("<I"), reader.take("<Q")))
        alignment = metadata.get("general.alignment") or 32
        start = -(-reader.pos // alignment) * alignment
    return metadata, tensors, start


def inspect_gguf(path: str | Path, *, role: str = "model") -> GGUFInfo:
    """Read `path`'s GGUF header, metadata and tensor table; UserError if it is not a usable file.

    `role` ("model" or "adapter") only shapes the messages and the check of
    `general.type`, so a user who swapped the two arguments is told so.
    """
    path = Path(path).expanduser()
    what = "LoRA adapter" if role == "adapter" else "model"
    if not path.exists():
        raise UserError(f"{path}: {what} file not found", hint="check the path, or run: ilabdesk model list")
    if path.is_dir():
        raise UserError(
            f"{path}: is a folder, not a GGUF {what} file",
            hint="pass the .gguf file inside it (Hugging Face folders: ilabdesk model import FOLDER)",
        )
    size = path.stat().st_size
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise UserError(f"{path}: cannot read the {what} file ({exc.strerror})") from exc
    if magic != GGUF_MAGIC:
        raise UserError(
            f"{path}: not a GGUF file (it does not start with 'GGUF')",
            hint="llama.cpp needs a .gguf file; convert safetensors models with ilabdesk convert "
            "or download a GGUF build of the model",
        )
    damaged_hint = "download or export the file again; an interrupted copy leaves a truncated file"
    try:
        metadata, tensors, data_start = read_header(path)
    except (_Damaged, ValueError, OverflowError, struct.error, OSError) as exc:
        raise UserError(f"{path}: the GGUF {what} file is damaged or incomplete ({exc})", hint=damaged_hint) from exc

    end = data_start
    type_counts: dict[int, int] = {}
    for _, shape, ggml_type, offset in tensors:
        count = math.prod(shape)
        type_counts[ggml_type] = type_counts.get(ggml_type, 0) + count
        block, type_size = GGML_BLOCKS.get(ggml_type, (1, 0))
        end = max(end, data_start + offset + count // block * type_size)
    if end > size:
        raise UserError(
            f"{path}: the GGUF {what} file is truncated ({size} bytes, its tensors need {end})", hint=damaged_hint
        )

    kind = metadata.get("general.type") or "model"
    architecture = metadata.get("general.architecture")
    if not isinstance(architecture, str) or not architecture:
        raise UserError(f"{path}: the GGUF file has no 'general.architecture'", hint="re-export it with a current llama.cpp")
    if role == "adapter" and kind != "adapter":
        raise UserError(
            f"{path}: is a full model, not a LoRA adapter",
            hint="pass it with -m/--model; --adapter takes the adapter.gguf of a training run",
        )
    if role == "model" and kind == "adapter":
        raise UserError(
            f"{path}: is a LoRA adapter, not a model",
            hint="pass the base model with -m and this file with --adapter",
        )
    if kind == "adapter" and metadata.get("adapter.type") != "lora":
        raise UserError(f"{path}: adapter type {metadata.get('adapter.type')!r} is not supported; only LoRA is")

    template = metadata.get("tokenizer.chat_template")
    return GGUFInfo(
        path=path,
        kind=kind,
        architecture=architecture,
        name=metadata.get("general.name"),
        parameter_count=sum(math.prod(shape) for _, shape, _, _ in tensors),
        context_length=metadata.get(f"{architecture}.context_length"),
        embedding_length=metadata.get(f"{architecture}.embedding_length"),
        chat_template=template if isinstance(template, str) else None,
        adapter_alpha=metadata.get("adapter.lora.alpha"),
        file_type=metadata.get("general.file_type"),
        tensor_shapes={name: shape for name, shape, _, _ in tensors},
        type_counts=type_counts,
    )


def check_adapter_fits(adapter: GGUFInfo, base: GGUFInfo) -> None:
    """UserError unless every LoRA pair in `adapter` fits a weight of `base`.

    Mirrors llama.cpp's own checks (llama-adapter.cpp): same architecture,
    each `X.lora_a`/`X.lora_b` has a base tensor `X`, A is [n_in, r], B is [r, n_out].
    """
    wrong_base = f"{adapter.path}: this LoRA adapter was made for another base model than {base.path.name}"
    hint = "use the base model the adapter was trained on (see run.json in the training run folder)"
    if adapter.architecture != base.architecture:
        raise UserError(
            f"{wrong_base} (adapter architecture {adapter.architecture}, model {base.architecture})", hint=hint
        )
    pairs: dict[str, dict[str, tuple[int, ...]]] = {}
    for name, shape in adapter.tensor_shapes.items():
        for suffix in ("lora_a", "lora_b"):
            if name.endswith("." + suffix):
                pairs.setdefault(name[: -len(suffix) - 1], {})[suffix] = shape
    if not pairs:
        raise UserError(f"{adapter.path}: the LoRA adapter has no lora_a/lora_b tensors", hint="export the adapter again")
    for target, pair in sorted(pairs.items()):
        if set(pair) != {"lora_a", "lora_b"}:
            raise UserError(f"{adapter.path}: tensor {target} has only one of lora_a/lora_b", hint="export the adapter again")
        weight = base.tensor_shapes.get(target)
        if weight is None:
            raise UserError(f"{wrong_base} (the base has no tensor {target})", hint=hint)
        a, b = pair["lora_a"], pair["lora_b"]
        if len(a) != 2 or len(b) != 2 or len(weight) < 2:
            raise UserError(f"{adapter.path}: tensor {target} has an unexpected rank", hint="export the adapter again")
        if target == "token_embd.weight":
            fits = weight[0] == b[1] and weight[1] == a[1]
        else:
            fits = weight[0] == a[0] and weight[1] == b[1] and a[1] == b[0]
        if not fits:
            raise UserError(
                f"{wrong_base} (tensor {target}: base {list(weight)}, adapter A {list(a)} B {list(b)})", hint=hint
            )
