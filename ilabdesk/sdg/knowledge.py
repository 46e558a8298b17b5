"""Knowledge SDG (LAB): grounded Q&A from document chunks, seeded by the leaf's examples.

One unit of work is a (source chunk, seed example) pair. For each unit:

1. pick fact-bearing sentences of the chunk to be the answers ("answer
   first"). Across the seeds of a chunk every candidate sentence is picked at
   least once, so every fact of the document is covered;
2. the teacher writes a question for each answer (twice, with different
   sampling seeds), with the seed's Q&A as earlier turns of the conversation
   (in-context examples). A bigger teacher
   ("free" mode) writes the answer too, which must then pass the grounding
   check: its names, numbers and most content words occur in the chunk;
3. the teacher paraphrases each question, so the student sees the fact asked
   in several ways (what makes it answer a held-out, reworded question).
   On the unit of a seed's own context, the seed's answers get new questions
   too, and the seed's Q&A are samples themselves, also paraphrased: they are
   the facts the user chose to teach;
4. word-level checks drop non-questions, invented names, questions that
   give the answer away and questions whose answer lacks what they ask for;
   near-duplicate questions are dropped; the teacher, as judge, drops pairs
   it finds unfaithful or irrelevant;
5. every kept pair becomes two samples: with a short context passage (reading
   comprehension, as in LAB) and without it (so the facts are memorised).

Why answer first: a 135M teacher asked to write Q&A invents facts; asked only
to write a question for a sentence it is given, it is right most of the time,
and the answer stays word for word true to the document.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ilabdesk.chat.engine import Message
from ilabdesk.sdg.prompts import json_text, render
from ilabdesk.sdg.teacher import Steps, json_ask, object_schema, text_field, verdict_ask
from ilabdesk.sdg.text import answer_candidates, check_question, fact_score, grounded, points_at, similarity, window, words

QUESTION = object_schema(question=text_field())
QUESTION_ANSWER = object_schema(question=text_field(), answer=text_field())


@dataclass
class SeedExample:
    """One seed example of a leaf: its context (if any) and its Q&A pairs."""

    id: str
    context: str | None
    qas: list[tuple[str, str]]


@dataclass
class Source:
    """Text the teacher writes from: a document chunk, or a seed example's own context."""

    id: str
    text: str
    seed_id: str | None = None  # set for a seed's context: paired with that seed only
    # The passage the teacher is shown, when wider than `text`: a seed context inside a document
    # chunk is shown that chunk, so its prompts share the chunk units' prefix in llama.cpp's cache.
    shown: str | None = None


@dataclass
class KnowledgeUnit:
    id: str
    source: Source
    seed: SeedExample
    answers: list[int]  # indices into the source's candidate sentences


@dataclass
class UnitOutcome:
    """What a unit produced: its pairs (until committed), then its samples; generated and dropped (by reason)."""

    pairs: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    generated: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)


