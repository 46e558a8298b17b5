"""What one unit of SDG work starts from and produces, shared by knowledge and skills SDG.

A leaf's seed examples are split into units (knowledge: a chunk and a seed;
skills: a seed). Each unit runs on its own seed, so a run resumed after a kill
makes the samples a fresh run would; its outcome (kept pairs, samples, drop
reasons) is journalled when the unit is done (sdg.dataset); a leaf-wide
duplicate filter keeps units from teaching one question twice.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ilabdesk.sdg.facts import terms_of
from ilabdesk.sdg.text import similarity, words


@dataclass
class SeedExample:
    """One seed example of a leaf: its context (if any) and its Q&A pairs."""

    id: str
    context: str | None
    qas: list[tuple[str, str]]


@dataclass
class UnitOutcome:
    """What a unit produced: its pairs (until committed), then its samples; generated and dropped (by reason)."""

    pairs: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    generated: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    # per document sentence the unit taught: {"questions": kept, "dropped": {reason: n}} (coverage)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)


def unit_seed(run_seed: int, leaf: str, unit: str) -> int:
    """A seed for one unit, independent of which units ran before: resumed runs match fresh ones."""
    digest = hashlib.sha256(f"{run_seed}:{leaf}:{unit}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


class Dedup:
    """Near-duplicate question filter (word-set Jaccard similarity).

    With `by_facts`, near-identical questions that state different names or
    numbers are not duplicates: they ask for different facts. A sentence's echo
    questions differ only there ("… trains how many apprentices …; … lasts three
    years?" and "… trains four apprentices …; … lasts how many years?"), and
    without it every fact of a sentence but one lost its question.
    """

    def __init__(self, threshold: float = 0.85, by_facts: bool = False) -> None:
        self.threshold = threshold
        self.by_facts = by_facts
        self.seen: list[str] = []
        self._exact: set[str] = set()

    def _key(self, question: str) -> str:
        return " ".join(words(question))

    def is_duplicate(self, question: str, also: list[str] = ()) -> bool:
        if self._key(question) in self._exact or any(self._key(q) == self._key(question) for q in also):
            return True
        close = (other for other in [*self.seen, *also] if similarity(question, other) >= self.threshold)
        first = next(close, None)
        if first is None or not self.by_facts:
            return first is not None
        stated = _stated(question)  # only for a close pair: terms_of is a regex pass
        return any(_stated(other) == stated for other in itertools.chain([first], close))

    def add(self, question: str) -> None:
        self.seen.append(question)
        self._exact.add(self._key(question))


def _stated(question: str) -> frozenset[str]:
    """The names and numbers a question states (sdg.facts' terms)."""
    return frozenset(term.text for term in terms_of(question))
