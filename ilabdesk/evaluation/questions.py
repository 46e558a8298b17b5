"""The questions an evaluation asks: the seed Q&A of a dataset, user-written (held-out) ones, general ones.

Every question becomes an `EvalItem` with a stable id, so answers can be
journaled and a re-run after a crash asks only what is missing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ilabdesk.errors import UserError
from ilabdesk.evaluation.scoring import Fact, key_facts

# The forgetting check: everyday questions a small instruct model answers, and the fact its answer
# must hold. None of them is among the replay prompts the student is trained on (sdg/prompts/replay.yaml).
GENERAL_QUESTIONS: list[tuple[str, Fact]] = [
    ("What is the capital of France?", "Paris"),
    ("What is 2 + 2?", "4"),
    ("What color is the sky on a clear day?", "blue"),
    ("How many days are there in a week?", "7"),
    ("What is the largest planet in our solar system?", "Jupiter"),
    ("What do bees make?", "honey"),
    ("What is frozen water called?", "ice"),
    ("How many legs does a spider have?", "8"),
    ("Who wrote Romeo and Juliet?", "Shakespeare"),
    ("What is the opposite of hot?", "cold"),
    ("What is the capital of Japan?", "Tokyo"),
    ("How many hours are in a day?", "24"),
    ("What is the capital of Spain?", "Madrid"),
    ("What is the capital of the United Kingdom?", "London"),
    ("What is the capital of Russia?", "Moscow"),
    ("What is the capital of China?", "Beijing"),
    ("What is the capital of Egypt?", "Cairo"),
    ("What is 3 + 5?", "8"),
    ("What is 10 minus 4?", "6"),
    ("How many days are in a year?", "365"),
    ("How many legs does a dog have?", "4"),
    ("How many sides does a triangle have?", "3"),
    ("What color is grass?", "green"),
    ("What color is a ripe banana?", "yellow"),
    ("Which animal says moo?", ["cow", "cows"]),
    ("What do cows produce that people drink?", "milk"),
    ("What is the largest animal on Earth?", "whale"),
    ("What is the tallest animal in the world?", ["giraffe", "giraffes"]),
    ("Which planet do we live on?", "Earth"),
    ("What star is at the centre of our solar system?", "Sun"),
    ("What is the natural satellite of the Earth called?", "Moon"),
    ("Who developed the theory of relativity?", "Einstein"),
    ("What is H2O commonly called?", "water"),
    ("What language is spoken in France?", "French"),
    ("What is the largest country in the world by area?", "Russia"),
    ("What is the opposite of up?", "down"),
    ("What is the opposite of day?", "night"),
    ("Which season comes after winter?", "spring"),
    ("What is the first month of the year?", "January"),
    ("How many seconds are in a minute?", "60"),
    ("What do you call a young dog?", ["puppy", "puppies"]),
    ("What organ pumps blood through the body?", "heart"),
    ("What gas do humans need to breathe to stay alive?", "oxygen"),
    ("What is the fastest land animal?", ["cheetah", "cheetahs"]),
    ("What do caterpillars turn into?", ["butterfly", "butterflies", "moth"]),
    ("In which country is the Eiffel Tower?", "France"),
    ("Which musical instrument has black and white keys?", "piano"),
    ("How many letters are in the English alphabet?", "26"),
]


@dataclass
class EvalItem:
    """One question to put to both models.

    source: "document" (document questions of the dataset, never trained on), "test" (seed knowledge Q&A,
    taught), "skill" (new inputs of a skill, never trained on), "skill_seed" (a skill's seed examples,
    taught), "user" (user-written), "choice" (multiple choice on document facts) or "general" (the
    forgetting check). A skill item carries the seed answers' `shape` (sdg.shape), its bare `task` and
    its `context`, which decide whether an answer is right.
    facts: what a correct answer must contain; options/answer_index for
    multiple choice.
    """

    source: str
    leaf: str
    question: str
    reference: str = ""
    facts: list[Fact] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    answer_index: int | None = None
    context: str = ""
    shape: dict[str, Any] | None = None
    task: str = ""  # a skill item's task without its context
    task_opening: str = ""  # the words every task of the skill opens with

    @property
    def id(self) -> str:
        key = json.dumps([self.source, self.leaf, self.question, self.options], sort_keys=True)
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **asdict(self)}


def _leaf_name_from_file(path: Path) -> str:
    return path.stem.removeprefix("test_")


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise UserError(f"{path}:{number}: not a JSON line ({exc})", hint="fix or delete that line") from exc
            if not isinstance(row, dict):
                raise UserError(f"{path}:{number}: expected a JSON object")
            rows.append((number, row))
    return rows


def _conversation(row: dict, where: str) -> tuple[str, str, str]:
    """(system, question, reference) from a `messages` row: the last user turn and the reply after it."""
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        raise UserError(f"{where}: the line has no 'messages' list")
    system = next((m.get("content", "") for m in messages if m.get("role") == "system"), "")
    user_index = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
    if user_index is None:
        raise UserError(f"{where}: the conversation has no user message")
    question = messages[user_index].get("content", "")
    reference = next((m.get("content", "") for m in messages[user_index + 1 :] if m.get("role") == "assistant"), "")
    return system, question, reference


def _facts_from(value: Any) -> list[Fact]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v if isinstance(v, str) else [str(x) for x in v] for v in value if v]
    return []


def load_test_items(data_dir: Path) -> list[EvalItem]:
    """The seed Q&A of an SDG dataset dir (`test_*.jsonl`): knowledge seeds are taught, skill seeds held out."""
    items: list[EvalItem] = []
    for path in sorted(Path(data_dir).glob("test_*.jsonl")):
        for number, row in _read_jsonl(path):
            _, question, reference = _conversation(row, f"{path}:{number}")
            meta = row.get("metadata") or {}
            leaf = str(meta.get("leaf") or _leaf_name_from_file(path))
            if str(meta.get("kind") or leaf).startswith(("knowledge", "test_knowledge")):
                facts = _facts_from(meta.get("facts")) or key_facts(reference, question)
                items.append(EvalItem("test", leaf, question, reference, facts))
            else:  # a skill's seeds: taught, scored by their shape and ROUGE-L
                items.append(EvalItem("skill_seed", leaf, question, reference, shape=meta.get("shape"),
                                      task=str(meta.get("question") or question), context=str(meta.get("context") or "")))
    return items


def load_document_items(data_dir: Path) -> list[EvalItem]:
    """What the dataset set aside, never trained on (`eval_*.jsonl`, see sdg.heldout): document questions,
    with a multiple-choice item for each that has same-kind options (the same question, its options, the
    fact the answer must name), and the new inputs of skill leaves."""
    from ilabdesk.evaluation.choice import choice_item

    items: list[EvalItem] = []
    for path in sorted(Path(data_dir).glob("eval_*.jsonl")):
        for number, row in _read_jsonl(path):
            _, question, reference = _conversation(row, f"{path}:{number}")
            meta = row.get("metadata") or {}
            leaf = str(meta.get("leaf") or path.stem.removeprefix("eval_"))
            if meta.get("kind") == "skill":
                items.append(EvalItem("skill", leaf, question, reference, shape=meta.get("shape"),
                                      task=str(meta.get("question") or question), context=str(meta.get("context") or ""),
                                      task_opening=str(meta.get("task_opening") or "")))
                continue
            facts = _facts_from(meta.get("facts")) or key_facts(reference, question)
            items.append(EvalItem("document", leaf, question, reference, facts, context=reference))
            if len(meta.get("options") or []) >= 3 and isinstance(facts[0], str):
                position = sum(1 for item in items if item.source == "choice")
                items.append(choice_item(leaf, question, facts[0], meta["options"], position, reference))
    return items


def dataset_system_prompt(data_dir: Path) -> str | None:
    """The system prompt the training samples carry, so evaluation asks the way training taught."""
    for path in sorted(Path(data_dir).glob("train_*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    try:
                        system, _, _ = _conversation(json.loads(line), str(path))
                    except (ValueError, UserError):
                        return None
                    return system or None
    return None


def load_user_items(path: Path) -> list[EvalItem]:
    """User-written questions: YAML `{leaf, questions: [{question, answer, facts}]}` or JSONL like test files."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such questions file")
    if path.suffix == ".jsonl":
        items = []
        for number, row in _read_jsonl(path):
            if "messages" in row:
                _, question, reference = _conversation(row, f"{path}:{number}")
            else:
                question, reference = str(row.get("question", "")), str(row.get("answer", ""))
            if not question:
                raise UserError(f"{path}:{number}: the line has no question")
            meta = row.get("metadata") or {}
            facts = _facts_from(row.get("facts") or meta.get("facts")) or key_facts(reference, question)
            items.append(EvalItem("user", str(row.get("leaf") or meta.get("leaf") or path.stem), question, reference, facts))
        return items
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{path}{where}: not valid YAML ({problem})", hint="fix the YAML at that line") from exc
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise UserError(f"{path}: expected a mapping with 'leaf' and a 'questions' list")
    leaf = str(data.get("leaf") or path.stem)
    items = []
    for index, entry in enumerate(data["questions"], 1):
        if not isinstance(entry, dict) or not entry.get("question"):
            raise UserError(f"{path}: question #{index} needs a 'question' key")
        reference = str(entry.get("answer", ""))
        facts = _facts_from(entry.get("facts")) or key_facts(reference, str(entry["question"]))
        if not facts:
            raise UserError(f"{path}: question #{index} needs 'facts' or an 'answer' with a checkable fact")
        items.append(EvalItem("user", str(entry.get("leaf") or leaf), str(entry["question"]), reference, facts))
    return items


def general_items() -> list[EvalItem]:
    """The forgetting check's questions."""
    return [EvalItem("general", "general", q, f if isinstance(f, str) else f[0], [f]) for q, f in GENERAL_QUESTIONS]