def unit_seed(run_seed: int, leaf: str, unit: str) -> int:
    """A seed for one unit, independent of which units ran before: resumed runs match fresh ones."""
    digest = hashlib.sha256(f"{run_seed}:{leaf}:{unit}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


class Dedup:
    """Near-duplicate question filter (word-set Jaccard similarity)."""

    def __init__(self, threshold: float = 0.85) -> None:
        self.threshold = threshold
        self.seen: list[str] = []
        self._exact: set[str] = set()

    def _key(self, question: str) -> str:
        return " ".join(words(question))

    def is_duplicate(self, question: str, also: list[str] = ()) -> bool:
        if self._key(question) in self._exact or any(self._key(q) == self._key(question) for q in also):
            return True
        return any(similarity(question, other) >= self.threshold for other in [*self.seen, *also])

    def add(self, question: str) -> None:
        self.seen.append(question)
        self._exact.add(self._key(question))


def plan_units(sources: list[Source], seeds: list[SeedExample], per_seed: int, run_seed: int, leaf: str) -> list[KnowledgeUnit]:
    """Units for all (chunk, seed) pairs, with the answers each unit asks about.

    The candidate sentences of a document chunk are dealt out over the seeds
    like cards, so together the seeds cover all of them; a unit with fewer than
    `per_seed` answers is topped up with the chunk's most fact-dense other sentences.
    """
    units: list[KnowledgeUnit] = []
    for source in sources:
        candidates = answer_candidates(source.text)
        if not candidates and not source.seed_id:
            continue
        paired = [s for s in seeds if s.id == source.seed_id] if source.seed_id else seeds
        for position, seed in enumerate(paired):
            unit_id = f"{source.id}/{seed.id}"
            if source.seed_id:
                chosen = list(range(len(candidates)))
            else:
                chosen = list(range(position, len(candidates), len(paired)))
            if len(chosen) < per_seed:
                rng = random.Random(unit_seed(run_seed, leaf, unit_id))
                others = [i for i in range(len(candidates)) if i not in chosen]
                rng.shuffle(others)
                others.sort(key=lambda i: -fact_score(candidates[i]))
                chosen += others[: per_seed - len(chosen)]
            units.append(KnowledgeUnit(unit_id, source, seed, sorted(chosen)))
    return units


class KnowledgeGenerator:
    """Knowledge units: their steps for `Teacher.run`, and their commit; holds the leaf's duplicate filter."""

    def __init__(
        self,
        prompts: dict[str, Any],
        leaf: str,
        answer_mode: str = "extractive",
        paraphrases: int = 1,
        judge: bool = True,
        dedup: Dedup | None = None,
        questions_per_answer: int = 2,
        seed_paraphrases: int = 2,
        topic: frozenset[str] = frozenset(),
    ) -> None:
        self.prompts = prompts
        self.leaf = leaf
        self.answer_mode = answer_mode
        self.paraphrases = paraphrases
        self.questions_per_answer = max(1, questions_per_answer)
        self.seed_paraphrases = seed_paraphrases
        self.topic = topic  # the leaf's subject words (text.topic_words)
        self.judge = judge
        self.dedup = dedup or Dedup()

    # --- prompts ------------------------------------------------------------------

    def question_prompt(self, passage: str, seed: SeedExample, answer: str) -> list[Message]:
        """System (with the passage) and the seed shots come first and are the same for every
        answer of a unit, so llama.cpp reuses their KV cache and only reads the last turn."""
        free = self.answer_mode == "free"
        template = self.prompts["knowledge_qa" if free else "knowledge_question"]
        messages: list[Message] = [{"role": "system", "content": render(template["system"], passage=passage)}]
        for question, seed_answer in seed.qas:
            messages.append({"role": "user", "content": render(template["example_user"], answer=seed_answer)})
            reply = render(template["example_assistant"], question=json_text(question), answer=json_text(seed_answer))
            messages.append({"role": "assistant", "content": reply})
        messages.append({"role": "user", "content": render(template["user"], answer=answer)})
        return messages

    def _paraphrase_prompt(self, passage: str, question: str) -> list[Message]:
        """The rewrite request starts with the same system message (the passage) as the unit's
        question prompts, so llama.cpp keeps the passage in its cache across all calls of a chunk.
        The instruction comes once, before the examples; each request adds only its question."""
        system = self.prompts["knowledge_qa" if self.answer_mode == "free" else "knowledge_question"]["system"]
        template = self.prompts["paraphrase"]
        messages: list[Message] = [{"role": "system", "content": render(system, passage=passage)}]
        for original, rewritten in template.get("examples", []):
            messages.append({"role": "user", "content": render(template["user"], question=original)})
            messages.append({"role": "assistant", "content": '{"question": "' + json_text(rewritten) + '"}'})
        messages.append({"role": "user", "content": render(template["user"], question=question)})
        if template.get("instruction"):
            messages[1]["content"] = f"{template['instruction']}\n\n{messages[1]['content']}"
        return messages

    def _judge_prompt(self, passage: str, question: str, answer: str) -> list[Message]:
        template = self.prompts["judge_pair"]
        return [
            {"role": "system", "content": render(template["system"], passage=passage)},
            {"role": "user", "content": render(template["user"], question=question, answer=answer)},
        ]

    # --- one unit -----------------------------------------------------------------

    def steps(self, unit: KnowledgeUnit, run_seed: int) -> Steps:
        """The unit's work, as asks to the teacher (see `Teacher.run`); returns its outcome for `commit`."""
        outcome = UnitOutcome()
        seed = unit_seed(run_seed, self.leaf, unit.id)
        candidates = answer_candidates(unit.source.text)
        passage = unit.source.text.strip()
        shown = (unit.source.shown or passage).strip()

        # 1-2. a question (and in free mode an answer) for each chosen sentence. On the unit of a
        # seed's own context, the seed's answers are asked about too: they are the facts the user
        # chose to teach, and new questions for them teach more than paraphrases of the seed's.
        own_seed = unit.source.seed_id == unit.seed.id
        qas = unit.seed.qas if own_seed else []
        # every answer a question may point at: the passage's sentences, then the seed's answers
        pool = candidates + [a for _, a in qas]
        seed_pairs = [{"question": q, "answer": a, "index": len(candidates) + k, "origin": "seed"}
                      for k, (q, a) in enumerate(qas)]
        # words a question may use: the passage's, and on a seed's unit its Q&A's (they name the topic)
        known = "\n".join([shown, *(f"{q} {a}" for q, a in qas)])
        focus = [(i, pool[i]) for i in [*unit.answers, *(p["index"] for p in seed_pairs)]]
        schema = QUESTION_ANSWER if self.answer_mode == "free" else QUESTION
        conversations = [self.question_prompt(shown, unit.seed, sentence) for _, sentence in focus]
        # Each round asks again with another sampling seed: the prompts share their prefix, so
        # a second question for the same answer costs llama.cpp only the reply.
        rounds = range(self.questions_per_answer)
        replies = yield json_ask(conversations * len(rounds), schema,
                                 [seed + 10 * round_ for round_ in rounds for _ in conversations])
        pairs: list[dict[str, Any]] = []  # question, answer, index, origin
        for (index, sentence), reply in zip(focus * self.questions_per_answer, replies):
            outcome.generated += 1
            if reply is None:
                outcome.dropped["unparsable"] += 1
                continue
            from_seed = index >= len(candidates)
            answer = sentence if from_seed else reply.get("answer", sentence)  # the user's answer stays
            if self.answer_mode == "free" and not from_seed:
                ok, _ = grounded(answer, passage)
                if not ok:
                    outcome.dropped["answer_not_grounded"] += 1
                    continue
            ok, reason = check_question(reply["question"], answer, known, topic=self.topic)
            if not ok:
                outcome.dropped[reason] += 1
                continue
            if not points_at(reply["question"], pool, index):
                outcome.dropped["question_about_other_sentence"] += 1
                continue
            pairs.append({"question": reply["question"], "answer": answer, "index": index, "origin": "question"})

        # 3. drop near-duplicates, then paraphrase each remaining question (same answer); the
        # seed's own questions are samples as they are, and are paraphrased `seed_paraphrases` times.
        # All rounds are asked at once (each round with its own seed); their replies are checked in order.
        fresh = self._unique(pairs, seed_pairs, outcome)
        questions = [p for p in fresh if p["origin"] == "question"]
        rounds = [(questions if r < self.paraphrases else []) + (seed_pairs if r < self.seed_paraphrases else [])
                  for r in range(max(self.paraphrases, self.seed_paraphrases if seed_pairs else 0))]
        prompts = [self._paraphrase_prompt(shown, p["question"]) for originals in rounds for p in originals]
        seeds = [seed + 1 + r for r, originals in enumerate(rounds) for _ in originals]
        # sampled hotter than the questions: a small teacher at 0.7 rewrites a question the same way every time
        replies = iter((yield json_ask(prompts, QUESTION, seeds, max_tokens=80, temperature=1.0)))
        for originals in rounds:
            rewritten = []
            for pair, reply in zip(originals, replies):
                outcome.generated += 1
                if reply is None:
                    outcome.dropped["unparsable"] += 1
                    continue
                # a paraphrase may reuse its original's words and needs a few of its own (synonyms)
                ok, reason = check_question(reply["question"], pair["answer"], f"{known}\n{pair['question']}",
                                            new_words=3, topic=self.topic)
                if not ok:
                    outcome.dropped[reason] += 1
                    continue
                if not points_at(reply["question"], pool, pair["index"]):
                    outcome.dropped["question_about_other_sentence"] += 1
                    continue
                rewritten.append({**pair, "question": reply["question"], "origin": "paraphrase"})
            fresh = self._unique(rewritten, fresh, outcome)

        # 4. the judge
        for pair in fresh:
            pair["context"] = window(candidates, pair["index"]) if pair["index"] < len(candidates) else passage
        judged_pairs = [p for p in fresh if p["origin"] != "seed"]  # the user's own Q&A are not judged
        if self.judge and judged_pairs:
            verdicts = yield verdict_ask(
                [self._judge_prompt(p["context"], p["question"], p["answer"]) for p in judged_pairs], seed + 100
            )
            judged = [p for p in fresh if p["origin"] == "seed"]
            for pair, verdict in zip(judged_pairs, verdicts):
                if verdict is None:
                    outcome.dropped["judge_unparsable"] += 1
                elif not verdict:
                    outcome.dropped["judge_rejected"] += 1
                else:
                    judged.append(pair)
            fresh = judged

        outcome.pairs = fresh
        return outcome

    def commit(self, unit: KnowledgeUnit, outcome: UnitOutcome) -> UnitOutcome:
        """5. Two samples per kept pair, in the plan's order of units. Units run side by side, so a
        question may near-copy one of a unit committed meanwhile: dropped here. `kept` counts
        what the teacher made (of `generated`)."""
        for pair in outcome.pairs:
            if pair["origin"] != "seed":
                if self.dedup.is_duplicate(pair["question"]):
                    outcome.dropped["duplicate"] += 1
                    continue
                self.dedup.add(pair["question"])
                outcome.kept += 1
            outcome.samples.extend(self.samples(unit, pair))
        outcome.pairs = []
        return outcome

    def _unique(self, pairs: list[dict[str, Any]], kept: list[dict[str, Any]], outcome: UnitOutcome) -> list[dict[str, Any]]:
        """`kept` plus the pairs whose question is not a near-duplicate of an earlier one."""
        out = list(kept)
        for pair in pairs:
            if self.dedup.is_duplicate(pair["question"], [p["question"] for p in out]):
                outcome.dropped["duplicate"] += 1
            else:
                out.append(pair)
        return out

    def samples(self, unit: KnowledgeUnit, pair: dict[str, Any]) -> list[dict[str, Any]]:
        meta = {
            "leaf": self.leaf,
            "kind": "knowledge",
            "unit": unit.id,
            "chunk": unit.source.id,
            "seed": unit.seed.id,
            "origin": pair["origin"],
            "question": pair["question"],
        }
        with_context = f"{pair['context']}\n\n{pair['question']}"
        return [
            {
                "messages": [{"role": "user", "content": with_context}, {"role": "assistant", "content": pair["answer"]}],
                "metadata": {**meta, "with_context": True},
            },
            {
                "messages": [{"role": "user", "content": pair["question"]}, {"role": "assistant", "content": pair["answer"]}],
                "metadata": {**meta, "with_context": False},
            },
        ]
