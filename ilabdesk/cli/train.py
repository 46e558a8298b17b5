"""`ilabdesk train`: LoRA-train a base model on an SDG dataset folder (job kind "train")."""

from __future__ import annotations

import argparse

from ilabdesk.training.config import PRECISIONS


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="train a LoRA adapter on a generated dataset")
    parser.add_argument("--data", required=True, help="dataset folder (train_*.jsonl, recipe.yaml)")
    parser.add_argument("--output", required=True, help="run folder (re-run the same command to resume)")
    parser.add_argument("--base", help="base model: library name, .gguf file or HF folder (default: the configured one)")
    parser.add_argument("--backend", choices=("auto", "torch", "mlx"), help="training engine (default: auto)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--iters", type=int, help="optimizer steps in total")
    length.add_argument("--epochs", type=float, help="passes over the data (default 3)")
    parser.add_argument("--rank", type=int, help="LoRA rank")
    parser.add_argument("--alpha", type=float, help="LoRA alpha (scale = alpha / rank)")
    parser.add_argument("--lr", type=float, dest="learning_rate", help="peak learning rate")
    parser.add_argument("--batch-size", type=int, help="conversations per step")
    parser.add_argument("--max-seq-len", type=int, help="longest conversation in tokens (longer ones are cut)")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="number format of the frozen base (default auto: bf16 where the processor has it)")
    parser.add_argument("--seed", type=int, help="random seed (same seed + data + settings = same run)")
    parser.add_argument("--json", action="store_true", help="print raw JSON-line events")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ilabdesk.jobs.console import run_in_terminal

    keys = ("data", "output", "base", "backend", "iters", "epochs", "rank", "alpha", "learning_rate",
            "batch_size", "max_seq_len", "precision", "seed")
    job_args = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    return run_in_terminal("train", job_args, json_lines=args.json)
