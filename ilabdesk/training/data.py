"""From an SDG dataset folder to token batches: phases, weights, assistant-only labels, the step plan.

A sample becomes `input_ids` plus `targets` already shifted by one (the token
each position must predict, or -100), so packed samples never predict across
their boundary and the loss needs the language-model head only where a target
exists. Batches are planned up front from the seed: the same data and config
give the same steps, which is what makes resuming after a crash exact.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError

IGNORE = -100


@dataclass
class Sample:
    input_ids: list[int]
    targets: list[int]
    answer: str = ""  # the last assistant message: samples with the same one teach the same fact

    @property
    def n_targets(self) -> int:
        return sum(1 for t in self.targets if t != IGNORE)


@dataclass
class Phase:
    name: str
    datasets: list[tuple[Path, float]]
    # file -> each distinct answer appears at least / at most this often per epoch (recipe
    # `min_per_answer`, `max_per_answer`; 0: no ceiling)
    min_per_answer: dict[Path, int] = field(default_factory=dict)
    max_per_answer: dict[Path, int] = field(default_factory=dict)
    first: dict[Path, int] = field(default_factory=dict)  # file -> only its first N samples (recipe `first`)


@dataclass
class Plan:
    """Every optimizer step of the run: (phase index, sample indices) in order."""

    phases: list[str]
    steps: list[tuple[int, list[int]]] = field(default_factory=list)

    def phase_bounds(self) -> list[tuple[int, int]]:
        """(first step, number of steps) for each phase, for per-phase LR schedules."""
        bounds = []
        for idx in range(len(self.phases)):
            positions = [i for i, (p, _) in enumerate(self.steps) if p == idx]
            bounds.append((positions[0], len(positions)) if positions else (0, 0))
        return bounds


def read_messages(path: Path) -> list[list[dict[str, str]]]:
    """The `messages` lists of a JSONL file; UserError naming file and line on bad input."""
    conversations = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise UserError(f"{path}: dataset file not found", hint="check recipe.yaml or the --data folder") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise UserError(f"{path}:{number}: not valid JSON ({exc})", hint="each line must be one JSON object") from exc
        messages = record.get("messages") if isinstance(record, dict) else None
        if not isinstance(messages, list) or not messages:
            raise UserError(f"{path}:{number}: missing 'messages' list", hint='expected {"messages": [{"role", "content"}]}')
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant") or not isinstance(
                message.get("content"), str
            ):
                raise UserError(
                    f"{path}:{number}: each message needs a role (system, user or assistant) and a content string"
                )
        if not any(m["role"] == "assistant" for m in messages):
            raise UserError(f"{path}:{number}: the conversation has no assistant message to learn from")
        conversations.append(messages)
    return conversations


def read_recipe(data_dir: Path) -> list[Phase]:
    """Phases from recipe.yaml, or one phase over every train_*.jsonl when there is no recipe."""
    import yaml

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise UserError(f"{data_dir}: dataset folder not found", hint="run `ilabdesk generate` first or check --data")
    recipe_path = data_dir / "recipe.yaml"
    if not recipe_path.is_file():
        files = sorted(data_dir.glob("train_*.jsonl"))
        if not files:
            raise UserError(f"{data_dir}: no recipe.yaml and no train_*.jsonl files", hint="point --data at an SDG dataset")
        return [Phase("train", [(f, 1.0) for f in files])]
    try:
        recipe = yaml.safe_load(recipe_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise UserError(f"{recipe_path}{where}: not valid YAML ({exc})") from exc
    raw_phases = recipe.get("phases") if isinstance(recipe, dict) else None
    if not isinstance(raw_phases, list):
        raise UserError(f"{recipe_path}: expected a 'phases' list", hint="see the SDG dataset format")
    phases = []
    for i, raw in enumerate(raw_phases):
        if not isinstance(raw, dict):
            raise UserError(f"{recipe_path}: phase {i + 1} must be a mapping with name and datasets")
        entries = []
        balance: dict[Path, int] = {}
        ceiling: dict[Path, int] = {}
        first: dict[Path, int] = {}
        for entry in raw.get("datasets") or []:
            if not isinstance(entry, dict) or "path" not in entry:
                raise UserError(f"{recipe_path}: phase '{raw.get('name', i + 1)}' has a dataset without 'path'")
            weight = float(entry.get("weight", 1.0))
            if weight < 0:
                raise UserError(f"{recipe_path}: dataset {entry['path']} has a negative weight")
            path = Path(entry["path"])
            path = path if path.is_absolute() else data_dir / path
            entries.append((path, weight))
            at_least = entry.get("min_per_answer", 1)
            if not isinstance(at_least, int) or at_least < 1:
                raise UserError(f"{recipe_path}: dataset {entry['path']} has min_per_answer {at_least!r}",
                                hint="use a whole number of 1 or more")
            if at_least > 1:
                balance[path] = at_least
            at_most = entry.get("max_per_answer", 0)
            if not isinstance(at_most, int) or at_most < 0 or (at_most and at_most < at_least):
                raise UserError(f"{recipe_path}: dataset {entry['path']} has max_per_answer {at_most!r}",
                                hint="use 0 (no ceiling) or a whole number no smaller than min_per_answer")
            if at_most:
                ceiling[path] = at_most
            if "first" in entry:
                if not isinstance(entry["first"], int) or entry["first"] < 1:
                    raise UserError(f"{recipe_path}: dataset {entry['path']} has first {entry['first']!r}",
                                    hint="use a whole number of 1 or more, or leave it out to use every sample")
                first[path] = entry["first"]
        if entries and any(w > 0 for _, w in entries):
            phases.append(Phase(str(raw.get("name", f"phase{i + 1}")), entries, balance, ceiling, first))
    if not phases:
        raise UserError(f"{recipe_path}: every phase is empty", hint="add datasets with a positive weight")
    return phases


def fingerprint(data_dir: Path) -> str:
    """Hash of the dataset's files, so a resumed run refuses data that changed underneath it."""
    digest = hashlib.sha256()
    for path in sorted(Path(data_dir).glob("*")):
        if path.is_file() and (path.suffix in (".jsonl", ".yaml")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def tokenize_conversation(tokenizer, messages: list[dict[str, str]], max_len: int) -> Sample | None:
    """Token ids and shifted targets where only assistant turns are learned; None if nothing fits."""

    def render(msgs: list[dict[str, str]], prompt: bool) -> str:
        return tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=prompt)

    full = render(messages, False)
    spans: list[tuple[int, int]] = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before, upto = render(messages[:i], True), render(messages[: i + 1], False)
        if not (full.startswith(upto) and upto.startswith(before)):
            spans = []  # a template that rewrites earlier turns: learn the last answer only
            break
        spans.append((len(before), len(upto)))
    if not spans:
        before = render(messages[:-1], True)
        if messages[-1]["role"] != "assistant" or not full.startswith(before):
            return None
        spans = [(len(before), len(full))]
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoded["input_ids"])[:max_len]
    learn = [any(s <= start < e for s, e in spans) for start, _ in encoded["offset_mapping"][: len(ids)]]
    targets = [ids[t + 1] if learn[t + 1] else IGNORE for t in range(len(ids) - 1)] + [IGNORE]
    sample = Sample(ids, targets, messages[-1]["content"] if messages[-1]["role"] == "assistant" else "")
    return sample if sample.n_targets else None


