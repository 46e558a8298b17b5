"""Job kind "evaluate": ask base and tuned the same questions, judge, report.

Args (JSON):
    output      folder for answers.jsonl (the journal), report.json/.md, chart.png
    base        model of the base (None: the embedded default), base_adapter optional
    tuned       model of the tuned side (None: the base), adapter: its LoRA (GGUF)
    data        an SDG dataset dir: its test_*.jsonl are asked (optional)
    questions   user-written question files (YAML like resources/sample/heldout.yaml, or JSONL)
    documents   [{"leaf": name, "path": file}] Markdown/text documents for multiple choice
    judge       model that rates answers 1-10 ("default" = the embedded model; None = no judge)
    general     ask the regression-check questions (default true; a number: only the first N)
    judge_limit (20 questions), choice_limit (10), max_tokens (64), seed, system (system prompt; default: the dataset's, else the chat's)

Models are loaded one at a time (a laptop has room for one), and every answer
and verdict is appended to the journal as it comes, so a re-run after a crash
or a cancel asks only what is missing. Journal entries are keyed by the model
file's identity, so retraining invalidates them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ilabdesk.chat.engine import GenerationParams, Message
from ilabdesk.errors import UserError
from ilabdesk.evaluation.choice import build_choice_items
from ilabdesk.evaluation.judge import JUDGE_PARAMS, judge_messages, parse_verdict
from ilabdesk.evaluation.questions import EvalItem, dataset_system_prompt, general_items, load_test_items, load_user_items
from ilabdesk.evaluation.report import JUDGED_SOURCES, SIDES, build_report, score_answer, write_report
from ilabdesk.jobs.events import Cancel, Event, ProgressTracker

BATCH = 4  # answers per engine call: endpoints run them concurrently, progress stays lively


def model_identity(model: str | None, adapter: str | None) -> str:
    """A key that changes when the model or adapter file changes (path + size + mtime)."""
    parts = []
    for ref in (model, adapter):
        if ref and os.path.isfile(ref):
            stat = os.stat(ref)
            parts.append(f"{Path(ref).resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
        else:
            parts.append(str(ref))
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def side_identity(model: str | None, adapter: str | None, params: GenerationParams, system: str | None) -> str:
    """Journal key of one side's answers: the model files plus how they were asked."""
    asked = json.dumps([params.max_tokens, params.temperature, params.seed, system])
    return hashlib.sha1(f"{model_identity(model, adapter)}|{asked}".encode("utf-8")).hexdigest()[:16]


class Journal:
    """Append-only JSON lines of answers and verdicts; the last line may be torn by a crash."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue  # a line cut short by a kill
                    if isinstance(entry, dict) and "key" in entry:
                        self.entries[entry["key"]] = entry
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(path, "a", encoding="utf-8")

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def add(self, key: str, **values: Any) -> None:
        entry = {"key": key, **values}
        self.entries[key] = entry
        self._handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def collect_items(args: dict[str, Any]) -> list[EvalItem]:
    """Everything to ask, from the dataset, the user's files, the documents and the general set."""
    items: list[EvalItem] = []
    if args.get("data"):
        data = Path(args["data"])
        if not data.is_dir():
            raise UserError(f"{data}: no such dataset folder", hint="pass the output folder of ilabdesk generate")
        items += load_test_items(data)
    for path in args.get("questions") or []:
        items += load_user_items(Path(path))
    for doc in args.get("documents") or []:
        entry = doc if isinstance(doc, dict) else {"path": doc}
        path = Path(entry["path"])
        if path.suffix.lower() in (".md", ".markdown", ".txt"):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UserError(f"{path}: cannot read the document ({exc})", hint="save it as UTF-8 text") from exc
        else:  # PDF, Word, HTML: the same conversion SDG reads them with
            from ilabdesk.documents.convert import to_markdown

            text = to_markdown(path)
        items += build_choice_items(
            text, str(entry.get("leaf") or path.stem), limit=int(args.get("choice_limit", 10)), seed=int(args.get("seed", 0))
        )
    if not items:
        raise UserError(
            "nothing to evaluate: no test_*.jsonl in the dataset, no questions and no documents",
            hint="pass --data DATASET_DIR (from ilabdesk generate) or --questions FILE",
        )
    general = args.get("general", True)
    if general:
        items += general_items()[: None if general is True else int(general)]
    return items


