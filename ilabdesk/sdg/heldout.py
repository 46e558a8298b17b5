"""Questions for the evaluation that training never sees: document questions and skill inputs.

Before a leaf's training samples are made, some of the document's facts get
a question each, aimed at one term of its sentence (an amount, a name, a
year), which is then what a right answer must contain. A small teacher asked
to write a question for a bare term asks about it instead ("What is Ingrid
Rasmark?"), so the question starts as the sentence's echo question
(sdg.facts) and the teacher rewrites it in its own words. A candidate is
kept only when it is a real question that asks for that kind of term, points
at its sentence, and is worded unlike the seed questions and unlike every
echo question of its sentence, which training will teach. Training then
teaches every fact, the held-out ones included, but never these wordings: a
training question whose word-set similarity to a held-out one reaches
`HELD_OUT_SIMILARITY` is dropped, so the student was taught the fact, never
the question. (Holding out the echo itself, as before, left a sentence's
every echo too close to it: a third of the facts went untaught.) Facts that
no seed example states come first, since they are what the document adds.
Each question also carries three same-kind options from the document (years
against a year, amounts of the same unit, names against a name) for the
multiple-choice check.

Skill leaves get new inputs made the way training inputs are (sdg.skills),
in a step of their own after training's, and kept only when they copy none
of the training inputs; the evaluation scores answers to them by the seeds'
shape and their content.
"""

from __future__ import annotations

import random
import re
from typing import Any

from ilabdesk.sdg.facts import Term, echo_for, opens_a_sentence, terms_of
from ilabdesk.sdg.knowledge import HELD_OUT_SIMILARITY, QUESTION, KnowledgeGenerator
from ilabdesk.sdg.skills import SkillGenerator
from ilabdesk.sdg.teacher import Steps, json_ask, text_ask
from ilabdesk.sdg.text import points_at, similarity, window
from ilabdesk.sdg.units import UnitOutcome, unit_seed

CANDIDATES = 4  # the teacher's rewordings per fact; most copy their echo question
_ASKS = {
    "year": re.compile(r"\b(when|year|date)\b", re.I),
    "date": re.compile(r"\b(when|date|day|month|time)\b", re.I),
    "number": re.compile(r"\b(how|what number|what percentage|what share|what proportion|what price|what amount)\b", re.I),
    "name": re.compile(r"^(who|whom|whose|what|which|where|name)\b", re.I),
}


def pick_facts(facts: list[str], seeded: set[str], topic: frozenset[str], limit: int) -> list[tuple[int, Term]]:
    """Up to `limit` (sentence index, term) pairs, one per sentence, spread over the document;
    sentences no seed states first. A sentence's own subject is no answer ("The what was added
    in 1931?"); amounts and names say more of a sentence than its year."""
    order = {"number": 0, "name": 1, "date": 2, "year": 3}
    picks: list[tuple[int, Term]] = []
    for group in ([i for i, f in enumerate(facts) if f not in seeded], [i for i, f in enumerate(facts) if f in seeded]):
        room = limit - len(picks)
        if room <= 0:
            break
        usable = []
        for i in group:
            terms = [t for t in terms_of(facts[i], topic) if not opens_a_sentence(t, facts[i])]
            if terms:
                usable.append((i, min(terms, key=lambda t: order[t.kind])))
        picks += _spread(usable, room)
    return sorted(picks)


def options_for(term: Term, sentence: str, facts: list[str], topic: frozenset[str], rng: random.Random) -> list[str]:
    """The term, then up to three other terms of the same kind from the document (amounts of the
    same unit first); [] where fewer than two such terms exist."""
    same_unit, same_kind = [], []
    for other in facts:
        if other == sentence:
            continue
        for candidate in terms_of(other, topic):
            if candidate.kind != term.kind or candidate.text.lower() == term.text.lower():
                continue
            if candidate.text in same_unit or candidate.text in same_kind:
                continue
            # amounts of one unit, and times with times, months with months
            (same_unit if term.kind in ("number", "date") and candidate.unit == term.unit else same_kind).append(candidate.text)
    rng.shuffle(same_unit)
    rng.shuffle(same_kind)
    distractors = (same_unit + same_kind)[:3]
    if len(distractors) < 2:
        return []
    return [term.text, *distractors]


