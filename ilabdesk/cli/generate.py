"""`ilabdesk generate`: synthetic training data from taxonomy leaves (like `ilab data generate`)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "generate",
        help="generate synthetic training data from taxonomy leaves with a teacher model",
        description="Generate a training dataset from the changed leaves of a taxonomy (or the leaves named "
        "with --leaf). Re-running the same command after an interruption resumes it.",
    )
    parser.add_argument("--taxonomy", metavar="DIR", help="taxonomy checkout (default: the configured one)")
    parser.add_argument("--leaf", metavar="PATH", action="append", help="a leaf folder or qna.yaml (repeatable)")
    parser.add_argument("--base", metavar="REF", help="git ref the changed leaves are found against "
                        "(default: the configured base, origin/main; 'empty' = every leaf)")
    parser.add_argument("--teacher", metavar="MODEL|URL", help="teacher model: library name, GGUF path or "
                        "OpenAI-compatible URL (URL#model); default: the embedded model")
    parser.add_argument("--samples-per-seed", type=int, default=10, metavar="N",
                        help="skills: new examples the teacher writes per seed example (default 10)")
    parser.add_argument("--paraphrases", type=int, default=2, metavar="N",
                        help="rewordings of each knowledge question, each with its own seed (default 2)")
    parser.add_argument("--seed-paraphrases", type=int, default=2, metavar="N",
                        help="rewordings of each seed question, answered with the seed's answer (default 2)")
    parser.add_argument("--replay", type=int, default=300, metavar="N",
                        help="everyday prompts the student answers itself, trained on alongside the leaves so "
                        "it keeps what it knew (default 300, all of the bundled ones; knowledge phases replay all, skill "
                        "phases the first 100; 0 = none)")
    parser.add_argument("--student", metavar="MODEL", help="the model that will be trained, for the replay data "
                        "(default: the configured default model)")
    parser.add_argument("--questions-per-answer", type=int, default=2, metavar="N",
                        help="knowledge questions asked for each answer sentence, with different seeds (default 2)")
    parser.add_argument("--questions-per-fact", type=int, default=4, metavar="N",
                        help="differently worded questions kept for every fact-bearing sentence of the documents; "
                        "short ones are retried, then get questions made from the sentence (default 4)")
    parser.add_argument("--retries", type=int, default=2, metavar="N",
                        help="extra teacher rounds for sentences that have too few questions (default 2)")
    parser.add_argument("--document-questions", type=int, default=20, metavar="N",
                        help="document questions per knowledge leaf set aside for the evaluation, never trained "
                        "on (default 20; 0 = none)")
    parser.add_argument("--skill-inputs", type=int, default=10, metavar="N",
                        help="new inputs per skill leaf set aside for the evaluation, never trained on "
                        "(default 10; 0 = none)")
    parser.add_argument("--judge", action=argparse.BooleanOptionalAction, default=None,
                        help="let the teacher judge each pair (default: on, except with the embedded 135M teacher, "
                        "whose verdicts are noise; grounding checks always run)")
    parser.add_argument("--answer-mode", choices=("auto", "extractive", "free"), default="auto",
                        help="knowledge answers: copied from the document (extractive, for small teachers) or "
                        "written by the teacher and checked against it (free); auto picks by teacher")
    parser.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same data")
    parser.add_argument("--chunk-tokens", type=int, default=500, metavar="N", help="document chunk size in teacher tokens")
    parser.add_argument("--output", "-o", required=True, metavar="DIR", help="dataset folder to write (or resume)")
    parser.add_argument("--json", action="store_true", help="print JSON-line events instead of a progress bar")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ilabdesk.jobs.console import run_in_terminal
    from ilabdesk.settings import load_config

    config = load_config()
    taxonomy = args.taxonomy or config["taxonomy"]["path"]
    job_args = {
        "taxonomy": str(Path(taxonomy).resolve()) if taxonomy else None,
        # a leaf path that is not found here is looked up inside the taxonomy by the job
        "leaves": [str(Path(p).resolve()) if Path(p).exists() else p for p in args.leaf] if args.leaf else None,
        "base": args.base or config["taxonomy"]["base"],
        "teacher": args.teacher,
        "output": str(Path(args.output).resolve()),
        "samples_per_seed": args.samples_per_seed,
        "paraphrases": args.paraphrases,
        "seed_paraphrases": args.seed_paraphrases,
        "questions_per_answer": args.questions_per_answer,
        "questions_per_fact": args.questions_per_fact,
        "retries": args.retries,
        "document_questions": args.document_questions,
        "skill_inputs": args.skill_inputs,
        "replay": args.replay,
        "student": args.student,
        "judge": args.judge,
        "answer_mode": args.answer_mode,
        "seed": args.seed,
        "chunk_tokens": args.chunk_tokens,
    }
    return run_in_terminal("generate", job_args, json_lines=args.json)
