"""Multiple-choice questions built from a leaf's documents, like InstructLab's MMLU-branch.

A sentence of the document with one fact blanked out is the question; the
fact is the right option and other facts *of the same type* from the same
document (years with years, numbers with numbers, names with names) are the
distractors, so the options all look plausible and only knowing the document
helps. The right answer's position rotates over the questions, so a model
with a favourite letter scores chance. Everything is derived from the text
with a seeded shuffle: the same
document always gives the same questions, and re-runs are comparable.

The model answers freely; the option it picked is the one whose text (or
letter) its answer names, so no logprob API is needed and endpoints work too.
"""

from __future__ import annotations

import hashlib
import random
import re

from ilabdesk.evaluation.questions import EvalItem
from ilabdesk.evaluation.scoring import STOPWORDS, contains_fact, tokens

LETTERS = "ABCD"
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*\b")


def sentences(markdown: str) -> list[str]:
    """Prose sentences of a Markdown text (headings, tables, code and list markers dropped)."""
    text = re.sub(r"(?ms)^```.*?^```", " ", markdown)
    text = re.sub(r"(?s)<!--.*?-->", "\n\n", text)  # page markers of converted PDFs
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.splitlines()]
        lines = [re.sub(r"^([-*+]|\d+\.)\s+", "", ln) for ln in lines if ln and not ln.startswith(("#", "|", ">"))]
        if lines:
            paragraphs.append(" ".join(lines))
    found = []
    for paragraph in paragraphs:
        paragraph = re.sub(r"[*_`]+", "", paragraph)
        found += [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", paragraph) if len(s.split()) >= 5]
    return found


def _facts_in(sentence: str) -> list[tuple[str, str]]:
    """(type, text) facts in a sentence; a name never starts the sentence unless it is several words."""
    facts = [("year", m.group()) for m in _YEAR.finditer(sentence)]
    years = {text for _, text in facts}
    facts += [("number", m.group().rstrip(",")) for m in _NUMBER.finditer(sentence) if m.group() not in years]
    for match in _NAME.finditer(sentence):
        name = match.group()
        words = name.split()
        if match.start() == 0 and (len(words) == 1 or words[0].lower() in STOPWORDS):
            continue
        facts.append(("name", name))
    return facts


def _title_tokens(markdown: str) -> set[str]:
    heading = next((ln.lstrip("# ").strip() for ln in markdown.splitlines() if ln.startswith("#")), "")
    return set(tokens(heading))


def build_choice_items(markdown: str, leaf: str, limit: int = 10, seed: int = 0) -> list[EvalItem]:
    """Up to `limit` four-option (at least three) questions from one document, spread over its sentences."""
    title = _title_tokens(markdown)
    sentence_list = sentences(markdown)
    by_sentence = []
    pool: dict[str, list[str]] = {"year": [], "number": [], "name": []}
    for sentence in sentence_list:
        # The document's subject (its title) is in every question, so it is never a useful answer.
        facts = [(kind, text) for kind, text in _facts_in(sentence) if not set(tokens(text)) <= title]
        by_sentence.append(facts)
        for kind, text in facts:
            if all(tokens(text) != tokens(seen) for seen in pool[kind]):
                pool[kind].append(text)
    candidates = []
    for sentence, facts in zip(sentence_list, by_sentence):
        # Prefer the rarest kind of fact that has enough same-kind distractors.
        for kind in ("year", "number", "name"):
            options = [(k, t) for k, t in facts if k == kind]
            if not options:
                continue
            kind_, answer = options[0]
            distractors = [t for t in pool[kind_] if not contains_fact(sentence, t) and tokens(t) != tokens(answer)]
            if len(distractors) >= 2:
                candidates.append((sentence, answer, distractors))
                break
    if len(candidates) > limit:  # spread evenly over the document
        step = len(candidates) / limit
        candidates = [candidates[int(i * step)] for i in range(limit)]
    items = []
    for number, (sentence, answer, distractors) in enumerate(candidates):
        digest = hashlib.sha1(f"{seed}:{sentence}".encode()).hexdigest()
        rng = random.Random(int(digest[:12], 16))
        options = rng.sample(distractors, min(3, len(distractors)))
        # The right answer takes each position in turn: a small model that always says "A"
        # then scores chance, not whatever share of answers a shuffle happened to put first.
        options.insert((number + seed) % (len(options) + 1), answer)
        blanked = sentence.replace(answer, "_____", 1)
        lines = [f"{LETTERS[i]}) {opt}" for i, opt in enumerate(options)]
        question = (
            "Which option fills the blank?\n\n"
            f"{blanked}\n\n" + "\n".join(lines) + "\n\nAnswer with the letter and the option."
        )
        items.append(
            EvalItem("choice", leaf, question, answer, [answer], options, options.index(answer), context=sentence)
        )
    return items


def picked_option(answer: str, options: list[str]) -> int | None:
    """Which option an answer picks: the only option text it names, else a leading letter; None if unclear."""
    named = [i for i, opt in enumerate(options) if contains_fact(answer, opt)]
    if len(named) == 1:
        return named[0]
    letters = LETTERS[: len(options)]
    match = re.match(rf"\s*(?:answer\s*(?:is)?\s*:?\s*)?\(?([{letters}])\b[).:]?", answer, flags=re.IGNORECASE)
    if match and (match.group(1).isupper() or len(answer.strip()) <= 3):
        return letters.index(match.group(1).upper())
    return None