def load_samples(tokenizer, files: list[Path], max_len: int) -> dict[Path, list[Sample]]:
    """Tokenize each distinct file once."""
    result: dict[Path, list[Sample]] = {}
    for path in files:
        if path in result:
            continue
        samples = [tokenize_conversation(tokenizer, m, max_len) for m in read_messages(path)]
        result[path] = [s for s in samples if s is not None]
        if not result[path]:
            raise UserError(f"{path}: no usable samples (all empty or longer than max_seq_len {max_len})")
    return result


def balanced(indices: list[int], answers: list[str], at_least: int, at_most: int = 0) -> list[int]:
    """`indices`, with the samples of each distinct answer cycled until it has `at_least` of them,
    and, with `at_most`, no more than that many of them (spread over its samples).

    A teacher asks about some facts a dozen times and about others once; a
    sentence that a seed example states too is taught by two units. A small
    student trained on that answers with the frequent facts (measured: document-
    only questions answered with a seeded sentence); seeing every fact a few
    times an epoch, and none many times more, is what makes it recall the rare ones.
    """
    by_answer: dict[str, list[int]] = {}
    for index in indices:
        by_answer.setdefault(answers[index], []).append(index)
    out: list[int] = []
    for members in by_answer.values():
        if at_most and len(members) > at_most:
            members = [members[int(k * len(members) / at_most)] for k in range(at_most)]
        out.extend(itertools.islice(itertools.cycle(members), max(len(members), at_least)))
    return out


