"""Multiple-choice questions on a document's facts, like InstructLab's MMLU-branch.

Each item is a real question about one fact of the document, with that fact
and up to three other facts *of the same kind* from the same document as the
options (years with years, amounts of the same unit with amounts, names with
names), so all options look plausible and only knowing the document helps.
With a dataset, the questions are its document questions (sdg.heldout); for
a bare document, the echo questions of its sentences (sdg.facts). The right
answer's position is shuffled in turn (a model with a favourite letter
scores chance) and distractors are drawn with a fixed seed: the same
document always gives the same items, and re-runs are comparable.

The model answers freely; the option it picked is the one whose text (or
letter) its answer names, so no logprob API is needed and endpoints work too.
"""

from __future__ import annotations

import hashlib
import random
import re

from ilabdesk.evaluation.questions import EvalItem
from ilabdesk.evaluation.scoring import contains_fact

LETTERS = "ABCD"


def choice_item(leaf: str, question: str, fact: str, options: list[str], position: int, context: str = "") -> EvalItem:
    """A multiple-choice item: `question` with lettered options, `fact` at `position` (modulo their number)."""
    options = [o for o in options if o != fact]
    options.insert(position % (len(options) + 1), fact)
    lines = [f"{LETTERS[i]}) {option}" for i, option in enumerate(options)]
    text = f"{question}\n\n" + "\n".join(lines) + "\n\nAnswer with the letter and the option."
    return EvalItem("choice", leaf, text, fact, [fact], list(options), options.index(fact), context=context or question)


def build_choice_items(markdown: str, leaf: str, limit: int = 10, seed: int = 0) -> list[EvalItem]:
    """Up to `limit` items from one document, spread over its fact-bearing sentences."""
    from ilabdesk.sdg.facts import document_subject, echo_for
    from ilabdesk.sdg.heldout import options_for, pick_facts
    from ilabdesk.sdg.text import answer_candidates, words

    facts = answer_candidates(markdown)
    subject = document_subject(markdown)
    topic = frozenset(words(subject))  # the document's subject is in every question, never an answer
    found = []
    for index, term in pick_facts(facts, set(), topic, 4 * limit):
        question = echo_for(facts[index], term, facts[index - 1] if index else "", subject)
        digest = hashlib.sha1(f"{seed}:{facts[index]}".encode()).hexdigest()
        options = options_for(term, facts[index], facts, topic, random.Random(int(digest[:12], 16)))
        if question and len(options) >= 3:
            found.append((question, term.text, options, facts[index]))
    if len(found) > limit:  # spread evenly over the document
        step = len(found) / limit
        found = [found[int(i * step)] for i in range(limit)]
    return [choice_item(leaf, q, fact, options, number + seed, sentence)
            for number, (q, fact, options, sentence) in enumerate(found)]


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
