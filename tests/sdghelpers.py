"""A small knowledge leaf with a git-tracked document, for the SDG tests (imported by plain name)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from ilabdesk.jobs.events import Event

DOC = """# The Orlin Lighthouse

The Orlin lighthouse stands on the northern cape of Semmet island. It was built in 1871 by the harbor guild of Semmet.
The lamp of the Orlin lighthouse burns kelp oil and can be seen from 31 kilometers away.
Ada Voss was the keeper of the Orlin lighthouse for 40 years.
"""

SEEDS = [
    {"context": "The Orlin lighthouse was built in 1871 by the harbor guild of Semmet.",
     "questions_and_answers": [{"question": "Who built the Orlin lighthouse?",
                                "answer": "The harbor guild of Semmet built the Orlin lighthouse."}]},
    {"context": "Ada Voss was the keeper of the Orlin lighthouse for 40 years.",
     "questions_and_answers": [{"question": "Who kept the Orlin lighthouse?",
                                "answer": "Ada Voss kept the Orlin lighthouse for 40 years."}]},
]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


def make_leaf(root: Path, doc: str = DOC, seeds: list | None = None) -> Path:
    repo = root / "docs"
    repo.mkdir(parents=True)
    (repo / "lighthouse.md").write_text(doc, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "doc")
    leaf = root / "taxonomy" / "knowledge" / "maritime" / "orlin"
    leaf.mkdir(parents=True)
    data = {"version": 3, "domain": "maritime", "created_by": "t", "document_outline": "Orlin lighthouse",
            "seed_examples": seeds or SEEDS,
            "document": {"repo": str(repo), "commit": git(repo, "rev-parse", "HEAD"), "patterns": ["*.md"]}}
    (leaf / "qna.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return leaf / "qna.yaml"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_generate(leaf: Path, output: Path, engine, **options) -> list[Event]:
    from ilabdesk.sdg.generate import generate

    options.setdefault("samples_per_seed", 1)
    options.setdefault("paraphrases", 0)
    options.setdefault("questions_per_answer", 1)
    options.setdefault("seed_paraphrases", 1)
    options.setdefault("questions_per_fact", 2)
    options.setdefault("retries", 1)
    options.setdefault("document_questions", 3)
    options.setdefault("replay", 0)
    return list(generate([leaf], output, engine=engine, **options))
