"""Skills SDG (LAB): freeform skills and grounded skills, from a leaf's seed examples.

A skill is learned from many examples of the task in the seeds' mould. One
unit of work is one seed example; for each of its attempts:

- grounded skills first write a new context modelled on the seed contexts,
  checked for a length like theirs and for not copying one;
- the task: where every seed asks the same instruction of its context
  ("Summarise this meeting note as JSON."), the new context is asked exactly
  that; otherwise the teacher writes a new task like the seeds, which must
  open the way they all do, have a length like theirs and copy none;
- the teacher answers with three seeds as earlier turns, constrained to the
  JSON schema of the seed answers' shape when they share one, with values
  the seeds took from their context limited to pieces of this context
  (sdg.shape); the answer must have that shape, and for a grounded skill
  its names and numbers must come from its context;
- with a judge (bigger teachers), the teacher judges task and answer;
- where the answers take their date from the context, each example (the
  seed's and the kept new ones) is copied on REDATED other days, without
  the teacher (`shape.redated`), the days dealt out evenly (`day_rounds`):
  the conversion is then taught on every month and day;
- where they take names or phrases from it, the seed's context is copied
  REFILLED times with other examples' values in their places
  (`shape.refilled`), on another day too: the student learns where a value
  stands, not which names the seeds use.

The seeds themselves are samples too (weighted up in the recipe): they are
the user's own examples of the task. Prompts of one unit differ only in which
seed examples are shown and in what order, so attempts are varied while the
run stays reproducible from `--seed`.
"""

from __future__ import annotations

import random
from typing import Any

from ilabdesk.chat.engine import Message
from ilabdesk.sdg.prompts import json_text, render
from ilabdesk.sdg.shape import Shape, context_dates, day_rounds, infer_shape, redated, refilled, shared_instruction
from ilabdesk.sdg.teacher import Ask, Steps, json_ask, object_schema, text_ask, text_field, verdict_ask
from ilabdesk.sdg.text import key_terms, similarity, words
from ilabdesk.sdg.units import Dedup, SeedExample, UnitOutcome, unit_seed

CONTEXT = object_schema(context=text_field())
QUESTION = object_schema(question=text_field())
COPY = 0.7  # word-set similarity above which a new context or task copies a seed's
ROUNDS = 3  # rounds of asking for new inputs until a unit has its `attempts`
REDATED = 4  # copies of each example on other days, where the answer's date comes from the context
REFILLED = 6  # copies of each seed example with other examples' values, where the answer takes them from the context


def common_opening(texts: list[str]) -> str:
    """The words every text opens with ("Write a thank-you note to"), if at least two."""
    split = [t.split() for t in texts]
    shared: list[str] = []
    for column in zip(*split):
        if len({w.lower() for w in column}) != 1:
            break
        shared.append(column[0])
    return " ".join(shared) if len(shared) >= 2 and len(texts) >= 2 else ""


