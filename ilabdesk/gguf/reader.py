"""A fast GGUF header reader: metadata with value types, tensor infos, and raw tensor bytes.

gguf-py's GGUFReader builds a numpy memmap view for every part of every field;
for a 49k-token vocabulary that is ~4 s of Python before a single weight is
touched. GGUF's header is simple enough to walk with `struct`, which takes a
fraction of a second, and the tensors are then numpy views of one memmap.
Value types are kept so a header can be copied faithfully into a new file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError, from_os_error

# GGUFValueType -> struct format for scalars
_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9


@dataclass
class Value:
    """One metadata value with its GGUF type (and element type for arrays)."""

    value: Any
    vtype: int
    sub_type: int | None = None


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # numpy order (outermost first), the reverse of ggml's ne
    ggml_type: int
    offset: int  # absolute byte offset in the file


@dataclass
class GGUFFile:
    path: Path
    fields: dict[str, Value] = field(default_factory=dict)
    tensors: list[TensorInfo] = field(default_factory=list)

    @property
    def meta(self) -> dict[str, Any]:
        return {k: v.value for k, v in self.fields.items()}

    @property
    def arch(self) -> str:
        return str(self.fields["general.architecture"].value)

    def tensor_names(self) -> set[str]:
        return {t.name for t in self.tensors}

    def raw(self, info: TensorInfo):
        """The tensor's bytes (quantized) or values (float) as a numpy view, shaped per row."""
        import numpy as np
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

        qtype = GGMLQuantizationType(info.ggml_type)
        block, size = GGML_QUANT_SIZES[qtype]
        rows = info.shape[:-1]
        row_bytes = info.shape[-1] // block * size
        count = row_bytes * int(np.prod(rows, dtype=np.int64))
        data = self._memmap()[info.offset : info.offset + count]
        dtype = {0: np.float32, 1: np.float16, 30: np.uint16}.get(info.ggml_type)
        if dtype is not None:
            return data.view(dtype).reshape(info.shape)
        return data.reshape(*rows, row_bytes)

    def _memmap(self):
        import numpy as np

        if not hasattr(self, "_mm"):
            self._mm = np.memmap(self.path, dtype=np.uint8, mode="r")
        return self._mm


def read_gguf(path: Path) -> GGUFFile:
    """Parse a GGUF header; UserError for a missing, damaged or truncated file, in the same words as
    chat and the model library (`inspect_gguf` checks the file first; its header walk is cached)."""
    from ilabdesk.models.gguf_file import inspect_gguf

    path = Path(path)
    inspect_gguf(path)  # a missing, damaged or truncated file: the same message as everywhere else
    try:
        with open(path, "rb") as fh:
            head = fh.read(24)
            _, n_tensors, n_kv = struct.unpack_from("<IQQ", head, 4)
            # The header is small (the vocabulary dominates): 64 MiB holds any model's.
            buf = head + fh.read(64 << 20)
    except OSError as exc:
        raise from_os_error(exc) from exc
    try:
        return _parse(path, memoryview(buf), n_tensors, n_kv)
    except (struct.error, IndexError, ValueError, OverflowError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: the GGUF header is damaged or truncated ({exc})") from exc


def _parse(path: Path, buf: memoryview, n_tensors: int, n_kv: int) -> GGUFFile:
    pos = 24

    def string() -> str:
        nonlocal pos
        (n,) = struct.unpack_from("<Q", buf, pos)
        pos += 8
        text = bytes(buf[pos : pos + n]).decode("utf-8", errors="surrogateescape")
        pos += n
        return text

    def scalar(vtype: int) -> Any:
        nonlocal pos
        if vtype == STRING:
            return string()
        fmt = _SCALAR[vtype]
        (value,) = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return value

    result = GGUFFile(path)
    for _ in range(n_kv):
        key = string()
        (vtype,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        if vtype == ARRAY:
            sub, count = struct.unpack_from("<IQ", buf, pos)
            pos += 12
            if sub in _SCALAR and sub != STRING:
                fmt = _SCALAR[sub]
                width = struct.calcsize(fmt)
                values = list(struct.unpack_from(f"<{count}{fmt[1]}", buf, pos))
                pos += width * count
            else:
                values = [scalar(sub) for _ in range(count)]
            result.fields[key] = Value(values, vtype, sub)
        else:
            result.fields[key] = Value(scalar(vtype), vtype)
    for _ in range(n_tensors):
        name = string()
        (n_dims,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        dims = struct.unpack_from(f"<{n_dims}Q", buf, pos)
        pos += 8 * n_dims
        ggml_type, offset = struct.unpack_from("<IQ", buf, pos)
        pos += 12
        result.tensors.append(TensorInfo(name, tuple(int(d) for d in reversed(dims)), ggml_type, offset))
    align_field = result.fields.get("general.alignment")
    align = int(align_field.value) if align_field else 32
    data_start = (pos + align - 1) // align * align
    for info in result.tensors:
        info.offset += data_start
    return result
