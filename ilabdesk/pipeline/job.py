"""Job kind "pipeline": the whole loop for some taxonomy leaves, resumable stage by stage.

Args (JSON):
    taxonomy    the taxonomy checkout
    output      the pipeline folder: dataset/, train/ (run dir with the GGUF files),
                evaluation/, report.json and .stages/ (markers)
    leaves      qna.yaml paths or leaf dirs (default: leaves changed against `taxonomy_base`)
    taxonomy_base  git ref for "changed" (default: the config's taxonomy.base)
    base        base model (default: the embedded SmolLM2-135M-Instruct)
    teacher     SDG teacher (default: the configured teacher, else the embedded model)
    judge       evaluation judge: "teacher" (default), a model, or "none"
    quantize    quantization of the fused GGUF (default Q4_K_M)
    questions   extra user-written question files for the evaluation
    generate / train / evaluate   extra args passed to those jobs (override the defaults below)

Each stage calls the job kind of its owner through the registry and forwards
its events with `stage` set; after a stage completes, a marker is written
(see `markers`), so a re-run skips finished stages and the unfinished one
resumes from its own journal or checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_write_text
from ilabdesk.jobs.events import Cancel, Cancelled, Event
from ilabdesk.pipeline.markers import Markers, files_fingerprint, fingerprint

STAGES = ("validate", "generate", "train", "export", "evaluate")
DEFAULT_QUANT = "Q4_K_M"

# Defaults that keep `ilabdesk run` on the embedded 135M model within minutes on a laptop CPU.
# Each can be overridden per run through the generate/train/evaluate args.
GENERATE_DEFAULTS: dict[str, Any] = {}
TRAIN_DEFAULTS: dict[str, Any] = {}
EVALUATE_DEFAULTS: dict[str, Any] = {"judge_limit": 10, "choice_limit": 10}


def forward(stage: str, events: Iterator[Event], result: dict[str, Any]) -> Iterator[Event]:
    """Re-emit a sub-job's events under `stage`; keep its done data in `result`, turn its error into ours."""
    for event in events:
        if event.type == "done":
            result.update(event.data)
            yield Event.log(f"{stage}: {event.message}")
            continue
        if event.type == "error":
            if event.data.get("cancelled"):
                raise Cancelled(event.message)
            raise UserError(f"the {stage} stage failed: {event.message}")
        if event.type == "stage" and event.stage != stage:
            event.message = f"{stage}: {event.message or event.stage}"
        event.stage = stage
        yield event


def select_leaves(taxonomy: Path, leaves: list[str] | None, base: str) -> list[Path]:
    """qna.yaml files to run on: the ones named (relative to the taxonomy or absolute), else the changed ones."""
    from ilabdesk.taxonomy.leaf import qna_file

    if leaves:
        selected = []
        for leaf in leaves:
            path = Path(leaf)
            if not path.is_absolute() and not path.exists():
                path = taxonomy / path
            selected.append(qna_file(path).resolve())
        return selected
    from ilabdesk.taxonomy.diff import changed_leaves

    found = [Path(p).resolve() for p in changed_leaves(taxonomy, base)]
    if not found:
        raise UserError(
            f"{taxonomy}: no leaf changed against {base}",
            hint="edit or add a leaf, or pass --leaf PATH for the leaves to teach",
        )
    return found


def validate_leaves(qnas: list[Path]) -> Iterator[Event]:
    """Validate each leaf as `ilab taxonomy diff` would; all errors at once, then stop."""
    from ilabdesk.taxonomy.validate import validate_file

    errors: list[str] = []
    for qna in qnas:
        report = validate_file(qna)
        for warning in report.warnings:
            yield Event.log(f"warning: {warning}")
        errors += report.errors
        yield Event.log(f"{'ok' if report.ok else 'invalid'}: {qna}")
    if errors:
        raise UserError(
            f"{len(errors)} problem(s) in the leaves:\n  " + "\n  ".join(errors),
            hint="fix them (ilabdesk taxonomy validate shows them too), then run again",
        )


