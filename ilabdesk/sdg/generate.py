"""Synthetic data generation for a set of taxonomy leaves: plan units, run them, write the dataset.

This is the body of the "generate" job. It yields progress events (done/total
units, ETA, kept and dropped counts, the latest sample), resumes from the
dataset folder's journal, and ends with `summary.json` and `recipe.yaml`. An
empty result is an error, and a run whose filters dropped almost everything
says so loudly, because a silent empty dataset costs a user a whole training run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ilabdesk.chat.engine import ChatEngine
from ilabdesk.cpu import free_cores
from ilabdesk.errors import UserError
from ilabdesk.jobs.events import Cancel, Event, ProgressTracker
from ilabdesk.sdg.dataset import REPLAY, SKILL_REPLAY, DatasetDir, UnitRecord
from ilabdesk.sdg.heldout import document_questions as document_questions_steps
from ilabdesk.sdg.heldout import skill_inputs as skill_inputs_steps
from ilabdesk.sdg.knowledge import KnowledgeGenerator
from ilabdesk.sdg.plan import LeafPlan, held_out_samples, plan_leaf, skill_shape
from ilabdesk.sdg.prompts import load_prompts, model_family
from ilabdesk.sdg.skills import SkillGenerator
from ilabdesk.sdg.teacher import Teacher
from ilabdesk.sdg.text import topic_words
from ilabdesk.sdg.units import Dedup
from ilabdesk.settings import load_config

# Below this share of kept pairs, the run warns that the teacher or the seeds need attention.
LOW_YIELD = 0.10


def lanes(engine: ChatEngine) -> int:
    """Units to run side by side: enough that a batching engine or an endpoint always has
    requests waiting (a unit asks for about 4-12 replies at a time); one for an engine that
    answers one request at a time, where more would only hold finished units back."""
    return 1 if engine.parallel <= 1 else max(2, engine.parallel // 4)


def generate(
    leaves: list[Path],
    output: Path,
    *,
    teacher: str | None = None,
    samples_per_seed: int = 10,
    paraphrases: int = 2,
    seed_paraphrases: int = 2,
    questions_per_answer: int = 2,
    questions_per_fact: int = 4,
    retries: int = 2,
    document_questions: int = 20,
    skill_inputs: int = 10,
    replay: int = 300,
    student: str | None = None,
    judge: bool | None = None,
    answer_mode: str = "auto",
    seed: int = 42,
    chunk_tokens: int = 500,
    cancel: Cancel | None = None,
    engine=None,
) -> Iterator[Event]:
    """Generate a dataset for `leaves` (qna.yaml paths) into `output`; resumes an interrupted run.

    `engine` may be passed by callers that already hold the teacher (tests,
    benchmarks); otherwise `teacher` is opened with `open_engine`. `student` is
    the model that will be trained (default: the configured default model): it
    answers `replay` everyday prompts itself (see sdg.replay); 0 turns that off.
    """
    cancel = cancel or Cancel()
    if not leaves:
        raise UserError("no leaves to generate data for", hint="pass --leaf, or change a leaf (the default is the changed leaves)")
    if answer_mode == "auto":
        answer_mode = "extractive" if model_family(teacher) == "smollm" else "free"
    if judge is None:
        # Measured: the 135M teacher as judge rejects or garbles most correct pairs, so with it
        # the word-level grounding checks are the filter; bigger teachers judge as LAB describes.
        judge = model_family(teacher) != "smollm"
    if answer_mode not in ("extractive", "free"):
        raise UserError(f"unknown answer mode {answer_mode!r}", hint="use auto, extractive or free")
    settings = {
        "leaves": sorted(str(Path(p).resolve()) for p in leaves),
        "teacher": teacher,
        "samples_per_seed": samples_per_seed,
        "paraphrases": paraphrases,
        "seed_paraphrases": seed_paraphrases,
        "questions_per_answer": questions_per_answer,
        "questions_per_fact": questions_per_fact,
        "retries": retries,
        "document_questions": document_questions,
        "skill_inputs": skill_inputs,
        "replay": replay,
        "student": student,
        "judge": judge,
        "answer_mode": answer_mode,
        "seed": seed,
        "chunk_tokens": chunk_tokens,
        "system_prompt": load_config()["chat"]["system_prompt"] or None,
    }
    dataset = DatasetDir(Path(output), settings)
    owns_engine = engine is None
    try:
        yield Event.begin("teacher", f"loading the teacher ({teacher or 'embedded SmolLM2-135M'})")
        if engine is None:
            from ilabdesk.chat.factory import is_endpoint, open_engine

            engine = open_engine(teacher) if is_endpoint(teacher) else open_engine(teacher, threads=free_cores())
        prompts = load_prompts(model_family(teacher))
        tutor = Teacher(engine)

        yield Event.begin("plan", "reading leaves and documents")
        plans = [plan_leaf(Path(p), engine, chunk_tokens) for p in leaves]
        for plan in plans:
            path = dataset.write_test(plan.name, held_out_samples(plan))
            yield Event.artifact(path, "test", f"{plan.rel}: {len(plan.units)} units, seed Q&A for evaluation in {path.name}")
        heldout = [p for p in plans if (document_questions and p.kind == "knowledge" and p.facts)
                   or (skill_inputs and p.kind != "knowledge")]
        total = sum(len(plan.units) for plan in plans) + len(heldout) + (1 if replay else 0)
        done = sum(1 for plan in plans for unit_id, _ in plan.units if unit_id in dataset.records.get(plan.name, {}))
        done += sum(1 for plan in heldout if dataset.eval_path(plan.name).exists())
        done += 1 if replay and REPLAY in dataset.records.get(REPLAY, {}) else 0
        if done:
            yield Event.log(f"resuming: {done} of {total} units were already done")

        yield Event.begin("generate", f"generating from {total} units")
        tracker = ProgressTracker(total, done, stage="generate")
        start = time.monotonic()
        kept_here = 0
        for plan in plans:
            writer = dataset.leaf(plan.name)
            dedup = Dedup(by_facts=plan.kind == "knowledge")
            for sample in writer.samples:
                dedup.add(sample["metadata"]["question"])
            if plan.kind == "knowledge":
                for seed_example in plan.seeds:
                    for question, _ in seed_example.qas:
                        dedup.add(question)  # the seed Q&A are samples of their own: no near-copies of them
                topic = topic_words([q for seed_example in plan.seeds for q, _ in seed_example.qas])
                generator: Any = KnowledgeGenerator(prompts, plan.name, answer_mode, paraphrases, judge, dedup,
                                                      questions_per_answer, seed_paraphrases, topic,
                                                      questions_per_fact, retries, plan.seeds)
            else:
                generator = SkillGenerator(prompts, plan.name, plan.seeds, plan.kind == "grounded_skill",
                                           max(1, samples_per_seed), judge, dedup)
            if plan in heldout and plan.kind == "knowledge":
                # first, so that training can keep clear of them (see sdg.heldout)
                if not dataset.eval_path(plan.name).exists():
                    cancel.check()
                    seed_questions = [q for seed_example in plan.seeds for q, _ in seed_example.qas]
                    rows, dropped = tutor.run_one(document_questions_steps(
                        generator, plan.rel, plan.facts, plan.seeded, seed_questions, plan.subject,
                        document_questions, seed, plan.alias))
                    yield _held_out(dataset.write_eval(plan.name, rows), plan, len(rows), "document questions",
                                    "facts left without one", dropped)
                    yield tracker.advance(1, f"{plan.rel}: document questions for the evaluation")
                generator.hold_out(_rows(dataset.eval_path(plan.name)))
            units = {unit_id: unit for unit_id, unit in plan.units if unit_id not in writer.done}
            cancel.check()
            steps = ((unit_id, generator.steps(unit, seed)) for unit_id, unit in units.items())
            for unit_id, outcome in tutor.run(steps, lanes(engine), cancel.check):
                outcome = generator.commit(units[unit_id], outcome)
                record = UnitRecord(plan.name, unit_id, outcome.generated, outcome.kept, len(outcome.samples),
                                    dict(outcome.dropped), outcome.facts)
                writer.write_unit(record, outcome.samples)
                kept_here += len(outcome.samples)
                yield _progress(tracker, dataset, plans, outcome.samples)
            if plan in heldout and plan.kind != "knowledge" and not dataset.eval_path(plan.name).exists():
                # after training's inputs, so that none of them is copied
                cancel.check()
                trained = [{"question": s["metadata"]["question"], "context": s["metadata"].get("context")}
                           for s in writer.samples]
                rows, dropped = tutor.run_one(skill_inputs_steps(generator, trained, skill_inputs, seed))
                yield _held_out(dataset.write_eval(plan.name, rows), plan, len(rows), "new inputs", "dropped", dropped)
                yield tracker.advance(1, f"{plan.rel}: new inputs for the evaluation")
        if replay:
            writer = dataset.leaf(REPLAY)
            if REPLAY not in writer.done:
                # only a knowledge phase replays more than a skill phase's SKILL_REPLAY (see write_recipe)
                count = replay if any(p.kind == "knowledge" for p in plans) else min(replay, SKILL_REPLAY)
                yield Event.log(f"the student answers {count} everyday prompts (replay data against forgetting)")
                try:
                    asked, samples = student_replay(student, teacher, engine, count, dataset.system_prompt)
                except UserError as exc:
                    yield Event.log(f"WARNING: no replay data, so training may overwrite what the student knew: {exc}",
                                    level="warning")
                else:
                    unfinished = {"answer_cut_off": asked - len(samples)} if asked > len(samples) else {}
                    writer.write_unit(UnitRecord(REPLAY, REPLAY, asked, len(samples), len(samples), unfinished), samples)
                    kept_here += len(samples)
                    yield _progress(tracker, dataset, plans, samples)
        minutes = max(time.monotonic() - start, 1e-6) / 60

        summaries = {p.name: {"leaf": p.rel, "kind": p.kind, "documents": p.documents, "chunks": p.chunks} for p in plans}
        for plan in plans:
            eval_file = dataset.eval_path(plan.name)
            held_out = len(_lines(eval_file)) if eval_file.exists() else 0
            if plan.kind == "knowledge" and plan.facts:
                summaries[plan.name]["coverage"] = coverage(plan, dataset, questions_per_fact)
                summaries[plan.name]["document_questions"] = held_out
            elif plan.kind != "knowledge":
                summaries[plan.name]["shape"] = skill_shape(plan).notes
                summaries[plan.name]["heldout_inputs"] = held_out
        if dataset.leaf_summary(REPLAY)["units"]:
            summaries[REPLAY] = {"leaf": None, "kind": REPLAY, "student": student or "default"}
        teacher_stats = {
            "teacher": teacher or "embedded",
            "teacher_calls": tutor.calls,
            "teacher_tokens": tutor.tokens,
            "teacher_seconds": round(tutor.seconds, 2),
            "teacher_tokens_per_s": round(tutor.tokens / tutor.seconds, 2) if tutor.seconds else None,
            "samples_per_minute": round(kept_here / minutes, 1) if kept_here else 0.0,
        }
        summary_path = dataset.write_summary(summaries, teacher_stats)
        knowledge = [p.name for p in plans if p.kind == "knowledge" and dataset.leaf_summary(p.name)["samples"]]
        skills = [p.name for p in plans if p.kind != "knowledge" and dataset.leaf_summary(p.name)["samples"]]
        recipe_path = dataset.write_recipe(knowledge, skills, bool(dataset.leaf_summary(REPLAY)["samples"]))
        yield Event.artifact(summary_path, "summary")
        yield Event.artifact(recipe_path, "recipe")
        yield Event.metric(**teacher_stats)

        empty = []
        for plan in plans:
            info = dataset.leaf_summary(plan.name)
            reasons = ", ".join(f"{k} {v}" for k, v in list(info["dropped"].items())[:4]) or "nothing generated"
            if info["kept"] == 0:  # the seeds alone are no synthetic dataset
                empty.append(f"{plan.rel} (dropped: {reasons})")
            elif info["generated"] and info["kept"] / info["generated"] < LOW_YIELD:
                yield Event.log(
                    f"WARNING: {plan.rel}: the filters kept only {info['kept']} of {info['generated']} generated pairs "
                    f"({reasons}); check the seed examples and the documents, or use a stronger --teacher",
                    level="warning",
                )
        if empty:
            raise UserError(
                "the teacher's samples were all dropped for: " + "; ".join(empty),
                hint="add more or clearer seed examples, check the documents, or use a stronger --teacher; "
                f"counts are in {summary_path}",
            )
        total_samples = sum(dataset.leaf_summary(p.name)["samples"] for p in plans)
        taught = [f"{p.rel}: {summaries[p.name]['coverage']['line']}" for p in plans if "coverage" in summaries[p.name]]
        for plan in plans:
            untaught = summaries[plan.name].get("coverage", {}).get("untaught", [])
            if untaught:
                yield Event.log(f"{plan.rel}: {len(untaught)} facts have fewer than {questions_per_fact} questions; "
                                f"see 'untaught' in {summary_path.name}", level="warning")
        yield Event.finished(
            f"{total_samples} training samples in {dataset.path}" + "".join(f"; {line}" for line in taught),
            dataset=str(dataset.path),
            samples=total_samples,
            summary=str(summary_path),
            recipe=str(recipe_path),
        )
    finally:
        dataset.close()
        if owns_engine and engine is not None:
            engine.close()


def student_replay(
    student: str | None, teacher: str | None, teacher_engine, count: int, system_prompt: str | None
) -> tuple[int, list[dict[str, Any]]]:
    """(prompts asked, replay samples) from the student; the teacher's engine answers when it is the same model."""
    from ilabdesk.chat.factory import is_endpoint, open_engine
    from ilabdesk.models.library import resolve
    from ilabdesk.sdg.replay import replay_prompts, replay_samples

    prompts = replay_prompts(count)
    same = not is_endpoint(teacher) and Path(resolve(student).path).resolve() == Path(resolve(teacher).path).resolve()
    if same:
        return len(prompts), replay_samples(teacher_engine, prompts, system_prompt)
    with open_engine(student, threads=free_cores()) as engine:
        return len(prompts), replay_samples(engine, prompts, system_prompt)


