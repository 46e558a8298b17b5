"""`ilabdesk evaluate`: compare a base and a tuned model on held-out, user, document and general questions."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "evaluate",
        help="compare a base and a tuned model, and write a report",
        description="Ask a base and a tuned model the held-out questions of a dataset (test_*.jsonl), your own "
        "questions and multiple-choice questions built from documents; check the tuned model did not forget "
        "general knowledge; write report.json, report.md and chart.png. Re-running resumes.",
    )
    parser.add_argument("--base", metavar="MODEL", help="base model: library name, GGUF path or URL (default: the embedded model)")
    parser.add_argument("--base-adapter", metavar="FILE", help="a GGUF LoRA adapter on the base (rare)")
    parser.add_argument("--tuned", metavar="MODEL", help="tuned model (default: the base, with --adapter)")
    parser.add_argument("--adapter", metavar="FILE", help="GGUF LoRA adapter for the tuned side")
    parser.add_argument("--data", metavar="DIR", help="dataset folder from ilabdesk generate (its test_*.jsonl are asked)")
    parser.add_argument("--questions", metavar="FILE", action="append",
                        help="your questions: YAML {leaf, questions: [{question, answer, facts}]} or JSONL (repeatable)")
    parser.add_argument("--document", metavar="FILE", action="append",
                        help="a Markdown/text/PDF document to build multiple-choice questions from (repeatable)")
    parser.add_argument("--judge", metavar="MODEL", help="model that rates answers 1-10 ('default' = embedded model)")
    parser.add_argument("--judge-limit", type=int, default=20, metavar="N", help="questions the judge rates (default 20)")
    parser.add_argument("--no-general", action="store_true", help="skip the regression check on general questions")
    parser.add_argument("--max-tokens", type=int, default=64, metavar="N", help="answer length limit (default 64)")
    parser.add_argument("--output", "-o", required=True, metavar="DIR", help="folder for the report")
    parser.add_argument("--json", action="store_true", help="print JSON-line events instead of a progress bar")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ilabdesk.errors import UserError
    from ilabdesk.jobs.console import run_in_terminal

    if not args.tuned and not args.adapter:
        raise UserError("nothing to compare against the base", hint="pass --tuned MODEL and/or --adapter FILE")

    def local(value: str | None) -> str | None:
        """Paths given on the command line are made absolute; names and URLs pass through."""
        return str(Path(value).resolve()) if value and Path(value).exists() else value

    job_args = {
        "base": local(args.base),
        "base_adapter": local(args.base_adapter),
        "tuned": local(args.tuned),
        "adapter": local(args.adapter),
        "data": local(args.data),
        "questions": [local(q) for q in args.questions or []],
        "documents": [{"leaf": Path(d).stem, "path": local(d)} for d in args.document or []],
        "judge": local(args.judge),
        "judge_limit": args.judge_limit,
        "general": not args.no_general,
        "max_tokens": args.max_tokens,
        "output": str(Path(args.output).resolve()),
    }
    return run_in_terminal("evaluate", job_args, json_lines=args.json)