class SkillGenerator:
    """Skill units (one per seed example): their steps for `Teacher.run`, and their commit."""

    def __init__(
        self,
        prompts: dict[str, Any],
        leaf: str,
        seeds: list[SeedExample],
        grounded: bool,
        attempts: int = 3,
        judge: bool = True,
        dedup: Dedup | None = None,
    ) -> None:
        self.prompts = prompts
        self.leaf = leaf
        self.seeds = seeds
        self.grounded = grounded
        self.attempts = attempts
        self.judge = judge
        self.dedup = dedup or Dedup()
        qas = [qa for seed in seeds for qa in seed.qas]
        self.shape: Shape = infer_shape([a for _, a in qas], [s.context for s in seeds for _ in s.qas] if grounded else None)
        self.instruction = shared_instruction([q for q, _ in qas]) if grounded else None
        self.opening = common_opening([q for q, _ in qas])
        question_words = [len(words(q)) for q, _ in qas] or [1]
        self.question_words = (max(2, min(question_words) // 2), 2 * max(question_words) + 5)
        context_words = [len(words(s.context)) for s in seeds if s.context] or [1]
        self.context_words = (max(3, min(context_words) // 2), 2 * max(context_words) + 10)
        self.seen_contexts = [s.context for s in seeds if s.context]
        self.seed_terms = set().union(*(key_terms(c) for c in self.seen_contexts))

    def _rotated(self, seed: SeedExample, attempt: int) -> list[SeedExample]:
        """Up to three example seeds, the unit's own seed last (it steers the most)."""
        others = [s for s in self.seeds if s.id != seed.id]
        if others:
            shift = attempt % len(others)
            others = others[shift:] + others[:shift]
        return [*others[:2], seed]

    def _shots(self, template: dict[str, Any], examples: list[tuple[str, dict[str, str]]]) -> list[Message]:
        messages: list[Message] = []
        for user, values in examples:
            messages.append({"role": "user", "content": user})
            messages.append({"role": "assistant", "content": render(template["example_assistant"], **values)})
        return messages

    def user_turn(self, question: str, context: str | None) -> str:
        """The user message of a sample: the context above the task, as the seeds are asked."""
        return render(self.prompts["skill_answer"]["context_user"], context=context, question=question) if context else question

    # --- new inputs -------------------------------------------------------------------

    def context_ask(self, seed: SeedExample, attempts: list[int], base: int) -> Ask:
        template = self.prompts["grounded_context"]
        conversations = []
        for attempt in attempts:
            shown = [s for s in self._rotated(seed, attempt) if s.context]
            messages: list[Message] = [{"role": "system", "content": template["system"]}]
            messages += self._shots(template, [(template["user"], {"context": json_text(s.context)}) for s in shown])
            messages.append({"role": "user", "content": template["user"]})
            conversations.append(messages)
        return json_ask(conversations, CONTEXT, [base + a for a in attempts], max_tokens=250)

    def check_context(self, context: str | None, others: list[str]) -> str:
        """Why a new context is unusable ("" when it is fine): too short or long, or a copy."""
        if not context:
            return "unparsable"
        low, high = self.context_words
        if not low <= len(words(context)) <= high:
            return "context_length"
        if any(similarity(context, other) >= COPY for other in [*self.seen_contexts, *others]):
            return "context_copies_another"
        if key_terms(context) and key_terms(context) <= self.seed_terms:
            return "context_reuses_the_seeds_names"  # a recombination of the seeds teaches no new input
        if self.shape.dates and not context_dates(context):
            return "context_lacks_a_date"  # the seeds' answers take one from their context
        return ""

    def question_ask(self, seed: SeedExample, contexts: list[tuple[int, str | None]], base: int) -> Ask:
        conversations = []
        for attempt, context in contexts:
            shown = self._rotated(seed, attempt)
            if self.grounded:
                template = self.prompts["grounded_question"]
                system = render(template["system"], context=context or "")
            else:
                template = self.prompts["skill_question"]
                system = template["system"]
            examples = [(template["user"], {"question": json_text(qa[0])}) for s in shown for qa in s.qas[:1]]
            conversations.append([{"role": "system", "content": system}, *self._shots(template, examples),
                                  {"role": "user", "content": template["user"]}])
        return json_ask(conversations, QUESTION, [base + 1 + a for a, _ in contexts], max_tokens=160)

    def check_question(self, question: str, others: list[str]) -> str:
        """Why a new task is unusable ("" when it is fine)."""
        low, high = self.question_words
        if not low <= len(words(question)) <= high:
            return "question_length"
        if self.opening and not question.lower().startswith(self.opening.lower()):
            return "question_not_like_the_seeds"
        seed_questions = [qa[0] for s in self.seeds for qa in s.qas]
        if any(similarity(question, q) >= self.dedup.threshold for q in seed_questions) or self.dedup.is_duplicate(
                question, others):
            return "duplicate"
        return ""

    def answer_ask(self, seed: SeedExample, attempt: int, items: list[dict[str, Any]], base: int) -> Ask:
        """The teacher answers each task with three seeds as earlier turns, in the seeds' shape."""
        template = self.prompts["skill_answer"]
        conversations = []
        for item in items:
            messages: list[Message] = [{"role": "system", "content": template["system"]}]
            for shown in self._rotated(seed, attempt):
                for question, answer in shown.qas[:1]:
                    messages += [{"role": "user", "content": self.user_turn(question, shown.context if self.grounded else None)},
                                 {"role": "assistant", "content": answer}]
            messages.append({"role": "user", "content": self.user_turn(item["question"], item["context"])})
            conversations.append(messages)
        if self.shape.schema:
            # checked by the shape after, which also knows its value formats
            schemas = [self.shape.schema_for(i["context"]) for i in items]
            return Ask(conversations, base + 3, 300, None, schemas, str)
        return text_ask(conversations, base + 3, max_tokens=300)

    # --- one unit -----------------------------------------------------------------

    def steps(self, seed: SeedExample, run_seed: int) -> Steps:
        """The unit's work, as asks to the teacher (see `Teacher.run`); returns its outcome for `commit`."""
        outcome = UnitOutcome()
        base = unit_seed(run_seed, self.leaf, seed.id)
        # A small teacher's new contexts and tasks are often dropped (no date where the seeds' answers
        # take one, a copy of a seed): ask again for what is missing, up to three rounds. Every
        # attempt ends kept, or dropped for a counted reason.
        items: list[dict[str, Any]] = []
        for round_ in range(ROUNDS):
            need = self.attempts - len(items)
            if need <= 0:
                break
            outcome.generated += need
            items += yield from self.new_inputs(seed, range(100 * round_, 100 * round_ + need), base, items, outcome)

        if self.judge and items and not self.instruction:
            template = self.prompts["judge_question"]
            verdicts = yield verdict_ask(
                [[{"role": "system", "content": template["system"]},
                  {"role": "user", "content": render(template["user"], question=c["question"])}] for c in items],
                base + 2,
            )
            items = self._filter(items, verdicts, "question_rejected", outcome)

        replies = yield self.answer_ask(seed, 0, items, base) if items else text_ask([], base)
        answered = []
        for item, reply in zip(items, replies):
            answer = (reply or "").strip()
            ok, reason = self.shape.check_sample(answer, item["context"] if self.grounded else None)
            if not ok:
                outcome.dropped[reason] += 1
            elif similarity(answer, item["question"]) > 0.8:
                outcome.dropped["answer_repeats_the_task"] += 1
            else:
                answered.append({**item, "answer": answer})

        if self.judge and answered:
            template = self.prompts["judge_skill_pair"]
            verdicts = yield verdict_ask(
                [[{"role": "system", "content": template["system"]},
                  {"role": "user", "content": render(template["user"], question=a["question"], answer=a["answer"])}]
                 for a in answered],
                base + 4,
            )
            answered = self._filter(answered, verdicts, "pair_rejected", outcome)
        outcome.pairs = answered + self._copies(seed, answered, random.Random(base + 6))
        return outcome

    def _copies(self, seed: SeedExample, answered: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
        """Copies made without the teacher, for a grounded skill: REDATED of the seed's examples and
        of the kept new ones on other days (`redated`); REFILLED of the seed's examples with the
        values of the other seeds' and the kept new answers (`refilled`), each on another day."""
        if not self.grounded:
            return []
        own = [{"question": q, "answer": a, "context": seed.context} for q, a in seed.qas]
        donors = [(s.context, a) for s in self.seeds if s.id != seed.id for _, a in s.qas]
        donors += [(p["context"], p["answer"]) for p in answered]
        rng.shuffle(donors)
        days = day_rounds(rng)
        out = []

        def add(pair: dict[str, Any], context: str, answer: str, origin: str) -> bool:
            # another value may have held a moved piece ("May 2022" as an item): then it is no longer grounded
            ok = self.shape.check_sample(answer, context)[0]
            if ok:
                out.append({**pair, "context": context, "answer": answer, "origin": origin,
                            "source": self.user_turn(pair["question"], pair["context"])})
            return ok

        for pair in own + answered:
            for _ in range(REDATED if self.shape.dates else 0):
                if moved := redated(pair["context"], pair["answer"], self.shape.dates, rng, next(days)):
                    add(pair, *moved, "redated")
        for pair in own if self.shape.spans else []:
            made = 0
            for donor_context, donor in donors:
                if made < REFILLED and (swapped := refilled(pair["context"], pair["answer"], donor_context, donor,
                                                            list(self.shape.spans))):
                    made += add(pair, *(redated(*swapped, self.shape.dates, rng, next(days)) or swapped), "refilled")
        return out

    def new_inputs(self, seed: SeedExample, attempts: range, base: int, avoid: list[dict[str, Any]],
                   outcome: UnitOutcome) -> Steps:
        """New tasks (and contexts) in the seeds' mould, none copying a seed or anything in `avoid`."""
        contexts: list[tuple[int, str | None]] = [(a, None) for a in attempts]
        if self.grounded:
            replies = yield self.context_ask(seed, list(attempts), base)
            contexts = []
            kept_contexts = [i["context"] for i in avoid if i["context"]]
            for attempt, reply in zip(attempts, replies):
                context = reply["context"] if reply else None
                reason = self.check_context(context, kept_contexts)
                if reason:
                    outcome.dropped[reason] += 1
                    continue
                contexts.append((attempt, context))
                kept_contexts.append(context)
        if self.instruction:
            return [{"question": self.instruction, "context": context} for _, context in contexts]
        replies = yield self.question_ask(seed, contexts, base) if contexts else text_ask([], base)
        items: list[dict[str, Any]] = []
        for (_, context), reply in zip(contexts, replies):
            if reply is None:
                outcome.dropped["unparsable"] += 1
                continue
            reason = self.check_question(reply["question"], [i["question"] for i in [*avoid, *items]])
            if reason:
                outcome.dropped[reason] += 1
            else:
                items.append({"question": reply["question"], "context": context})
        return items

    def commit(self, seed: SeedExample, outcome: UnitOutcome) -> UnitOutcome:
        """The samples of the unit: the seed's own examples, then its pairs, in the plan's order of
        units; a task that near-copies one of a unit committed meanwhile (units run side by side)
        is dropped here (a shared instruction is told apart by its context), and so are its copies
        (on other days, refilled), which are otherwise kept: they are near-copies by design."""
        pairs = [{"question": q, "answer": a, "context": seed.context if self.grounded else None, "origin": "seed"}
                 for q, a in seed.qas]
        kept = {self.user_turn(p["question"], p["context"]) for p in pairs}
        for item in outcome.pairs:
            key = self.user_turn(item["question"], item["context"])
            if item.get("origin") in ("redated", "refilled"):
                if item["source"] in kept:
                    pairs.append(item)
                continue
            if self.dedup.is_duplicate(key):
                outcome.dropped["duplicate"] += 1
                continue
            self.dedup.add(key)
            kept.add(key)
            outcome.kept += 1
            pairs.append({**item, "origin": "generated"})
        for item in pairs:
            outcome.samples.append({
                "messages": [{"role": "user", "content": self.user_turn(item["question"], item["context"])},
                             {"role": "assistant", "content": item["answer"]}],
                "metadata": {
                    "leaf": self.leaf,
                    "kind": "grounded_skill" if self.grounded else "freeform_skill",
                    "unit": seed.id,
                    "seed": seed.id,
                    "origin": item["origin"],
                    "question": item["question"],
                    "context": item["context"],
                    "with_context": bool(item["context"]),
                },
            })
        outcome.pairs = []
        return outcome

    @staticmethod
    def _filter(items: list[dict[str, Any]], verdicts: list[bool | None], reason: str, outcome: UnitOutcome) -> list[dict[str, Any]]:
        kept = []
        for item, verdict in zip(items, verdicts):
            if verdict is None:
                outcome.dropped["judge_unparsable"] += 1
            elif not verdict:
                outcome.dropped[reason] += 1
            else:
                kept.append(item)
        return kept