def coverage(plan: LeafPlan, dataset: DatasetDir, target: int) -> dict[str, Any]:
    """Facts taught / facts found for a knowledge leaf, from the samples as written; each untaught
    fact with its question count and the reasons its other questions were dropped."""
    questions: dict[str, set[str]] = {}
    for sample in dataset.leaf(plan.name).samples:
        meta = sample["metadata"]
        if meta.get("fact") and not meta.get("with_context"):
            questions.setdefault(meta["fact"], set()).add(meta["question"])
    drops: dict[str, Counter[str]] = {}
    for record in dataset.records.get(plan.name, {}).values():
        for fact, info in record.facts.items():
            drops.setdefault(fact, Counter()).update(info.get("dropped", {}))
    untaught = []
    for fact in plan.facts:
        count = len(questions.get(fact, ()))
        if count < target:
            reasons = ", ".join(f"{k} {v}" for k, v in drops.get(fact, Counter()).most_common(3))
            untaught.append({"fact": fact, "questions": count,
                             "why": f"dropped: {reasons}" if reasons else "no question was kept or asked"})
    taught = len(plan.facts) - len(untaught)
    return {
        "facts_found": len(plan.facts),
        "facts_taught": taught,
        "questions_per_fact": target,
        "facts_in_seeds": len(plan.seeded),
        "line": f"facts taught {taught}/{len(plan.facts)} ({target}+ questions each)",
        "untaught": untaught,
    }


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _rows(path: Path) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in _lines(path)]


def _held_out(path: Path, plan: LeafPlan, count: int, what: str, left: str, dropped: dict[str, int]) -> Event:
    why = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items(), key=lambda kv: -kv[1]))
    return Event.artifact(path, "heldout", f"{plan.rel}: {count} {what} for the evaluation, none trained on"
                          + (f" ({left}: {why})" if why else ""))


def _progress(tracker: ProgressTracker, dataset: DatasetDir, plans: list[LeafPlan], latest: list[dict[str, Any]]) -> Event:
    kept = 0
    dropped: Counter[str] = Counter()
    for plan in plans:
        info = dataset.leaf_summary(plan.name)
        kept += info["samples"]
        dropped.update(info["dropped"])
    preview = None
    if latest:
        sample = latest[-1]
        preview = {"question": sample["metadata"]["question"], "answer": sample["messages"][-1]["content"]}
    text = f"kept {kept}, dropped {sum(dropped.values())}"
    if preview:
        text += f" | {preview['question'][:60]}"
    return tracker.advance(1, text, kept=kept, dropped=dict(dropped), preview=preview)