def epoch_indices(pool: dict[Path, list[int]], datasets: list[tuple[Path, float]], rng: random.Random) -> list[int]:
    """Sample indices for one epoch of a phase: weight 2.0 repeats a file twice, 0.5 takes half."""
    chosen: list[int] = []
    for path, weight in datasets:
        indices = pool[path]
        whole, frac = int(weight), weight - int(weight)
        chosen.extend(indices * whole)
        if frac > 0:
            chosen.extend(rng.sample(indices, max(1, round(frac * len(indices)))))
    rng.shuffle(chosen)
    return chosen


def batches_of(indices: list[int], lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar-length samples (sorted within windows of 8 batches), in random order."""
    window = batch_size * 8
    batches = []
    for start in range(0, len(indices), window):
        chunk = sorted(indices[start : start + window], key=lambda i: lengths[i])
        batches.extend(chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def make_plan(
    phases: list[Phase], pools: list[dict[Path, list[int]]], lengths: list[int], batch_size: int, seed: int,
    epochs: float, iters: int | None,
) -> Plan:
    """All steps of the run, each phase drawing from its own pool of each file's sample indices.
    With `iters`, steps are shared among phases by their epoch sizes."""
    plan = Plan([p.name for p in phases])
    per_epoch = [max(1, -(-len(epoch_indices(pool, p.datasets, random.Random(seed))) // batch_size))
                 for p, pool in zip(phases, pools)]
    if iters is not None:
        total = sum(per_epoch)
        wanted = [max(1, round(iters * n / total)) for n in per_epoch]
        wanted[-1] = max(1, iters - sum(wanted[:-1])) if len(wanted) > 1 else iters
    else:
        wanted = [max(1, round(epochs * n)) for n in per_epoch]
    for idx, (phase, pool, count) in enumerate(zip(phases, pools, wanted)):
        epoch = 0
        steps: list[list[int]] = []
        while len(steps) < count:
            rng = random.Random(f"{seed}:{idx}:{epoch}")
            steps.extend(batches_of(epoch_indices(pool, phase.datasets, rng), lengths, batch_size, rng))
            epoch += 1
        plan.steps.extend((idx, b) for b in steps[:count])
    return plan


@dataclass
class Dataset:
    """Tokenized samples of a dataset folder plus the step plan of a run."""

    samples: list[Sample]
    plan: Plan
    validation: list[Sample]
    fingerprint: str

    def batch(self, step: int) -> list[Sample]:
        return [self.samples[i] for i in self.plan.steps[step][1]]

    def describe(self) -> dict[str, Any]:
        tokens = sum(len(self.samples[i].input_ids) for _, b in self.plan.steps for i in b)
        return {"samples": len(self.samples), "steps": len(self.plan.steps), "phases": self.plan.phases,
                "tokens": tokens, "validation_samples": len(self.validation)}


def load_dataset(data_dir: Path, tokenizer, config) -> Dataset:
    """Read, tokenize and plan a dataset folder for `config` (a TrainConfig)."""
    phases = read_recipe(data_dir)
    files = [path for phase in phases for path, _ in phase.datasets]
    by_file = load_samples(tokenizer, files, config.max_seq_len)
    samples: list[Sample] = []
    of_file: dict[Path, list[int]] = {}
    for path, file_samples in by_file.items():
        of_file[path] = list(range(len(samples), len(samples) + len(file_samples)))
        samples.extend(file_samples)
    answers = [s.answer for s in samples]
    pools = []
    for phase in phases:
        pool = {}
        for path, _ in phase.datasets:
            pool[path] = of_file[path][: phase.first.get(path)]
            if path in phase.min_per_answer or path in phase.max_per_answer:
                pool[path] = balanced(pool[path], answers, phase.min_per_answer.get(path, 1),
                                      phase.max_per_answer.get(path, 0))
        pools.append(pool)
    lengths = [len(s.input_ids) for s in samples]
    plan = make_plan(phases, pools, lengths, config.batch_size, config.seed, config.epochs, config.iters)
    validation: list[Sample] = []
    for path in sorted(Path(data_dir).glob("test_*.jsonl")):
        validation.extend(s for s in (tokenize_conversation(tokenizer, m, config.max_seq_len) for m in read_messages(path)) if s)
    return Dataset(samples, plan, validation, fingerprint(data_dir))
