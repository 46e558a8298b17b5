"""Job kind "evaluate": ask base and tuned the same questions, judge, report.

Args (JSON):
    output      folder for answers.jsonl (the journal), report.json/.md, chart.png
    base        model of the base (None: the embedded default), base_adapter optional
    tuned       model of the tuned side (None: the base), adapter: its LoRA (GGUF)
    data        an SDG dataset dir: its eval_*.jsonl (document questions, never trained on, and
                their multiple choice) and test_*.jsonl (seed Q&A, taught) are asked (optional)
    questions   user-written question files (YAML like resources/sample/heldout.yaml, or JSONL)
    documents   [{"leaf": name, "path": file}] documents to make multiple choice from, when there is no dataset
    judge       model that rates answers 1-10 ("default" = the embedded model; None = no judge); it rates
                only after it tells reference answers from wrong ones on control pairs
    general     ask the forgetting check's general questions (default true; a number: only the first N)
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
from ilabdesk.evaluation.questions import (EvalItem, dataset_system_prompt, general_items, load_document_items,
                                           load_test_items, load_user_items)
from ilabdesk.evaluation.report import JUDGED_SOURCES, SIDES, build_report, score_answer, summary_line, write_report
from ilabdesk.evaluation.scoring import contains_fact
from ilabdesk.jobs.events import Cancel, Event, ProgressTracker
from ilabdesk.locks import holding

BATCH = 4  # answers per engine call: endpoints run them concurrently, progress stays lively
CONTROLS = 6  # control pairs the judge must tell apart before its ratings count


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


def check_models(pairs: list[tuple[str | None, str | None]]) -> None:
    """UserError now, not after the base model has answered every question, for a (model, adapter)
    pair whose file is missing or damaged (endpoints are reached when first asked)."""
    from ilabdesk.chat.factory import is_endpoint
    from ilabdesk.models.gguf_file import inspect_gguf
    from ilabdesk.models.library import resolve

    for model, adapter in pairs:
        if model and not is_endpoint(model):
            entry = resolve(model)
            if entry.format == "gguf":
                inspect_gguf(entry.path)
        if adapter:
            inspect_gguf(adapter, role="adapter")


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
        items += load_document_items(data) + load_test_items(data)
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
        for group in groups.values():
            # each kind of question from a clean cache: the general questions, the same in every run,
            # then get the same answers from the same model, whatever the leaf's questions before them
            engine.forget_prompts()
            for batch in (group[i : i + BATCH] for i in range(0, len(group), BATCH)):
                cancel.check()
                conversations = [_messages(item, system) for item in batch]
                answers = engine.complete_many(conversations, item_params(batch[0], params))
                for item, answer in zip(batch, answers):
                    journal.add(f"{side}:{identity}:{item.id}", answer=answer.strip())
                yield tracker.advance(len(batch), f"{side}: {batch[-1].question[:60]}")
    finally:
        engine.close()


@holding("output", "evaluation folder")
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
    check_models([*sides.values(), *([(judge_model, None)] if judge else [])])
    # The judge is the slowest part on a laptop: rate user questions first, then test, then skills, up to judge_limit.
    judgeable = sorted((i for i in items if i.source in JUDGED_SOURCES), key=lambda i: JUDGED_SOURCES.index(i.source))
    judged_items = judgeable[: int(args.get("judge_limit", 20))] if judge else []

    journal = Journal(output / "answers.jsonl")
    try:
        answers_missing = sum(
            1 for side in SIDES for item in items if not journal.get(f"{side}:{identities[side]}:{item.id}")
        )
        sources = ("document", "skill", "user", "test", "skill_seed", "choice", "general")
        yield Event.log(f"{len(items)} questions: " + ", ".join(
            f"{sum(1 for i in items if i.source == s)} {s}" for s in sources if any(i.source == s for i in items)))
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

        judge_check = None
        if judged_items:
            judge_check = {}
            yield from _judge(judge_model, judge, rows, judged_items, journal, tracker, cancel, judge_check)

        models = {
            "base": base or "default",
            "base_adapter": base_adapter,
            "tuned": tuned or "default",
            "tuned_adapter": adapter,
            "judge": judge if judge else None,
            "system_prompt": system,
        }
        report = build_report(rows, models, judge_check)
        written = write_report(report, output)
    finally:
        journal.close()
    for kind, path in written.items():
        yield Event.artifact(path, f"evaluation-{kind}")
    summary = report["summary"]
    if report["judge"] and not report["judge"]["able"]:
        yield Event.log(f"judge: unable to judge. {report['judge']['reason']} {report['judge']['hint']}", level="warning")
    yield Event.finished(
        summary_line(report), report=str(written["json"]), markdown=str(written["markdown"]), summary=summary,
        headline=report["headline"], forgetting=report["forgetting"], judge=report["judge"], leaves=report["leaves"],
    )


def control_pairs(items: list[EvalItem], limit: int = CONTROLS) -> list[tuple[EvalItem, str]]:
    """(item, a wrong answer) pairs: the reference with its fact swapped for another item's fact of the
    same shape (a number for a number, a name for a name), else another item's reference."""
    facts = [(item, fact) for item in items for fact in item.facts if isinstance(fact, str) and fact in item.reference]
    pairs = []
    for item in items:
        if len(pairs) >= limit:
            break
        own = next((f for i, f in facts if i is item), None)
        swap = next((f for i, f in facts if i is not item and own and f[0].isdigit() == own[0].isdigit()
                     and not contains_fact(item.reference, f)), None)
        if own and swap:
            pairs.append((item, item.reference.replace(own, swap, 1)))
        else:
            other = next((i.reference for i in items if i is not item and i.reference and not i.reference == item.reference), None)
            if other:
                pairs.append((item, other))
    return pairs


