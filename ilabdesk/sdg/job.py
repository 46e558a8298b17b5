"""The "generate" job: SDG for taxonomy leaves into a dataset folder, resumable.

Args (JSON): {"taxonomy": dir, "leaves": [qna paths or leaf dirs] | None (changed leaves),
"base": git ref ("origin/main"; "empty" = all leaves), "teacher": model | URL | None,
"output": dir, "samples_per_seed": N, "paraphrases": N, "seed_paraphrases": N, "questions_per_answer": N,
"questions_per_fact": N, "retries": N, "document_questions": N (per knowledge leaf, for the evaluation),
"skill_inputs": N (held-out inputs per skill leaf, for the evaluation),
"replay": N (everyday prompts the student answers; 0 = none), "student": model to be trained | None (default),
"judge": bool | None (auto),
"answer_mode": "auto" | "extractive" | "free", "seed": N, "chunk_tokens": N}.
Re-running the same args after a crash continues where it stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError
from ilabdesk.jobs.events import Cancel, Event


def select_leaves(taxonomy: str | None, leaves: list[str] | None, base: str) -> list[Path]:
    """The qna.yaml files to work on: the ones named, else those changed against `base`."""
    from ilabdesk.taxonomy.leaf import qna_file

    if leaves:
        out = []
        for leaf in leaves:
            path = Path(leaf)
            if not path.is_absolute() and taxonomy and not path.exists():
                path = Path(taxonomy) / path
            out.append(qna_file(path))
        return out
    if not taxonomy:
        raise UserError("no taxonomy given", hint="pass --taxonomy DIR (and optionally --leaf PATH)")
    from ilabdesk.taxonomy.diff import changed_leaves

    found = changed_leaves(Path(taxonomy), base)
    if not found:
        raise UserError(
            f"{taxonomy}: no leaf changed against {base}",
            hint="edit a leaf, pass --leaf PATH, or use --base empty to take every leaf",
        )
    return [Path(p) for p in found]


def configured_teacher() -> str | None:
    """The teacher from the config (`teacher.kind`): None for embedded, a GGUF path, or "URL#model"."""
    from ilabdesk.settings import load_config

    teacher = load_config()["teacher"]
    if teacher["kind"] == "gguf" and teacher["model"]:
        return teacher["model"]
    if teacher["kind"] == "endpoint" and teacher["url"]:
        return teacher["url"] + (f"#{teacher['endpoint_model']}" if teacher["endpoint_model"] else "")
    return None


def run(args: dict[str, Any], cancel: Cancel) -> Iterator[Event]:
    from ilabdesk.sdg.generate import generate

    if not args.get("output"):
        raise UserError("no output folder given", hint="pass --output DIR")
    leaves = select_leaves(args.get("taxonomy"), args.get("leaves"), args.get("base") or "origin/main")
    yield Event.log(f"{len(leaves)} {'leaf' if len(leaves) == 1 else 'leaves'}: " + ", ".join(str(p.parent.name) for p in leaves))
    yield from generate(
        leaves,
        Path(args["output"]),
        teacher=args.get("teacher") or configured_teacher(),
        samples_per_seed=int(args.get("samples_per_seed") or 10),
        paraphrases=int(args.get("paraphrases", 2)),
        seed_paraphrases=int(args.get("seed_paraphrases", 2)),
        questions_per_answer=int(args.get("questions_per_answer") or 2),
        questions_per_fact=int(args.get("questions_per_fact") or 4),
        retries=int(args.get("retries", 2)),
        document_questions=int(args.get("document_questions", 20)),
        skill_inputs=int(args.get("skill_inputs", 10)),
        replay=int(args.get("replay", 300)),
        student=args.get("student"),
        judge=args.get("judge"),
        answer_mode=args.get("answer_mode") or "auto",
        seed=int(args.get("seed", 42)),
        chunk_tokens=int(args.get("chunk_tokens") or 500),
        cancel=cancel,
    )
