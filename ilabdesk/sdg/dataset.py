"""The dataset folder SDG writes, and the journal that makes it resumable.

Layout (InstructLab style, read by training and evaluation):

    train_<leaf>.jsonl   unique samples {"messages": [...], "metadata": {...}}, appended as kept
    train_<leaf>_context.jsonl   the same knowledge Q&A with their source passage in the question
    train_replay.jsonl   the student's own answers to everyday prompts (see sdg.replay)
    test_<leaf>.jsonl    the leaf's seed Q&A, asked again by the evaluation and reported as taught
    eval_<leaf>.jsonl    document questions or new skill inputs for the evaluation, never trained on (sdg.heldout)
    recipe.yaml          phases and sampling weights (training reads it; lines are never duplicated)
    summary.json         counts generated / kept / dropped by reason, per leaf
    .sdg/journal.jsonl   one line per finished unit of work (a chunk x seed pair)
    .sdg/run.json        the settings of the run, so a resume with other settings is refused

Crash safety: a sample line is appended and flushed as soon as it is kept; a
unit is journalled (and fsynced) only after all its samples are written. On
restart, a torn last line is cut off, and samples of units missing from the
journal (the unit that was in flight) are removed: that unit is done again,
with the same seed, so nothing is duplicated and nothing is lost.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_open, atomic_write_text
from ilabdesk.locks import FolderLock

STATE_DIR = ".sdg"
REPLAY = "replay"  # the dataset name of the student's replay samples
CONTEXT_WEIGHT = 0.1
MIN_PER_ANSWER = 3
MAX_PER_ANSWER = 12  # a sentence a seed states too is taught by two units: it must not crowd out the rest
# The student's replay answers make at least this share of each phase's samples. Measured on the
# embedded model and a leaf of ~330 Q&A (benchmarks/knowledge.py): 35 replay samples (9%) kept 66%
# of the general questions the base answered; 25% of 35 repeated, 73%; 25% of 100 distinct, 90%.
REPLAY_SHARE = 0.25
# A skill phase replays only the first this many of them; a knowledge phase, all (300 bundled).
# Measured (benchmarks/knowledge.py, benchmarks/skills.py): 200 distinct replay answers kept 30 of
# solberg's 48 general answers where 100 kept 24 (one topic's facts leak into every answer), 300
# kept 32; but 200 cost each skill leaf 1-5 of 48, also with 100 of the 200 drawn each epoch.
SKILL_REPLAY = 100
# A skill leaf's samples are repeated up to this many per epoch: a few dozen examples of a new
# output format, seen three times, do not make a 135M student use it.
MIN_SKILL_SAMPLES = 120


def dataset_name(leaf_rel: str) -> str:
    """File-name part for a leaf: "knowledge/geo/vellmora" -> "knowledge_geo_vellmora"."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in leaf_rel.strip("/").replace("/", "_")) or "leaf"


def _read_lines(path: Path) -> list[dict[str, Any]]:
    """Parsed JSON lines of `path`; a torn (unterminated or unparsable) last line is cut off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(end)
        data = data[:end]
    rows = []
    lines = data.decode("utf-8", "replace").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError:
            if number == len(lines):
                # written but not parsable: only possible for the very last line after a crash
                continue
            raise UserError(f"{path}:{number}: not a JSON line; the dataset was edited or damaged",
                            hint="remove the line, or generate into a new --output folder") from None
    return rows


def with_system_prompt(sample: dict[str, Any], system_prompt: str | None) -> dict[str, Any]:
    """Start the conversation with the system prompt the tuned model will be chatted with.

    Training and chat must agree on it: without one, chat templates such as
    SmolLM2's insert their own default, and facts learnt under that prompt are
    recalled poorly under the app's.
    """
    messages = sample["messages"]
    if not system_prompt or (messages and messages[0]["role"] == "system"):
        return sample
    return {**sample, "messages": [{"role": "system", "content": system_prompt}, *messages]}


@dataclass
class UnitRecord:
    """What one finished unit produced, as written to the journal."""

    leaf: str
    unit: str
    generated: int
    kept: int
    samples: int
    dropped: dict[str, int] = field(default_factory=dict)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # document sentence -> questions, drops


def train_files(output: Path, name: str) -> dict[bool, Path]:
    """A leaf's sample files: without (False) and with (True) the source passage in the question."""
    return {False: output / f"train_{name}.jsonl", True: output / f"train_{name}_context.jsonl"}