def item_params(item: EvalItem, params: GenerationParams) -> GenerationParams:
    """Short budgets where a long answer adds nothing: a choice is one line, a general fact a sentence."""
    if item.source == "choice":
        return params.with_(max_tokens=min(params.max_tokens, 16), stop=["\n"])
    if item.source == "general":
        return params.with_(max_tokens=min(params.max_tokens, 40))
    return params


def _messages(item: EvalItem, system: str | None) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": system}] if system else []
    return messages + [{"role": "user", "content": item.question}]


def _answer_side(
    side: str, model: str | None, adapter: str | None, items: list[EvalItem], journal: Journal,
    params: GenerationParams, system: str | None, tracker: ProgressTracker, cancel: Cancel,
) -> Iterator[Event]:
    identity = side_identity(model, adapter, params, system)
    missing = [item for item in items if not journal.get(f"{side}:{identity}:{item.id}")]
    if not missing:
        return
    from ilabdesk.chat.factory import open_engine

    tracker.stage = f"answer {side}"
    yield Event.begin(tracker.stage, f"{side} model answers {len(missing)} questions")
    engine = open_engine(model, adapter=adapter)
    try:
        groups: dict[str, list[EvalItem]] = {}
        for item in missing:
            groups.setdefault(item.source, []).append(item)
        batches = [group[i : i + BATCH] for group in groups.values() for i in range(0, len(group), BATCH)]
        for batch in batches:
            cancel.check()
            answers = engine.complete_many([_messages(item, system) for item in batch], item_params(batch[0], params))
            for item, answer in zip(batch, answers):
                journal.add(f"{side}:{identity}:{item.id}", answer=answer.strip())
            yield tracker.advance(len(batch), f"{side}: {batch[-1].question[:60]}")
    finally:
        engine.close()


