"""Knowledge SDG (LAB): grounded Q&A from document chunks, seeded by the leaf's examples.

One unit of work is a (source chunk, seed example) pair. For each unit:

1. the chunk's fact-bearing sentences are the answers ("answer first"; one
   that opens with "It" names what it stands for, sdg.text); they
   are dealt out over the seeds of the chunk, so every sentence of the
   document is one unit's to teach;
2. the teacher writes questions for each answer, with the seed's Q&A as
   earlier turns of the conversation (in-context examples), and paraphrases
   each kept question, so the student sees the fact asked in several ways
   (what makes it answer a held-out, reworded question). A bigger teacher
   ("free" mode) writes the answer too, which must then pass the grounding
   check: its names, numbers and most content words occur in the chunk.
   On the unit of a seed's own context, the seed's answers get new questions
   too, and the seed's Q&A are samples themselves, also paraphrased: they are
   the facts the user chose to teach;
3. every name and number of a sentence also gets an *echo question* made
   from the sentence without the teacher (sdg.facts), and one from its
   clause alone where the sentence joins several, and a list item or table
   row a reader's questions of what it belongs to (sdg.attributes), all
   paraphrased by the teacher: the only questions sure to ask for each
   fact. A sentence with fewer than `questions_per_fact` kept questions (one
   more per fact beyond two) is asked again with another seed's examples and
   hotter sampling. So every fact is taught, and the per-sentence counts and
   drop reasons are the leaf's coverage report;
4. word-level checks drop non-questions, invented names, questions that
   give the answer away and questions whose answer lacks what they ask for;
   near-duplicate questions are dropped; the teacher, as judge, drops pairs
   it finds unfaithful or irrelevant;
5. every kept pair becomes two samples: with a short context passage (reading
   comprehension, as in LAB) and without it (so the facts are memorised); an
   echo question is asked without the passage in a reader's word order where
   it can be, question phrase first ("How many wheels can the cellars hold?",
   sdg.reader), so the student meets both orders;
   every other question of a fact that calls the subject "the glassworks"
   calls it "the Solberg Glassworks", as a reader without the document does
   (and "the cellars" "the Stone Cellars", for other things the text names),
   and every second one that names a thing the text also calls by a role
   names it by that role ("the main telescope" for "the Vossel refractor").

Why answer first: a 135M teacher asked to write Q&A invents facts; asked only
to write a question for a sentence it is given, it is right most of the time,
and the answer stays word for word true to the document.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from ilabdesk.sdg.attributes import attribute_questions
from ilabdesk.sdg.knowledge_prompts import KnowledgePrompts
from ilabdesk.sdg.reader import reader_question
from ilabdesk.sdg.teacher import Steps, json_ask, object_schema, text_field, verdict_ask
from ilabdesk.sdg.direct import actor_question, appositive_questions, by_role, count_question, event_question
from ilabdesk.sdg.facts import clause_echo, echo_for, named_in_full, opens_a_sentence, terms_of
from ilabdesk.sdg.text import (answer_candidates, check_question, content_words, grounded, points_at, similarity,
                               window)
from ilabdesk.sdg.units import Dedup, SeedExample, UnitOutcome, unit_seed

QUESTION = object_schema(question=text_field())
# A training question this similar (word sets) to one of the evaluation's document questions is dropped.
HELD_OUT_SIMILARITY = 0.6
QUESTION_ANSWER = object_schema(question=text_field(), answer=text_field())


def near_evaluation(question: str, reserved: list[str]) -> bool:
    """Whether a training question would copy the wording of one of the evaluation's questions."""
    return any(similarity(question, held) >= HELD_OUT_SIMILARITY for held in reserved)


