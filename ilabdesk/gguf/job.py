"""Job kind "convert": a finished training run -> adapter GGUF, fused F16 GGUF, quantized GGUF.

Args: {"run": run_dir, "quantize": "Q4_K_M" (default) | "Q8_0" | "Q5_K_M" | None, "output": file|None}.
`output` names the final model file (the quantized one, or the F16 one when
quantize is None); by default files go into the run folder as
`adapter.gguf`, `model-f16.gguf` and `model-<QUANT>.gguf`.

Each output is skipped when it is already newer than the adapter it comes
from, so re-running after a crash only redoes what is missing. Every file is
written under a temporary name, so a killed job never leaves a half-written
GGUF under a final name.
"""

from __future__ import annotations

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
    from ilabdesk.gguf.export import QUANT_TYPES, export_adapter, export_fused, quantize
    from ilabdesk.models.gguf_file import inspect_gguf
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
    base_gguf = info.get("base_gguf")
    if not base_gguf or not Path(base_gguf).is_file():
        raise UserError(
            f"{run_dir.root}: the run's base model is not a GGUF file ({base_gguf or info.get('base_hf')})",
            hint="GGUF export reuses the base GGUF's tokenizer and metadata: train from a GGUF base",
        )
    base_gguf = Path(base_gguf)
    adapter_dir = run_dir.adapter_dir
    weights = adapter_dir / "adapter_model.safetensors"
    if not weights.is_file():
        raise UserError(f"{adapter_dir}: the trained adapter is missing", hint="train again into this folder")
    for stale in run_dir.root.glob(".*.part"):  # temp files of a killed conversion
        stale.unlink(missing_ok=True)

    adapter_out = run_dir.root / "adapter.gguf"
    fused = run_dir.root / "model-f16.gguf"
    final = check_output_file(Path(args["output"])) if args.get("output") else None
    if qtype is None and final is not None:
        fused = final
    quantized = (final or run_dir.root / f"model-{qtype}.gguf") if qtype else None

    # (name, output, what it is made from, bytes it will take about, how to make it)
    parameters = inspect_gguf(base_gguf).parameter_count
    steps: list[tuple[str, Path, Path, int, Callable[[], Any]]] = [
        ("adapter", adapter_out, weights, weights.stat().st_size,
         lambda: export_adapter(adapter_dir, base_gguf, adapter_out)),
        ("fused", fused, weights, 2 * parameters,
         lambda: export_fused(Path(info["base_hf"]), adapter_dir, base_gguf, fused)),
    ]
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
