"""Reference scoring: are the reference's key facts in the answer, and ROUGE-L.

Small models phrase a correct answer in many ways ("4,380" / "4380",
"14 September" / "the 14th of September"), so both sides are normalised to
lowercase word and number tokens before matching; a fact counts when its
tokens appear contiguously in the answer, a plain plural standing for its
singular ("on Wednesdays" states "Wednesday").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
    "hundred": "100", "thousand": "1000",
}  # fmt: skip

# Words that carry no fact: sentence glue, question words, generic verbs.
STOPWORDS = frozenset(
    """a an the and or but of in on at to for from by with about as into over under than then
    is are was were be been being has have had do does did it its this that these those there
    their they them he she his her him we our you your i me my who whom whose what which when
    where why how not no yes also very more most much many some any all each every only just
    so such can could would should will shall may might must one ones called named known because
    well here""".split()
)

Fact = str | Sequence[str]  # a phrase, or alternative phrases of which one must appear


def tokens(text: str) -> list[str]:
    """Lowercase word/number tokens with accents folded, thousands separators and ordinals removed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"(?<=\d)[,_ ](?=\d{3}\b)", "", text)  # 4,380 / 4 380 -> 4380
    text = re.sub(r"(\d+)(?:st|nd|rd|th)\b", r"\1", text)  # 14th -> 14
    raw = re.findall(r"\d+(?:\.\d+)?|[a-z]+", text)
    return [_NUMBER_WORDS.get(tok, tok) for tok in raw]


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    if not needle:
        return False
    n = len(needle)
    first = needle[0]
    return any(haystack[i] == first and list(haystack[i : i + n]) == list(needle) for i in range(len(haystack) - n + 1))


def _singular(token: str) -> str:
    """"wednesdays" -> "wednesday": a fact named in the singular is stated in a plural answer too."""
    plural = len(token) > 3 and token.isalpha() and token.endswith("s") and not token.endswith("ss")
    return token[:-1] if plural else token


def contains_fact(answer: str, fact: Fact) -> bool:
    """True when the answer contains the fact (or one of its alternatives) after normalisation."""
    alternatives = [fact] if isinstance(fact, str) else list(fact)
    answer_tokens = [_singular(t) for t in tokens(answer)]
    return any(_contains(answer_tokens, [_singular(t) for t in tokens(alt)]) for alt in alternatives)


def fact_recall(answer: str, facts: Iterable[Fact]) -> float | None:
    """Share of facts present in the answer; None when there are no facts to check."""
    facts = list(facts)
    if not facts:
        return None
    return sum(contains_fact(answer, fact) for fact in facts) / len(facts)


def key_facts(reference: str, question: str = "") -> list[str]:
    """Facts worth checking in a reference answer: numbers and names the question does not already say.

    Used when a test sample carries no explicit facts. Capitalised words that
    do not start a sentence, and every number, are facts; if there are none,
    the content words new to the answer stand in (at most five).
    """
    asked = set(tokens(question))
    facts: list[str] = []

    def add(candidate: str) -> None:
        toks = tokens(candidate)
        if toks and not all(t in asked or t in STOPWORDS for t in toks) and candidate not in facts:
            facts.append(candidate)

    for number in re.findall(r"\d[\d,]*(?:\.\d+)?", reference):
        add(number.rstrip(","))
    for sentence in re.split(r"(?<=[.!?])\s+", reference.strip()):
        words = re.findall(r"[\w'-]+", sentence)
        for index, word in enumerate(words):
            if word[:1].isupper() and (index > 0 or word.lower() not in STOPWORDS) and not word.isdigit():
                add(word)
    if facts:
        return facts
    for word in tokens(reference):
        if word not in asked and word not in STOPWORDS and len(word) > 3:
            add(word)
        if len(facts) >= 5:
            break
    return facts


def rouge_l(reference: str, candidate: str, beta: float = 1.2) -> float:
    """ROUGE-L F-score (longest common subsequence of tokens), as in Lin (2004)."""
    ref, cand = tokens(reference), tokens(candidate)
    if not ref or not cand:
        return 0.0
    previous = [0] * (len(cand) + 1)
    for r in ref:
        current = [0]
        for j, c in enumerate(cand):
            current.append(previous[j] + 1 if r == c else max(previous[j + 1], current[j]))
        previous = current
    lcs = previous[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return (1 + beta**2) * precision * recall / (recall + beta**2 * precision)
