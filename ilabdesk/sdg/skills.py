"""Skills SDG (LAB): freeform skills and grounded skills, from a leaf's seed examples.

One unit of work is one seed example. For each attempt in the unit:

- grounded skills first write a new context, modelled on the seed contexts;
- the teacher writes a new task (question) like the seeds, which is checked
  (shape, near-duplicates) and judged by the teacher ("a clear task?");
- the teacher answers it, with the seed's own Q&A as an example turn;
- the teacher judges the pair ("does the response do the task?").

Prompts of one unit differ only in which seed examples are shown and in what
order, so attempts are varied while the run stays reproducible from `--seed`.
"""

from __future__ import annotations

from typing import Any

from ilabdesk.chat.engine import Message
from ilabdesk.sdg.knowledge import Dedup, SeedExample, UnitOutcome, unit_seed
from ilabdesk.sdg.prompts import json_text, render
from ilabdesk.sdg.teacher import Steps, json_ask, object_schema, text_ask, text_field, verdict_ask
from ilabdesk.sdg.text import similarity, words

CONTEXT = object_schema(context=text_field())
QUESTION = object_schema(question=text_field())


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

    def steps(self, seed: SeedExample, run_seed: int) -> Steps:
        """The unit's work, as asks to the teacher (see `Teacher.run`); returns its outcome for `commit`."""
        outcome = UnitOutcome()
        base = unit_seed(run_seed, self.leaf, seed.id)
        contexts: list[str | None] = [None] * self.attempts

        if self.grounded:
            template = self.prompts["grounded_context"]
            conversations = []
            for attempt in range(self.attempts):
                shown = [s for s in self._rotated(seed, attempt) if s.context]
                messages: list[Message] = [{"role": "system", "content": template["system"]}]
                messages += self._shots(template, [(template["user"], {"context": json_text(s.context)}) for s in shown])
                messages.append({"role": "user", "content": template["user"]})
                conversations.append(messages)
            replies = yield json_ask(conversations, CONTEXT, base, max_tokens=250)
            contexts = [r["context"] if r else None for r in replies]

        conversations = []
        for attempt, context in enumerate(contexts):
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
        # a grounded attempt whose context did not parse is not asked for a question
        asked = [i for i, c in enumerate(contexts) if not self.grounded or c]
        outcome.generated += self.attempts
        outcome.dropped["unparsable"] += self.attempts - len(asked)
        replies = yield json_ask([conversations[i] for i in asked], QUESTION, base + 1, max_tokens=160)

        candidates: list[dict[str, Any]] = []
        seed_questions = [qa[0] for s in self.seeds for qa in s.qas]
        for index, reply in zip(asked, replies):
            if reply is None:
                outcome.dropped["unparsable"] += 1
                continue
            question = reply["question"]
            if len(words(question)) < 3:
                outcome.dropped["question_length"] += 1
            elif any(similarity(question, q) >= self.dedup.threshold for q in seed_questions) or self.dedup.is_duplicate(
                question, [c["question"] for c in candidates]
            ):
                outcome.dropped["duplicate"] += 1
            else:
                candidates.append({"question": question, "context": contexts[index]})

        if self.judge and candidates:
            template = self.prompts["judge_question"]
            verdicts = yield verdict_ask(
                [[{"role": "system", "content": template["system"]},
                  {"role": "user", "content": render(template["user"], question=c["question"])}] for c in candidates],
                base + 2,
            )
            candidates = self._filter(candidates, verdicts, "question_rejected", outcome)

        template = self.prompts["skill_answer"]
        conversations = []
        for candidate in candidates:
            messages = [{"role": "system", "content": template["system"]}]
            for question, answer in seed.qas[:1]:
                shown = render(template["context_user"], context=seed.context, question=question) if self.grounded and seed.context else question
                messages += [{"role": "user", "content": shown}, {"role": "assistant", "content": answer}]
            ask = candidate["question"]
            if candidate["context"]:
                ask = render(template["context_user"], context=candidate["context"], question=ask)
            messages.append({"role": "user", "content": ask})
            conversations.append(messages)
        answers = yield text_ask(conversations, base + 3, max_tokens=300)
        answered = []
        for candidate, answer in zip(candidates, answers):
            answer = (answer or "").strip()
            if len(words(answer)) < 2 or similarity(answer, candidate["question"]) > 0.8:
                outcome.dropped["empty_answer"] += 1
            else:
                answered.append({**candidate, "answer": answer})

        if self.judge and answered:
            template = self.prompts["judge_skill_pair"]
            verdicts = yield verdict_ask(
                [[{"role": "system", "content": template["system"]},
                  {"role": "user", "content": render(template["user"], question=a["question"], answer=a["answer"])}]
                 for a in answered],
                base + 4,
            )
            answered = self._filter(answered, verdicts, "pair_rejected", outcome)
        outcome.pairs = answered
        return outcome

    def commit(self, seed: SeedExample, outcome: UnitOutcome) -> UnitOutcome:
        """The samples of the unit's pairs, in the plan's order of units; a question that near-copies
        one of a unit committed meanwhile (units run side by side) is dropped here."""
        for item in outcome.pairs:
            if self.dedup.is_duplicate(item["question"]):
                outcome.dropped["duplicate"] += 1
                continue
            self.dedup.add(item["question"])
            outcome.kept += 1
            user = render(self.prompts["skill_answer"]["context_user"], context=item["context"], question=item["question"]) if item["context"] else item["question"]
            outcome.samples.append({
                "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": item["answer"]}],
                "metadata": {
                    "leaf": self.leaf,
                    "kind": "grounded_skill" if self.grounded else "freeform_skill",
                    "unit": seed.id,
                    "seed": seed.id,
                    "question": item["question"],
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