class LeafWriter:
    """Appends one leaf's kept samples and journals its finished units.

    Samples with their passage go to a file of their own, so the recipe can
    weigh them: they are three times longer, and it is the samples without a
    passage that make the student remember the facts.
    """

    def __init__(
        self, output: Path, name: str, journal: IO[str], done: dict[str, UnitRecord], system_prompt: str | None
    ) -> None:
        self.paths = train_files(output, name)
        self.name = name
        self.system_prompt = system_prompt
        self._journal = journal
        self.done = done
        self.samples: list[dict[str, Any]] = []
        self._handles: dict[bool, IO[str]] = {}
        for with_context, path in self.paths.items():
            rows = _read_lines(path)
            keep = [row for row in rows if row.get("metadata", {}).get("unit") in done]
            if len(keep) != len(rows):
                with atomic_open(path) as handle:
                    for row in keep:
                        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.samples += keep
            if path.exists():
                self._handles[with_context] = open(path, "a", encoding="utf-8")

    def write_unit(self, record: UnitRecord, samples: list[dict[str, Any]]) -> None:
        samples = [with_system_prompt(sample, self.system_prompt) for sample in samples]
        for sample in samples:
            with_context = bool(sample.get("metadata", {}).get("with_context"))
            if with_context not in self._handles:
                self._handles[with_context] = open(self.paths[with_context], "a", encoding="utf-8")
            handle = self._handles[with_context]
            handle.write(json.dumps(sample, ensure_ascii=False) + "\n")
            handle.flush()
        for handle in self._handles.values():
            os.fsync(handle.fileno())
        self.samples.extend(samples)
        self._journal.write(json.dumps(record.__dict__) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self.done[record.unit] = record

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()


class DatasetDir:
    """An SDG output folder, opened for a (possibly resumed) run."""

    def __init__(self, path: Path, settings: dict[str, Any]) -> None:
        self.path = Path(path)
        self.lock = FolderLock(self.path, "dataset folder")  # a second generate run into it is refused
        try:
            self._open(settings)
        except BaseException:
            self.lock.release()
            raise

    def _open(self, settings: dict[str, Any]) -> None:
        state = self.path / STATE_DIR
        state.mkdir(exist_ok=True)
        run_file = state / "run.json"
        if run_file.exists():
            try:
                previous = json.loads(run_file.read_text(encoding="utf-8"))
            except ValueError:
                previous = None
            if previous is not None and previous != settings:
                changed = sorted(k for k in set(previous) | set(settings) if previous.get(k) != settings.get(k))
                raise UserError(
                    f"{self.path}: holds a generation run with other settings ({', '.join(changed)})",
                    hint="re-run with the same options to resume it, or choose a new --output folder",
                )
        else:
            atomic_write_text(run_file, json.dumps(settings, indent=2, sort_keys=True))
        self.system_prompt: str | None = settings.get("system_prompt")
        journal_path = state / "journal.jsonl"
        self.records: dict[str, dict[str, UnitRecord]] = {}
        for row in _read_lines(journal_path):
            record = UnitRecord(**row)
            self.records.setdefault(record.leaf, {})[record.unit] = record
        self._journal = open(journal_path, "a", encoding="utf-8")
        self.writers: dict[str, LeafWriter] = {}

    def leaf(self, name: str) -> LeafWriter:
        if name not in self.writers:
            self.writers[name] = LeafWriter(
                self.path, name, self._journal, self.records.setdefault(name, {}), self.system_prompt
            )
        return self.writers[name]

    def eval_path(self, name: str) -> Path:
        return self.path / f"eval_{name}.jsonl"

    def write_eval(self, name: str, rows: list[dict[str, Any]]) -> Path:
        """The leaf's held-out questions (sdg.heldout), written at once: the file is there whole or not at all."""
        path = self.eval_path(name)
        with atomic_open(path) as handle:
            for row in rows:
                handle.write(json.dumps(with_system_prompt(row, self.system_prompt), ensure_ascii=False) + "\n")
        return path

    def write_test(self, name: str, samples: list[dict[str, Any]]) -> Path:
        path = self.path / f"test_{name}.jsonl"
        with atomic_open(path) as handle:
            for sample in samples:
                sample = with_system_prompt(sample, self.system_prompt)
                handle.write(json.dumps(sample, ensure_ascii=False) + "\n")
        return path

    def leaf_summary(self, name: str) -> dict[str, Any]:
        records = self.records.get(name, {}).values()
        dropped: Counter[str] = Counter()
        for record in records:
            dropped.update(record.dropped)
        return {
            "units": len(records),
            "generated": sum(r.generated for r in records),
            "kept": sum(r.kept for r in records),
            "samples": sum(r.samples for r in records),
            "dropped": dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
        }

    def write_summary(self, leaves: dict[str, dict[str, Any]], extra: dict[str, Any]) -> Path:
        per_leaf = {name: {**info, **self.leaf_summary(name)} for name, info in leaves.items()}
        totals: Counter[str] = Counter()
        dropped: Counter[str] = Counter()
        for info in per_leaf.values():
            totals.update({k: info[k] for k in ("units", "generated", "kept", "samples")})
            dropped.update(info["dropped"])
        summary = {**dict(totals), "dropped": dict(dropped), "leaves": per_leaf, **extra}
        path = self.path / "summary.json"
        atomic_write_text(path, json.dumps(summary, indent=2))
        return path

    def write_recipe(self, knowledge: list[str], skills: list[str], replay: bool) -> Path:
        """Knowledge first, then skills with knowledge replayed at half weight; the student's
        replay data in every phase, weighted to REPLAY_SHARE of it (a skill phase: its first
        SKILL_REPLAY samples); a skill's samples repeated up to MIN_SKILL_SAMPLES an epoch.

        Replay keeps earlier learning from being forgotten: the knowledge while
        skills train, and everything the student knew while both do. Samples
        with their passage weigh a tenth: LAB's reading-comprehension form
        costs three times the tokens on a laptop CPU, and recall of the facts
        comes from the samples without it. Each knowledge answer is seen at least
        MIN_PER_ANSWER and at most MAX_PER_ANSWER times an epoch (see
        training.data.balanced). A phase with
        no datasets is written empty, and training skips it.
        """

        def lines(name: str) -> int:
            path = self.path / name
            return sum(1 for line in path.open(encoding="utf-8") if line.strip()) if path.exists() else 0

        def with_replay(entries: list[dict[str, Any]], first: int | None = None) -> list[dict[str, Any]]:
            """`entries` plus the replay file (its `first` samples only, if given), weighted so it
            makes REPLAY_SHARE of the phase."""
            replayed = lines(f"train_{REPLAY}.jsonl")
            if not replay or not entries or not replayed:
                return entries
            entry: dict[str, Any] = {"path": f"train_{REPLAY}.jsonl"}
            if first is not None and first < replayed:
                replayed = entry["first"] = first
            others = sum(lines(e["path"]) * e["weight"] for e in entries)
            entry["weight"] = max(1.0, round(REPLAY_SHARE / (1 - REPLAY_SHARE) * others / replayed, 2))
            return [*entries, entry]

        def leaf_files(names: list[str], weight: float, knowledge: bool) -> list[dict[str, Any]]:
            entries = []
            for name in names:
                for with_context, path in train_files(self.path, name).items():
                    if path.exists() and path.stat().st_size:
                        share = CONTEXT_WEIGHT if with_context and knowledge else 1.0
                        if not knowledge:
                            share = max(1.0, round(MIN_SKILL_SAMPLES / lines(path.name), 2))
                        entry = {"path": path.name, "weight": weight * share}
                        if knowledge and not with_context:
                            entry["min_per_answer"] = MIN_PER_ANSWER
                            entry["max_per_answer"] = MAX_PER_ANSWER
                        entries.append(entry)
            return entries

        phases = [
            {"name": "knowledge", "datasets": with_replay(leaf_files(knowledge, 1.0, True))},
            {"name": "skills",
             "datasets": with_replay(leaf_files(skills, 1.0, False) + leaf_files(knowledge, 0.5, True), SKILL_REPLAY)
             if skills else []},
        ]
        path = self.path / "recipe.yaml"
        atomic_write_text(path, yaml.safe_dump({"phases": phases}, sort_keys=False))
        return path

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self._journal.close()
        self.lock.release()
