"""`ilabdesk run`: the whole loop for some leaves in one resumable command."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run",
        help="validate, generate, train, export and evaluate in one resumable job",
        description="Teach the base model the changed leaves of a taxonomy (or the leaves named with --leaf): "
        "validate them, generate synthetic data, train a LoRA, export it as a GGUF adapter and a fused "
        "quantized GGUF, and compare base and tuned. Finished stages are skipped when you run it again, "
        "so an interrupted run continues. Try it: ilabdesk run --sample --output DIR",
    )
    parser.add_argument("--taxonomy", metavar="DIR", help="taxonomy checkout (default: the configured one)")
    parser.add_argument("--sample", action="store_true",
                        help="use the bundled sample taxonomy (installed under OUTPUT/sample on first use)")
    parser.add_argument("--leaf", metavar="PATH", action="append", help="a leaf folder or qna.yaml (repeatable)")
    parser.add_argument("--taxonomy-base", metavar="REF", help="git ref the changed leaves are found against "
                        "(default: the configured base, origin/main; 'empty' = every leaf)")
    parser.add_argument("--base", metavar="MODEL", help="model to tune (default: the embedded SmolLM2-135M-Instruct)")
    parser.add_argument("--teacher", metavar="MODEL|URL", help="SDG teacher (default: the configured teacher)")
    parser.add_argument("--judge", metavar="MODEL", help="evaluation judge: 'teacher' (default), a model, or 'none'")
    parser.add_argument("--quantize", default="Q4_K_M", choices=("Q4_K_M", "Q5_K_M", "Q8_0"),
                        help="quantization of the fused model (default Q4_K_M)")
    parser.add_argument("--questions", metavar="FILE", action="append",
                        help="your own held-out questions for the evaluation (YAML or JSONL; repeatable)")
    parser.add_argument("--output", "-o", required=True, metavar="DIR", help="pipeline folder to write (or resume)")
    parser.add_argument("--json", action="store_true", help="print JSON-line events instead of a progress bar")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ilabdesk.errors import UserError
    from ilabdesk.jobs.console import run_in_terminal
    from ilabdesk.settings import load_config

    output = Path(args.output).resolve()
    questions = [str(Path(q).resolve()) for q in args.questions or []]
    if args.sample:
        from ilabdesk.bundle import resource_path
        from ilabdesk.pipeline.sample import install_sample

        taxonomy = install_sample(output / "sample")
        questions.append(str(resource_path("sample", "heldout.yaml")))
    else:
        taxonomy = args.taxonomy or load_config()["taxonomy"]["path"]
        if not taxonomy:
            raise UserError("no taxonomy given", hint="pass --taxonomy DIR, or --sample to try the bundled one")
    leaves = [str(Path(p).resolve()) if Path(p).exists() else p for p in args.leaf or []]
    job_args = {
        "taxonomy": str(Path(taxonomy).resolve()),
        "output": str(output),
        "leaves": leaves or None,
        "taxonomy_base": args.taxonomy_base,
        "base": args.base,
        "teacher": args.teacher,
        "judge": args.judge,
        "quantize": args.quantize,
        "questions": questions,
    }
    return run_in_terminal("pipeline", job_args, json_lines=args.json)