def leaf_documents(qnas: list[Path]) -> list[dict[str, str]]:
    """The knowledge leaves' documents: when one changes, generation runs again."""
    from ilabdesk.taxonomy.documents import resolve_documents
    from ilabdesk.taxonomy.leaf import load_leaf

    documents = []
    for qna in qnas:
        leaf = load_leaf(qna)
        if leaf.kind != "knowledge":
            continue
        for path in resolve_documents(leaf):
            documents.append({"leaf": leaf.rel, "path": str(path)})
    return documents


def _tuned_files(run_dir: Path, quantize: str, data: dict[str, Any]) -> tuple[Path, Path]:
    """(adapter GGUF, fused quantized GGUF) after the export stage."""
    adapter = Path(data.get("adapter_gguf") or run_dir / "adapter.gguf")
    fused = Path(data.get("quantized") or run_dir / f"model-{quantize}.gguf")
    for path in (adapter, fused):
        if not path.is_file():
            raise UserError(f"the export stage finished but {path} is missing", hint="run again; the export is redone")
    return adapter, fused


def run(args: dict[str, Any], cancel: Cancel) -> Iterator[Event]:
    """The pipeline job (see the module docstring)."""
    from ilabdesk.jobs.registry import resolve
    from ilabdesk.settings import load_config

    if not args.get("taxonomy") or not args.get("output"):
        raise UserError("the pipeline needs a taxonomy and an output folder", hint="pass --taxonomy DIR --output DIR")
    taxonomy = Path(args["taxonomy"]).expanduser().resolve()
    if not taxonomy.is_dir():
        raise UserError(f"{taxonomy}: no such taxonomy folder")
    output = Path(args["output"]).expanduser().resolve()
    output.mkdir(parents=True, exist_ok=True)
    config = load_config()
    base = args.get("base")
    teacher = args.get("teacher")
    quantize = args.get("quantize") or DEFAULT_QUANT
    markers = Markers(output)
    dataset_dir, run_dir, eval_dir = output / "dataset", output / "train", output / "evaluation"
    seconds: dict[str, float] = {}
    results: dict[str, dict[str, Any]] = {}
    previous = ""

    def stage_run(stage: str, inputs: Any, body, outputs=lambda result: []) -> Iterator[Event]:
        """Run `body(result)` unless a marker for these inputs exists and the `outputs(result)` it made
        are still there; then write the marker."""
        nonlocal previous
        index = STAGES.index(stage) + 1
        print_ = fingerprint(previous, inputs)
        previous = print_
        marker = markers.complete(stage, print_)
        if marker and all(Path(p).exists() for p in outputs(marker["result"])):
            seconds[stage] = marker["seconds"]
            results[stage] = marker["result"]
            yield Event("stage", f"stage {index}/{len(STAGES)}: {stage} (already done, skipped)", stage=stage,
                        data={"stages": list(STAGES), "skipped": True})
            return
        if markers.read(stage):  # inputs changed or outputs deleted: this stage and every later one start over
            for later in STAGES[STAGES.index(stage) :]:
                markers.clear(later)
        cancel.check()
        yield Event("stage", f"stage {index}/{len(STAGES)}: {stage}", stage=stage, data={"stages": list(STAGES)})
        started = time.monotonic()
        result: dict[str, Any] = {}
        yield from body(result)
        elapsed = time.monotonic() - started
        markers.write(stage, print_, elapsed, result)
        seconds[stage] = round(elapsed, 1)
        results[stage] = result

    # 1. validate ---------------------------------------------------------------
    qnas = select_leaves(taxonomy, args.get("leaves"), args.get("taxonomy_base") or config["taxonomy"]["base"])

    def validate(result: dict[str, Any]) -> Iterator[Event]:
        yield from validate_leaves(qnas)
        result["leaves"] = [str(q) for q in qnas]
        result["documents"] = leaf_documents(qnas)

    yield from stage_run("validate", [str(taxonomy), files_fingerprint(qnas)], validate)
    documents = results["validate"]["documents"]

    # 2. generate ---------------------------------------------------------------
    generate_args = {
        **GENERATE_DEFAULTS,
        "taxonomy": str(taxonomy),
        "leaves": [str(q) for q in qnas],
        "teacher": teacher,
        "student": base,
        "output": str(dataset_dir),
        **(args.get("generate") or {}),
    }

    def generate(result: dict[str, Any]) -> Iterator[Event]:
        yield from forward("generate", resolve("generate")(generate_args, cancel), result)

    yield from stage_run("generate", [generate_args, files_fingerprint([Path(d["path"]) for d in documents])], generate,
                         lambda result: [dataset_dir])

    # 3. train ----------------------------------------------------------------
    train_args = {**TRAIN_DEFAULTS, "data": str(dataset_dir), "output": str(run_dir), "base": base, **(args.get("train") or {})}

    def train(result: dict[str, Any]) -> Iterator[Event]:
        yield from forward("train", resolve("train")(train_args, cancel), result)

    yield from stage_run("train", train_args, train, lambda result: [run_dir])

    # 4. export ---------------------------------------------------------------
    export_args = {"run": str(run_dir), "quantize": quantize, "output": None}

    def export(result: dict[str, Any]) -> Iterator[Event]:
        yield from forward("export", resolve("convert")(export_args, cancel), result)
        adapter, fused = _tuned_files(run_dir, quantize, result)
        result["adapter_gguf"], result["quantized"] = str(adapter), str(fused)

    yield from stage_run("export", export_args, export, lambda result: [result["adapter_gguf"], result["quantized"]])
    adapter_gguf, tuned_gguf = results["export"]["adapter_gguf"], results["export"]["quantized"]
    # the base as llama.cpp runs it: a folder base's GGUF comes from the export
    base_model = results["train"].get("base_gguf") or results["export"].get("base_gguf") or base or _default_model()

    # 5. evaluate -------------------------------------------------------------
    judge = args.get("judge") or "teacher"
    evaluate_args = {
        **EVALUATE_DEFAULTS,
        "base": base_model,
        "tuned": tuned_gguf,
        "data": str(dataset_dir),
        "questions": list(args.get("questions") or []),
        "judge": (teacher or "default") if judge == "teacher" else judge,
        "output": str(eval_dir),
        **(args.get("evaluate") or {}),
    }

    def evaluate(result: dict[str, Any]) -> Iterator[Event]:
        yield from forward("evaluate", resolve("evaluate")(evaluate_args, cancel), result)

    questions_print = files_fingerprint([Path(q) for q in evaluate_args["questions"]])
    yield from stage_run("evaluate", [evaluate_args, questions_print], evaluate)

    evaluation = results["evaluate"]
    report = {
        "output": str(output),
        "taxonomy": str(taxonomy),
        "leaves": results["validate"]["leaves"],
        "base_model": str(base_model),
        "tuned_model": str(tuned_gguf),
        "adapter": str(adapter_gguf),
        "dataset": str(dataset_dir),
        "run": str(run_dir),
        "stages": seconds,
        "total_seconds": round(sum(seconds.values()), 1),
        "evaluation": {
            "headline": evaluation.get("headline"),
            "summary": evaluation.get("summary"),
            "forgetting": evaluation.get("forgetting"),
            "judge": evaluation.get("judge"),
            "leaves": evaluation.get("leaves"),
            "report": evaluation.get("report"),
            "markdown": evaluation.get("markdown"),
        },
    }
    import json

    atomic_write_text(output / "report.json", json.dumps(report, indent=2, default=str))
    yield Event.artifact(output / "report.json", "pipeline-report")
    timing = ", ".join(f"{name} {secs:.0f}s" for name, secs in seconds.items())
    yield Event.finished(f"pipeline complete ({timing}); tuned model: {tuned_gguf}", **report)


def _default_model() -> str:
    from ilabdesk.models.default import default_model_path

    return str(default_model_path())
