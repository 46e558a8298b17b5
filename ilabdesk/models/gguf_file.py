"""Read and check GGUF files with gguf-py before llama.cpp ever sees them.

llama.cpp answers a damaged file or a mismatched LoRA adapter with a C-level
log line and a bare exception (or, for some damage, an abort that takes the
whole process down). Reading the header, metadata and tensor table in Python
first turns every such case into a `UserError` that names the file and says
what to do, and gives the model library its facts (architecture, size,
quantization, context length, chat template) for free.
"""

from __future__ import annotations

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
    quantization: str
    context_length: int | None
    embedding_length: int | None
    chat_template: str | None
    adapter_alpha: float | None = None
    # tensor name -> shape in ggml order (ne[0] = the row length)
    tensor_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

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


def _field_value(reader: Any, key: str) -> Any:
    field_ = reader.get_field(key)
    if field_ is None:
        return None
    return field_.contents()


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
    import gguf

    try:
        reader = gguf.GGUFReader(path)
        tensors = list(reader.tensors)
    except Exception as exc:  # gguf-py raises ValueError/IndexError/... on damaged headers
        raise UserError(
            f"{path}: the GGUF {what} file is damaged or incomplete ({exc})",
            hint="download or export the file again; an interrupted copy leaves a truncated file",
        ) from exc

    end = max((t.data_offset + int(t.n_bytes) for t in tensors), default=0)
    if end > size:
        raise UserError(
            f"{path}: the GGUF {what} file is truncated ({size} bytes, its tensors need {end})",
            hint="download or export the file again; an interrupted copy leaves a truncated file",
        )

    kind = _field_value(reader, "general.type") or "model"
    architecture = _field_value(reader, "general.architecture")
    if not architecture:
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
    if kind == "adapter" and _field_value(reader, "adapter.type") != "lora":
        raise UserError(f"{path}: adapter type {_field_value(reader, 'adapter.type')!r} is not supported; only LoRA is")

    file_type = _field_value(reader, "general.file_type")
    quantization = _quantization_name(gguf, file_type, tensors)
    return GGUFInfo(
        path=path,
        kind=kind,
        architecture=str(architecture),
        name=_field_value(reader, "general.name"),
        parameter_count=sum(int(t.n_elements) for t in tensors),
        quantization=quantization,
        context_length=_field_value(reader, f"{architecture}.context_length"),
        embedding_length=_field_value(reader, f"{architecture}.embedding_length"),
        chat_template=_field_value(reader, "tokenizer.chat_template"),
        adapter_alpha=_field_value(reader, "adapter.lora.alpha"),
        tensor_shapes={t.name: tuple(int(d) for d in t.shape) for t in tensors},
    )


def _quantization_name(gguf: Any, file_type: int | None, tensors: list[Any]) -> str:
    """general.file_type as llama.cpp names it (Q4_K_M, F16, ...); else the commonest tensor type."""
    if file_type is not None:
        try:
            name = gguf.LlamaFileType(file_type).name
        except ValueError:
            name = ""
        if name:
            return name.removeprefix("MOSTLY_").replace("ALL_", "")
    counts: dict[str, int] = {}
    for tensor in tensors:
        counts[tensor.tensor_type.name] = counts.get(tensor.tensor_type.name, 0) + int(tensor.n_elements)
    return max(counts, key=counts.get) if counts else "unknown"


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