def document_questions(
    generator: KnowledgeGenerator, leaf_path: str, facts: list[str], seeded: set[str], trained: list[str],
    subject: str, limit: int, run_seed: int, alias: tuple[str, str] = ("", ""),
) -> Steps:
    """Steps for `Teacher.run` that return (rows for eval_<leaf>.jsonl, why facts got none).

    Three times `limit` facts are tried, since many get no rewording far enough from every
    echo question; of those that do, `limit` are kept, spread over the document. Each fact gets
    half of its CANDIDATES rewordings first and the rest only when none of those was usable."""
    topic = generator.topic
    seed = unit_seed(run_seed, generator.leaf, "heldout")
    picks = []
    for index, term in pick_facts(facts, seeded, topic, 3 * limit):
        echo = echo_for(facts[index], term, facts[index - 1] if index else "", subject)
        if echo:
            # what training will ask of this sentence: the held-out wording keeps apart from it
            echoes = [p["question"] for p in generator.echo_pairs([(index, facts[index])], facts, subject, alias)]
            picks.append((index, term, echo, echoes))
    rng = random.Random(seed)
    found, dropped = [], {}
    # A fact's requests go together, so llama.cpp reads its passage once for all of them.
    tried = 0
    for count in (CANDIDATES // 2, CANDIDATES - CANDIDATES // 2):
        prompts = [generator.prompts.paraphrase(window(facts, index, 60), echo) for index, _, echo, _ in picks]
        replies = yield json_ask([p for p in prompts for _ in range(count)], QUESTION,
                                 [seed + tried + r for _ in picks for r in range(count)], max_tokens=80, temperature=1.0)
        tried += count
        left, reasons = [], {}
        for k, (index, term, echo, echoes) in enumerate(picks):
            questions = [r["question"] for r in replies[k * count:(k + 1) * count] if r]
            best, reason = _best_rewording(generator, questions, facts, index, term, echo, [*trained, *echoes])
            if best is None:
                left.append((index, term, echo, echoes))
                reasons[index] = reason
            else:
                found.append((index, term, *best))
        picks = left
    for index in (p[0] for p in picks):
        dropped[reasons[index]] = dropped.get(reasons[index], 0) + 1
    found.sort(key=lambda f: f[0])
    # facts no seed states first, as pick_facts ordered them
    fresh = [f for f in found if facts[f[0]] not in seeded]
    chosen = _spread(fresh, limit)
    chosen += _spread([f for f in found if facts[f[0]] in seeded], limit - len(chosen))
    rows = []
    for index, term, question, nearest in sorted(chosen, key=lambda f: f[0]):
        sentence = facts[index]
        rows.append({
            "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": sentence}],
            "metadata": {
                "leaf": generator.leaf, "leaf_path": leaf_path, "kind": "document", "facts": [term.text],
                "fact_kind": term.kind, "sentence": sentence, "seeded": sentence in seeded,
                "max_similarity": round(nearest, 3), "options": options_for(term, sentence, facts, topic, rng),
            },
        })
    return rows, dropped


def _best_rewording(generator: KnowledgeGenerator, questions: list[str], facts: list[str], index: int, term: Term,
                    echo: str, avoid: list[str]) -> tuple[tuple[str, float] | None, str]:
    """((question, its similarity to the nearest of `avoid`) of the candidate furthest from them,
    or None, why the last candidate was refused)."""
    sentence = facts[index]
    best, best_similarity, reason = None, HELD_OUT_SIMILARITY, "unparsable"
    for question in questions:
        nearest = max((similarity(question, t) for t in avoid), default=0.0)
        why = generator.paraphrase_problem(question, echo, sentence, window(facts, index, 60), term.text)
        if why:
            reason = why
        elif not _ASKS[term.kind].search(question):
            reason = "does_not_ask_for_the_fact"
        elif not points_at(question, facts, index):
            reason = "question_about_other_sentence"
        elif nearest >= HELD_OUT_SIMILARITY:
            reason = "too_close_to_a_training_question"
        elif nearest < best_similarity:
            best, best_similarity = question, nearest
    return (None if best is None else (best, best_similarity)), reason


def _spread(items: list[Any], room: int) -> list[Any]:
    """Up to `room` of `items`, evenly spaced over them."""
    if room <= 0:
        return []
    if len(items) <= room:
        return list(items)
    step = len(items) / room
    return [items[int(k * step)] for k in range(room)]


def skill_inputs(generator: SkillGenerator, trained: list[dict[str, Any]], limit: int, run_seed: int) -> Steps:
    """Steps that return (rows for eval_<leaf>.jsonl, why attempts were dropped): `limit` new inputs in
    the seeds' mould, made apart from the training ones and copying none of them, each with the
    teacher's answer (when it has the seeds' shape) as a reference. The evaluation scores a model's
    answer by the shape and its content (`Shape.score`), not by the reference."""
    outcome = UnitOutcome()
    seed = unit_seed(run_seed, generator.leaf, "heldout")
    inputs: list[dict[str, Any]] = []
    for round_ in range(3):  # a small teacher's contexts and tasks are often dropped: ask again
        need = limit - len(inputs)
        if need <= 0:
            break
        attempts = range(1000 * (round_ + 1), 1000 * (round_ + 1) + 2 * need)
        inputs += (yield from generator.new_inputs(generator.seeds[round_ % len(generator.seeds)], attempts, seed,
                                                   [*trained, *inputs], outcome))
    inputs = inputs[:limit]
    answers = yield generator.answer_ask(generator.seeds[0], 0, inputs, seed) if inputs else text_ask([], seed)
    rows = []
    for item, answer in zip(inputs, answers):
        answer = (answer or "").strip()
        ok, _ = generator.shape.check(answer, item["context"] if generator.grounded else None)
        rows.append({
            "messages": [{"role": "user", "content": generator.user_turn(item["question"], item["context"])},
                         {"role": "assistant", "content": answer if ok else ""}],
            "metadata": {"leaf": generator.leaf, "kind": "skill", "question": item["question"],
                         "context": item["context"], "shape": generator.shape.to_dict(),
                         "task_opening": generator.opening, "grounded": generator.grounded},
        })
    return rows, dict(outcome.dropped)
