"""Job kind "convert": a finished training run -> adapter GGUF, fused F16 GGUF, quantized GGUF.

Args: {"run": run_dir, "quantize": "Q4_K_M" (default) | "Q8_0" | "Q5_K_M" | None, "output": file|None}.
`output` names the final model file (the quantized one, or the F16 one when
quantize is None); by default files go into the run folder as
`adapter.gguf`, `model-f16.gguf` and `model-<QUANT>.gguf`.

A run trained from a Hugging Face folder first gets its base as a GGUF
(`base-f16.gguf`, which the adapter loads on), and its fused model is the
folder with the LoRA merged in; both are converted by llama.cpp's own
converter (gguf.convert_hf).

Each output is skipped when it is already newer than the adapter it comes
from, so re-running after a crash only redoes what is missing. Every file is
written under a temporary name, so a killed job never leaves a half-written
GGUF under a final name.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError
from ilabdesk.fileio import check_free_space, check_output_file
from ilabdesk.jobs.events import Cancel, Event, ProgressTracker
from ilabdesk.locks import holding


def _fresh(output: Path, source: Path) -> bool:
    return output.is_file() and output.stat().st_mtime >= source.stat().st_mtime


@holding("run", "run folder", create=False)
def run(args: dict[str, Any], cancel: Cancel) -> Iterator[Event]:
    """The convert job (see the module docstring)."""
    from ilabdesk.chat.template import DEFAULT_TEMPLATE
    from ilabdesk.gguf.convert_hf import hf_folder_to_gguf
    from ilabdesk.gguf.export import QUANT_TYPES, export_adapter, export_fused, quantize
    from ilabdesk.models.gguf_file import inspect_gguf
    from ilabdesk.models.hf_folder import describe_hf_folder
    from ilabdesk.training.rundir import RunDir

    if not args.get("run"):
        raise UserError("the convert job needs 'run': a training run folder")
    run_dir = RunDir(Path(args["run"]).expanduser())
    info = run_dir.read_run()
    if not info or not info.get("complete"):
        raise UserError(f"{run_dir.root}: no finished training run here", hint="run `ilabdesk train` first")
    qtype = args.get("quantize", "Q4_K_M")
    if qtype is not None:
        qtype = str(qtype).upper()
        if qtype not in QUANT_TYPES:
            raise UserError(f"unknown quantization '{qtype}'", hint="choose one of " + ", ".join(QUANT_TYPES))
    adapter_dir = run_dir.adapter_dir
    weights = adapter_dir / "adapter_model.safetensors"
    if not weights.is_file():
        raise UserError(f"{adapter_dir}: the trained adapter is missing", hint="train again into this folder")
    for stale in run_dir.root.glob(".*.part"):  # temp files of a killed conversion
        stale.unlink(missing_ok=True)
    for stale in run_dir.root.glob(".merged-*"):
        shutil.rmtree(stale, ignore_errors=True)

    adapter_out = run_dir.root / "adapter.gguf"
    fused = run_dir.root / "model-f16.gguf"
    final = check_output_file(Path(args["output"])) if args.get("output") else None
    if qtype is None and final is not None:
        fused = final
    quantized = (final or run_dir.root / f"model-{qtype}.gguf") if qtype else None

    # (name, output, what it is made from, bytes it will take about, how to make it)
    steps: list[tuple[str, Path, Path, int, Callable[[], Any]]]
    base_hf = Path(info["base_hf"])
    if info.get("base_gguf"):
        base_gguf = Path(info["base_gguf"])
        if not base_gguf.is_file():
            raise UserError(f"{run_dir.root}: the run's base model {base_gguf} is gone",
                            hint="put the base GGUF back where it was, or train again")
        parameters = inspect_gguf(base_gguf).parameter_count
        steps = [("fused", fused, weights, 2 * parameters,
                  lambda: export_fused(base_hf, adapter_dir, base_gguf, fused))]
    else:  # trained from a Hugging Face folder
        if not (base_hf / "config.json").is_file():
            raise UserError(f"{run_dir.root}: the run's base model folder {base_hf} is gone",
                            hint="put the base folder back where it was, or train again")
        base_gguf = run_dir.root / "base-f16.gguf"
        facts = describe_hf_folder(base_hf)
        parameters = facts["parameters"]
        template = None if facts["chat_template"] else DEFAULT_TEMPLATE
        steps = [("base", base_gguf, base_hf / "config.json", 2 * parameters,
                  lambda: hf_folder_to_gguf(base_hf, base_gguf, "f16", template, cancel)),
                 ("fused", fused, weights, 4 * parameters,  # the merged folder, then the GGUF
                  lambda: _fused_from_folder(base_hf, adapter_dir, fused, template, cancel))]
    steps.insert(-1, ("adapter", adapter_out, weights, weights.stat().st_size,
                      lambda: export_adapter(adapter_dir, base_gguf, adapter_out)))
    if quantized is not None:
        steps.append(("quantize", quantized, fused, parameters // 2, lambda: quantize(fused, quantized, qtype)))
    tracker = ProgressTracker(len(steps), stage="convert")
    seconds: dict[str, float] = {}
    for name, output, source, size, make in steps:
        cancel.check()
        yield Event.begin(name, f"{name}: {output.name}")
        if _fresh(output, source):
            yield Event.log(f"{output} is up to date")
        else:
            check_free_space(output, size)
            started = time.monotonic()
            make()
            seconds[name] = round(time.monotonic() - started, 2)
            yield Event.artifact(output, name, f"wrote {output} in {seconds[name]} s")
        yield tracker.advance(1, name)
    result = {
        "adapter_gguf": str(adapter_out),
        "fused": str(fused),
        "quantized": str(quantized) if quantized else None,
        "model": str(quantized or fused),
        "base_gguf": str(base_gguf),
        "quantization": qtype,
        "seconds": seconds,
    }
    run_dir.write_run({**info, "gguf": result})
    yield Event.finished(f"model ready: {result['model']}", **result)


def _fused_from_folder(base: Path, adapter_dir: Path, out: Path, template: str | None, cancel: Cancel) -> None:
    """The base folder with the LoRA merged in, converted by llama.cpp's converter; the merged
    folder is temporary and sits beside `out`, on the disk that has room for the model."""
    import tempfile

    from ilabdesk.gguf.convert_hf import hf_folder_to_gguf, merged_folder

    with tempfile.TemporaryDirectory(prefix=".merged-", dir=out.parent) as staging:
        hf_folder_to_gguf(merged_folder(base, adapter_dir, Path(staging)), out, "f16", template, cancel)