@dataclass
class Source:
    """Text the teacher writes from: a document chunk, or a seed example's own context."""

    id: str
    text: str
    seed_id: str | None = None  # set for a seed's context: paired with that seed only
    # The passage the teacher is shown, when wider than `text`: a seed context inside a document
    # chunk is shown that chunk, so its prompts share the chunk units' prefix in llama.cpp's cache.
    shown: str | None = None
    subject: str = ""  # the document's subject (facts.document_subject), for questions made without the teacher
    alias: tuple[str, str] = ("", "")  # its short and full names (facts.subject_alias)
    names: tuple[tuple[str, str], ...] = ()  # the same for other things it names (facts.name_aliases)
    roles: tuple[tuple[str, str], ...] = ()  # (name, role) of things it also calls by a role (direct.role_aliases)


@dataclass
class KnowledgeUnit:
    id: str
    source: Source
    seed: SeedExample
    answers: list[int]  # indices into the source's candidate sentences


class _UnitWork:
    """One unit's kept pairs, and per answer how many questions it has and why others were dropped."""

    def __init__(self, outcome: UnitOutcome, pool: list[str], n_candidates: int, target: int, dedup: Dedup,
                 seed_pairs: list[dict[str, Any]], topic: frozenset[str] = frozenset(),
                 reserved: list[str] | None = None) -> None:
        self.outcome = outcome
        self.reserved = reserved or []  # the evaluation's document questions: no training question near them
        self.pool = pool
        self.n_candidates = n_candidates
        # a sentence holding many facts ("2.6 km long, two cars named Orion and Vega, 40 passengers")
        # needs more questions than one holding a single fact: one more per fact beyond two
        self.target = [target + max(0, len(terms_of(answer, topic)) - 2) for answer in pool]
        self.dedup = dedup
        self.kept: list[dict[str, Any]] = [{**pair, "fact": pool[pair["index"]]} for pair in seed_pairs]
        self.count: Counter[int] = Counter(p["index"] for p in seed_pairs)
        self.why: dict[int, Counter[str]] = {}

    def short(self, index: int) -> bool:
        return self.count[index] < self.target[index]

    def drop(self, index: int, reason: str) -> None:
        self.outcome.dropped[reason] += 1
        self.why.setdefault(index, Counter())[reason] += 1

    def add(self, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep the pairs that are no near-duplicate and whose answer has fewer than twice the target."""
        added = []
        for pair in pairs:
            if self.dedup.is_duplicate(pair["question"], [p["question"] for p in self.kept]):
                self.drop(pair["index"], "duplicate")
            elif self.count[pair["index"]] >= 2 * self.target[pair["index"]]:
                self.drop(pair["index"], "enough_for_this_fact")
            elif near_evaluation(pair["question"], self.reserved):
                self.drop(pair["index"], "close_to_an_evaluation_question")
            else:
                pair["fact"] = self.pool[pair["index"]]
                self.kept.append(pair)
                self.count[pair["index"]] += 1
                added.append(pair)
        return added

    def report(self, index: int) -> dict[str, Any]:
        return {"questions": self.count[index], "dropped": dict(self.why.get(index, {}))}


def plan_units(sources: list[Source], seeds: list[SeedExample]) -> list[KnowledgeUnit]:
    """Units for all (chunk, seed) pairs, with the answers each unit asks about.

    The candidate sentences of a document chunk are dealt out over the seeds
    like cards, so together the seeds cover all of them and each sentence is
    one unit's to teach (`KnowledgeGenerator` then works until it has enough
    questions); a seed's own context unit asks about all of its sentences.
    """
    units: list[KnowledgeUnit] = []
    for source in sources:
        candidates = answer_candidates(source.text)
        if not candidates and not source.seed_id:
            continue
        paired = [s for s in seeds if s.id == source.seed_id] if source.seed_id else seeds
        for position, seed in enumerate(paired):
            chosen = list(range(len(candidates))) if source.seed_id else list(range(position, len(candidates), len(paired)))
            if chosen or source.seed_id:
                units.append(KnowledgeUnit(f"{source.id}/{seed.id}", source, seed, chosen))
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
        questions_per_fact: int = 4,
        retries: int = 2,
        seeds: list[SeedExample] | None = None,
    ) -> None:
        self.prompts = KnowledgePrompts(prompts, answer_mode == "free")
        self.leaf = leaf
        self.answer_mode = answer_mode
        self.paraphrases = paraphrases
        self.questions_per_answer = max(1, questions_per_answer)
        self.seed_paraphrases = seed_paraphrases
        self.topic = topic  # the leaf's subject words (text.topic_words)
        self.judge = judge
        self.dedup = dedup or Dedup(by_facts=True)
        # Each sentence of the document is worked on until this many differently worded questions
        # (one more per fact beyond two) are kept for it (echo questions, the teacher's, retries),
        # and no more than twice as many.
        self.questions_per_fact = max(1, questions_per_fact)
        self.retries = max(0, retries)
        self.seeds = seeds or []  # every seed of the leaf: retries show other seeds' Q&A as examples
        # the evaluation's document questions (sdg.heldout), chosen before training data: no training
        # question may be worded like one of them (their facts are taught, in other words)
        self.reserved: list[str] = []

    def hold_out(self, rows: list[dict[str, Any]]) -> None:
        """Keep the evaluation's document questions (eval rows, sdg.heldout) out of training."""
        self.reserved = [row["messages"][-2]["content"] for row in rows]

    def _shots(self, seed: SeedExample, attempt: int) -> SeedExample:
        """The seed whose Q&A are the examples: the unit's own first, another one on each retry."""
        others = [s for s in self.seeds if s.id != seed.id]
        return others[(attempt - 1) % len(others)] if attempt and others else seed

    # --- one unit -----------------------------------------------------------------

    def steps(self, unit: KnowledgeUnit, run_seed: int) -> Steps:
        """The unit's work, as asks to the teacher (see `Teacher.run`); returns its outcome for `commit`.

        Every chosen sentence gets an echo question per fact (see `facts`) and
        their paraphrases, the teacher's own questions (with the unit's seed as
        examples), paraphrased, then until `questions_per_fact` are kept retries
        with another seed's examples, sampled hotter; what is still short gets
        its echo questions reworded once more.
        """
        outcome = UnitOutcome()
        seed = unit_seed(run_seed, self.leaf, unit.id)
        candidates = answer_candidates(unit.source.text)
        passage = unit.source.text.strip()
        shown = (unit.source.shown or passage).strip()

        # On the unit of a seed's own context, the seed's answers are asked about too: they are the
        # facts the user chose to teach, and new questions for them teach more than paraphrases of the seed's.
        own_seed = unit.source.seed_id == unit.seed.id
        qas = unit.seed.qas if own_seed else []
        # every answer a question may point at: the passage's sentences, then the seed's answers
        pool = candidates + [a for _, a in qas]
        seed_pairs = [{"question": q, "answer": a, "index": len(candidates) + k, "origin": "seed"}
                      for k, (q, a) in enumerate(qas)]
        # words a question may use: the passage's, and on a seed's unit its Q&A's (they name the topic)
        known = "\n".join([shown, *(f"{q} {a}" for q, a in qas)])
        focus = [(i, pool[i]) for i in [*unit.answers, *(p["index"] for p in seed_pairs)]]
        work = _UnitWork(outcome, pool, len(candidates), self.questions_per_fact, self.dedup, seed_pairs, self.topic,
                         self.reserved)

        # One question per fact of each sentence, made from the sentence (sdg.facts), and their paraphrases:
        # the only questions sure to ask for every name and number, which a small teacher's own do not.
        document = [(i, sentence) for i, sentence in focus if i < len(candidates)]
        made = self.echo_pairs(document, candidates, unit.source.subject, unit.source.alias)
        outcome.generated += len(made)  # made by rule, kept or dropped like the teacher's
        echoes = work.add(made)
        work.add((yield from self._paraphrased(shown, [(p, self.paraphrases) for p in echoes], known, pool,
                                                seed + 7000, work)))

        for attempt in range(1 + self.retries):
            todo = [(i, sentence) for i, sentence in focus if work.short(i) or not attempt]
            if not todo:
                break
            shots = self._shots(unit.seed, attempt)
            rounds = self.questions_per_answer if attempt == 0 else 2
            sampling = seed + 1000 * attempt
            replies = yield json_ask(
                [self.prompts.question(shown, shots, sentence) for _, sentence in todo] * rounds,
                QUESTION_ANSWER if self.answer_mode == "free" else QUESTION,
                [sampling + 10 * r for r in range(rounds) for _ in todo],
                temperature=None if attempt == 0 else 1.0,
            )
            pairs = []
            for (index, sentence), reply in zip(todo * rounds, replies):
                pair = self._checked_question(reply, index, sentence, pool, known, passage, work)
                if pair is not None:
                    pairs.append({**pair, "origin": "question" if attempt == 0 else "retry"})
            new = work.add(pairs)
            originals = [(p, self.paraphrases) for p in new]
            if attempt == 0:
                originals += [(p, self.seed_paraphrases) for p in seed_pairs]
            work.add((yield from self._paraphrased(shown, originals, known, pool, sampling + 1, work)))

        # What is still short: its echo questions reworded once more, with other samples.
        short = {i for i, _ in focus if work.short(i)}
        again = [(p, 1) for p in work.kept if p["origin"] == "fact" and p["index"] in short]
        if again:
            work.add((yield from self._paraphrased(shown, again, known, pool, seed + 5000, work)))

        # the judge
        fresh = work.kept
        for pair in fresh:
            pair["context"] = window(candidates, pair["index"]) if pair["index"] < len(candidates) else passage
        judged_pairs = [p for p in fresh if p["origin"] != "seed"]  # the user's own Q&A are not judged
        if self.judge and judged_pairs:
            verdicts = yield verdict_ask(
                [self.prompts.judge(p["context"], p["question"], p["answer"]) for p in judged_pairs], seed + 100
            )
            judged = [p for p in fresh if p["origin"] == "seed"]
            for pair, verdict in zip(judged_pairs, verdicts):
                if verdict is None:
                    work.drop(pair["index"], "judge_unparsable")
                elif not verdict:
                    work.drop(pair["index"], "judge_rejected")
                else:
                    judged.append(pair)
            fresh = judged

        outcome.pairs = fresh
        outcome.facts = {candidates[i]: work.report(i) for i in unit.answers}
        return outcome

    def echo_pairs(self, sentences: list[tuple[int, str]], candidates: list[str], subject: str,
                   alias: tuple[str, str] = ("", "")) -> list[dict[str, Any]]:
        """An echo question (sdg.facts) for each term of each answer but the subject of its sentence, and
        one from the term's clause alone where the sentence joins several; "Who ...?" for a name that
        acts in a clause, a name's role ("Who is the head gardener ...?"), an event's month in the
        passive and a count given in an appositive or an "of which" clause; a list item or table row
        also gets a reader's questions of the thing it belongs to (sdg.attributes)."""
        pairs = []
        full = alias[1] or subject  # a document without a short name is still named in full
        for index, answer in sentences:
            for term in terms_of(answer, self.topic):
                before = candidates[index - 1] if index else ""
                # echo questions keep their sentence's words (origin "fact", and get a reader's form in
                # samples); the others are asked as a reader asks already
                made = [(q, "reader") for q in appositive_questions(answer, term, full)]
                if not opens_a_sentence(term, answer):
                    made += [(echo_for(answer, term, before, subject), "fact"),
                             (clause_echo(answer, term, (alias[0], full), before), "fact"),
                             (actor_question(answer, term, full), "reader"), (event_question(answer, term), "reader"),
                             (count_question(answer, term), "reader")]
                for question, origin in made:
                    if question:
                        pairs.append({"question": question, "answer": answer, "index": index, "origin": origin,
                                      "term": term.text})
            for question, term in attribute_questions(answer, full):
                pairs.append({"question": question, "answer": answer, "index": index, "origin": "attribute",
                              "term": term.text})
        return pairs

    def _checked_question(self, reply: dict[str, str] | None, index: int, sentence: str, pool: list[str],
                          known: str, passage: str, work: _UnitWork) -> dict[str, Any] | None:
        """The teacher's question for `sentence` as a pair, or None (the reason is counted)."""
        work.outcome.generated += 1
        if reply is None:
            return work.drop(index, "unparsable")
        from_seed = index >= work.n_candidates
        answer = sentence if from_seed else reply.get("answer", sentence)  # the user's answer stays
        if self.answer_mode == "free" and not from_seed and not grounded(answer, passage)[0]:
            return work.drop(index, "answer_not_grounded")
        ok, reason = check_question(reply["question"], answer, known, topic=self.topic)
        if not ok:
            return work.drop(index, reason)
        if not points_at(reply["question"], pool, index):
            return work.drop(index, "question_about_other_sentence")
        return {"question": reply["question"], "answer": answer, "index": index}

    def _paraphrased(self, shown: str, originals: list[tuple[dict[str, Any], int]], known: str, pool: list[str],
                     sampling: int, work: _UnitWork) -> Steps:
        """Paraphrases of each original (pair, how many), checked; all rounds are asked at once."""
        asked = [(pair, r) for pair, times in originals for r in range(times)]
        if not asked:
            return []
        # sampled hotter than the questions: a small teacher at 0.7 rewrites a question the same way every time
        replies = yield json_ask([self.prompts.paraphrase(shown, pair["question"]) for pair, _ in asked], QUESTION,
                                 [sampling + r for _, r in asked], max_tokens=80, temperature=1.0)
        out = []
        for (pair, _), reply in zip(asked, replies):
            work.outcome.generated += 1
            if reply is None:
                work.drop(pair["index"], "unparsable")
                continue
            reason = self.paraphrase_problem(reply["question"], pair["question"], pair["answer"], known, pair.get("term"))
            if reason:
                work.drop(pair["index"], reason)
            elif not points_at(reply["question"], pool, pair["index"]):
                work.drop(pair["index"], "question_about_other_sentence")
            else:
                out.append({**pair, "question": reply["question"], "origin": "paraphrase"})
        return out

    def paraphrase_problem(self, question: str, original: str, answer: str, known: str, term: str | None) -> str:
        """Why a rewording of `original` is unusable ("" when it is fine)."""
        # a paraphrase may reuse its original's words and needs a few of its own (synonyms)
        ok, reason = check_question(question, answer, f"{known}\n{original}", new_words=3, topic=self.topic)
        if not ok:
            return reason
        # what the prompt's own examples are about ("the old bridge": the words an example's rewording
        # keeps; its other words, "started", "person", are any question's) copied instead of the passage's
        borrowed = set().union(*(content_words(a) & content_words(b) for a, b in self.prompts.paraphrase_examples))
        if (content_words(question) & borrowed) - content_words(known):
            return "question_copies_an_example"
        # it asks about something else: it keeps too few of the original's words (at most three are
        # needed, so a long echo question may become a reader's short one, "Which architect designed
        # the new dairy?")
        kept = content_words(original)
        if kept and len(content_words(question) & kept) < min(3, 0.4 * len(kept)):
            return "paraphrase_drifted"
        if term and term.lower() in question.lower():
            return "answer_in_question"  # gives away the fact its echo question asked for
        return ""

    def commit(self, unit: KnowledgeUnit, outcome: UnitOutcome) -> UnitOutcome:
        """5. Two samples per kept pair, in the plan's order of units. Units run side by side, so a
        question may near-copy one of a unit committed meanwhile: dropped here. `kept` counts
        what the teacher made (of `generated`)."""
        named: Counter[tuple[str, str]] = Counter()
        for pair in outcome.pairs:
            if pair["origin"] != "seed":
                if self.dedup.is_duplicate(pair["question"]):
                    outcome.dropped["duplicate"] += 1
                    if pair["fact"] in outcome.facts:
                        fact = outcome.facts[pair["fact"]]
                        fact["questions"] -= 1
                        fact["dropped"]["duplicate"] = fact["dropped"].get("duplicate", 0) + 1
                    continue
                self.dedup.add(pair["question"])
                outcome.kept += 1
                pair = self._named(unit, pair, named)
            outcome.samples.extend(self.samples(unit, pair))
        outcome.pairs = []
        return outcome

    def _named(self, unit: KnowledgeUnit, pair: dict[str, Any], named: Counter[tuple[str, str]]) -> dict[str, Any]:
        """The first, third ... question of a fact that calls the document's subject, or another thing it
        names, by its short name ("the glassworks", "the cellars") names it in full ("the Solberg
        Glassworks", "the Stone Cellars"); the second, fourth ... that names a thing the document also
        calls by a role calls it by that role ("Where was the main telescope built?" for the Vossel
        refractor, direct.role_aliases). Neither where that brings it near an evaluation question: the
        fact is then found by a question in either form, also where it has only one such question."""
        question = pair["question"]
        # (what is renamed, how, whether its odd-numbered questions get it)
        rewrites: list[tuple[str, Callable[[str], str], int]] = [("", lambda q: self._in_full(unit, q), 1)]
        rewrites += [(role[0], lambda q, role=role: by_role(q, role), 0) for role in unit.source.roles]
        for key, rewrite, odd in rewrites:
            other = rewrite(question)
            if other == question:
                continue
            named[(pair["fact"], key)] += 1
            if named[(pair["fact"], key)] % 2 == odd and not near_evaluation(other, self.reserved):
                question = other
        return pair if question == pair["question"] else {**pair, "question": question}

    def samples(self, unit: KnowledgeUnit, pair: dict[str, Any]) -> list[dict[str, Any]]:
        meta = {
            "leaf": self.leaf,
            "kind": "knowledge",
            "unit": unit.id,
            "chunk": unit.source.id,
            "seed": unit.seed.id,
            "origin": pair["origin"],
            "question": pair["question"],
            "fact": pair["fact"],  # the sentence (or seed answer) it teaches: coverage is counted on it
        }
        with_context = f"{pair['context']}\n\n{pair['question']}"
        reader = self._reader_form(unit, pair) if pair["origin"] == "fact" else None
        alone = {**meta, "origin": "reader", "question": reader} if reader else meta
        return [
            {
                "messages": [{"role": "user", "content": with_context}, {"role": "assistant", "content": pair["answer"]}],
                "metadata": {**meta, "with_context": True},
            },
            {
                "messages": [{"role": "user", "content": alone["question"]}, {"role": "assistant", "content": pair["answer"]}],
                "metadata": {**alone, "with_context": False},
            },
        ]

    def _reader_form(self, unit: KnowledgeUnit, pair: dict[str, Any]) -> str | None:
        """An echo question asked as a reader asks it (sdg.reader), with the things it names in full
        ("How many wheels can the Stone Cellars hold at once?"); None where it cannot be made or comes near
        an evaluation question. Asked in place of the echo without its passage: in addition, its samples
        cost general answers (kelderwick 107% -> 91% of the base's) and gained no recall."""
        question = reader_question(pair["question"])
        if not question:
            return None
        question = self._in_full(unit, question)
        return None if near_evaluation(question, self.reserved) else question

    @staticmethod
    def _in_full(unit: KnowledgeUnit, question: str) -> str:
        """`question` with the subject and the other things its passage names called in full."""
        for alias in (unit.source.alias, *unit.source.names):
            question = named_in_full(question, alias)
        return question