def run(args: dict[str, Any], cancel: Cancel) -> Iterator[Event]:
    """Evaluate base vs tuned; yields progress and ends with the summary in the done event."""
    if not args.get("output"):
        raise UserError("evaluate needs an output folder", hint="pass --output DIR")
    output = Path(args["output"])
    items = collect_items(args)
    base, base_adapter = args.get("base"), args.get("base_adapter")
    tuned = args.get("tuned") or base
    adapter = args.get("adapter")
    system = args.get("system")
    if system is None and args.get("data"):
        system = dataset_system_prompt(Path(args["data"]))
    if system is None:  # ask the way the app's chat asks
        from ilabdesk.settings import load_config

        system = load_config()["chat"]["system_prompt"] or None
    params = GenerationParams(
        temperature=0.0, top_p=1.0, max_tokens=int(args.get("max_tokens", 64)), seed=int(args.get("seed", 0))
    )
    sides = {"base": (base, base_adapter), "tuned": (tuned, adapter)}
    identities = {side: side_identity(*sides[side], params, system) for side in SIDES}
    judge = args.get("judge")
    if judge in ("", "none"):
        judge = None
    judge_model = None if judge == "default" else judge
    # The judge is the slowest part on a laptop: rate user questions first, then test, then skills, up to judge_limit.
    judgeable = sorted((i for i in items if i.source in JUDGED_SOURCES), key=lambda i: JUDGED_SOURCES.index(i.source))
    judged_items = judgeable[: int(args.get("judge_limit", 20))] if judge else []

    journal = Journal(output / "answers.jsonl")
    try:
        answers_missing = sum(
            1 for side in SIDES for item in items if not journal.get(f"{side}:{identities[side]}:{item.id}")
        )
        yield Event.log(f"{len(items)} questions: " + ", ".join(
            f"{sum(1 for i in items if i.source == s)} {s}" for s in ("test", "skill", "user", "choice", "general") if any(i.source == s for i in items)
        ))
        tracker = ProgressTracker(answers_missing + 2 * len(judged_items), 0, stage="evaluate")
        for side in SIDES:
            yield from _answer_side(side, *sides[side], items, journal, params, system, tracker, cancel)

        rows = []
        for item in items:
            row: dict[str, Any] = {"item": item.to_dict()}
            for side in SIDES:
                entry = journal.get(f"{side}:{identities[side]}:{item.id}")
                row[side] = score_answer(item, entry["answer"])
            rows.append(row)

        if judged_items:
            yield from _judge(judge_model, judge, rows, judged_items, journal, tracker, cancel)

        models = {
            "base": base or "default",
            "base_adapter": base_adapter,
            "tuned": tuned or "default",
            "tuned_adapter": adapter,
            "judge": judge if judge else None,
            "system_prompt": system,
        }
        report = build_report(rows, models)
        written = write_report(report, output)
    finally:
        journal.close()
    for kind, path in written.items():
        yield Event.artifact(path, f"evaluation-{kind}")
    summary = report["summary"]
    message = (
        f"held-out {summary['base']['heldout']['correct']}/{summary['base']['heldout']['total']} -> "
        f"{summary['tuned']['heldout']['correct']}/{summary['tuned']['heldout']['total']}, "
        f"test {summary['base']['test']['correct']} -> {summary['tuned']['test']['correct']} of {summary['tuned']['test']['total']}, "
        f"multiple choice {summary['base']['choice']['correct']} -> {summary['tuned']['choice']['correct']} of {summary['tuned']['choice']['total']}, "
        f"general kept {report['regression']['kept']}/{report['regression']['checked']}"
    )
    yield Event.finished(
        message, report=str(written["json"]), markdown=str(written["markdown"]), summary=summary,
        regression=report["regression"], leaves=report["leaves"],
    )


def _judge(
    judge_model: str | None, judge_name: str, rows: list[dict[str, Any]], judged_items: list[EvalItem],
    journal: Journal, tracker: ProgressTracker, cancel: Cancel,
) -> Iterator[Event]:
    """Rate every knowledge answer of both sides; verdicts are journaled by judge, item and answer."""
    judge_identity = model_identity(judge_model, None)
    by_id = {row["item"]["id"]: row for row in rows}
    todo = []
    for item in judged_items:
        for side in SIDES:
            answer = by_id[item.id][side]["answer"]
            key = f"judge:{judge_identity}:{item.id}:" + hashlib.sha1(answer.encode("utf-8")).hexdigest()[:12]
            todo.append((item, side, answer, key))
    missing = [t for t in todo if not journal.get(t[3])]
    tracker.total = tracker.done + len(missing)
    if missing:
        from ilabdesk.chat.factory import open_engine

        tracker.stage = "judge"
        yield Event.begin("judge", f"{judge_name} rates {len(missing)} answers")
        engine = open_engine(judge_model)
        try:
            for start in range(0, len(missing), BATCH):
                cancel.check()
                batch = missing[start : start + BATCH]
                replies = engine.complete_many([judge_messages(i.question, i.reference, a) for i, _, a, _ in batch], JUDGE_PARAMS)
                for (_, _, _, key), reply in zip(batch, replies):
                    score, reason = parse_verdict(reply)
                    journal.add(key, score=score, reason=reason)
                yield tracker.advance(len(batch), "judging")
        finally:
            engine.close()
    for item, side, _, key in todo:
        verdict = journal.get(key) or {}
        by_id[item.id][side]["judge"] = verdict.get("score")
        by_id[item.id][side]["judge_reason"] = verdict.get("reason", "")