def _judge(
    judge_model: str | None, judge_name: str, rows: list[dict[str, Any]], judged_items: list[EvalItem],
    journal: Journal, tracker: ProgressTracker, cancel: Cancel, check: dict[str, Any],
) -> Iterator[Event]:
    """First the control pairs: the judge rates each reference and a wrong answer to the same question,
    and only a judge that rates every reference above its wrong answer goes on to rate both sides'
    answers. `check` is filled with the outcome; verdicts are journaled by judge, item and answer."""
    judge_identity = model_identity(judge_model, None)
    by_id = {row["item"]["id"]: row for row in rows}

    def key(item: EvalItem, answer: str) -> str:
        return f"judge:{judge_identity}:{item.id}:" + hashlib.sha1(answer.encode("utf-8")).hexdigest()[:12]

    controls = control_pairs([i for i in judged_items if i.reference])
    todo = [(item, answer, key(item, answer)) for item, wrong in controls for answer in (item.reference, wrong)]
    rated = [(item, side, by_id[item.id][side]["answer"]) for item in judged_items for side in SIDES]
    tracker.total = tracker.done + sum(1 for *_, k in todo if not journal.get(k)) + len(rated)
    engine = None
    try:
        def verdicts(batch_todo: list[tuple[EvalItem, str, str]]) -> Iterator[Event]:
            nonlocal engine
            missing = [t for t in batch_todo if not journal.get(t[2])]
            if missing and engine is None:
                from ilabdesk.chat.factory import open_engine

                tracker.stage = "judge"
                yield Event.begin("judge", f"{judge_name} rates answers")
                engine = open_engine(judge_model)
            for start in range(0, len(missing), BATCH):
                cancel.check()
                batch = missing[start : start + BATCH]
                replies = engine.complete_many([judge_messages(i.question, i.reference, a) for i, a, _ in batch], JUDGE_PARAMS)
                for (_, _, k), reply in zip(batch, replies):
                    score, reason = parse_verdict(reply)
                    journal.add(k, score=score, reason=reason)
                yield tracker.advance(len(batch), "judging")

        yield from verdicts(todo)
        results = []
        for item, wrong in controls:
            right_score = (journal.get(key(item, item.reference)) or {}).get("score")
            wrong_score = (journal.get(key(item, wrong)) or {}).get("score")
            results.append({"question": item.question, "reference": item.reference, "wrong": wrong,
                            "reference_score": right_score, "wrong_score": wrong_score})
        failed = [r for r in results if r["reference_score"] is None or r["wrong_score"] is None
                  or r["wrong_score"] >= r["reference_score"]]
        check.update(model=judge_name, controls=results, able=bool(results) and not failed,
                     reason=f"It rated a wrong answer as high as the right one (or not at all) in {len(failed)} of "
                            f"{len(results)} control pairs." if failed else "",
                     hint="Pick a bigger judge model (evaluate --judge MODEL)." if failed else "")
        if not check["able"]:
            return
        yield from verdicts([(item, answer, key(item, answer)) for item, _, answer in rated])
    finally:
        if engine is not None:
            engine.close()
    for item, side, answer in rated:
        verdict = journal.get(key(item, answer)) or {}
        by_id[item.id][side]["judge"] = verdict.get("score")
        by_id[item.id][side]["judge_reason"] = verdict.get("reason", "")
