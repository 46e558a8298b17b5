"""`ilabdesk convert RUN_DIR`: adapter GGUF, fused GGUF and a quantized GGUF (job kind "convert")."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("convert", help="export a trained run as GGUF (adapter, fused, quantized)")
    parser.add_argument("run", help="training run folder")
    parser.add_argument("--quantize", default="Q4_K_M", help="Q4_K_M (default), Q5_K_M, Q8_0, or 'none' for F16 only")
    parser.add_argument("--output", help="path of the final model file (default: inside the run folder)")
    parser.add_argument("--json", action="store_true", help="print raw JSON-line events")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ilabdesk.jobs.console import run_in_terminal

    quant = None if args.quantize.lower() in ("none", "f16", "") else args.quantize
    job_args = {"run": args.run, "quantize": quant}
    if args.output:
        job_args["output"] = args.output
    return run_in_terminal("convert", job_args, json_lines=args.json)
