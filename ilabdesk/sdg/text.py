"""Word-level checks that keep a weak teacher honest.

A 135M teacher writes fluent text that is often not true. These functions
decide, without any model, whether a question is about its source passage,
whether an answer's facts (names, numbers, content words) all occur in the
source, and whether two questions are near-duplicates. They are the grounding
filter every teacher's output passes, big or small.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves one ones many much
    may might must shall upon via per among within without tell name named called known according text passage
    describe explain give list please question answer""".split()
)

_WORD = re.compile(r"[0-9]+(?:[.,:/-][0-9]+)*%?|[^\W\d_]+(?:['\u2019-][^\W\d_]+)*", re.UNICODE)
# A numbered item has at most three digits: a hard-wrapped line may start with a year ("1962. Its").
_MARKDOWN = re.compile(r"(\*\*|__|`|^#+\s*|^\s*(?:[-*+]|\d{1,3}[.)])\s+|\[|\]\([^)]*\))", re.M)


def strip_markdown(text: str) -> str:
    """Text without emphasis, list markers, heading marks and link targets."""
    return " ".join(_MARKDOWN.sub("", text).split())


def words(text: str) -> list[str]:
    """Lower-cased words and numbers, accents folded so "Café" matches "cafe"."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(folded)]


def _stem(word: str) -> str:
    """A crude stemmer: enough to match "founded"/"founding", "cities"/"city"."""
    for suffix in ("ies", "ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def content_words(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stopwords, no one-letter words)."""
    return {_stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())}


def key_terms(text: str) -> set[str]:
    """Numbers and capitalised names in `text`: the facts a wrong answer gets wrong first."""
    terms = set()
    tokens = _WORD.findall(text)
    for index, token in enumerate(tokens):
        if token[0].isdigit():
            terms.add(token.lower().rstrip("%"))
        elif token[0].isupper() and (index > 0 or token.isupper()) and token.lower() not in STOPWORDS:
            terms.add(_stem(token.lower()))
    return terms


def grounded(answer: str, source: str, min_share: float = 0.75) -> tuple[bool, str]:
    """Is every number and name of `answer`, and most of its content words, in `source`?

    Returns (ok, reason) so the caller can count why a sample was dropped.
    """
    source_words = content_words(source) | {w.lower() for w in words(source)}
    missing_terms = key_terms(answer) - source_words - {_stem(w) for w in words(source)}
    if missing_terms:
        return False, "answer names something not in the source: " + ", ".join(sorted(missing_terms)[:3])
    answer_words = content_words(answer)
    if not answer_words:
        return False, "answer has no content"
    share = len(answer_words & source_words) / len(answer_words)
    if share < min_share:
        return False, f"only {share:.0%} of the answer's words are in the source"
    return True, ""


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of two texts' word sets (stopwords included: they carry question form)."""
    set_a, set_b = set(words(a)), set(words(b))
    if not set_a or not set_b:
        return 0.0
    return len(set_a & set_b) / len(set_a | set_b)


_QUESTION_START = re.compile(
    r"^(what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|should|would|will|"
    r"has|have|had|in|on|at|for|from|by|to|of|according|name|list|describe|explain|tell|give|during)\b",
    re.I,
)


# Questions that ask for a count, a year, a person (who + a verb, or "who is the ..."; not "who was
# Ada Voss?", which asks what she was).
_ASKS_COUNT = re.compile(r"\b(how many|how old|what number|what percentage)\b", re.I)
_ASKS_YEAR = re.compile(r"\b(what|which) year\b", re.I)
_YEAR = re.compile(r"^[0-9]{3,4}s?$")
_ASKS_PERSON = re.compile(r"^[Ww]hom?\b(?! (is|was|are|were) [A-Z])")
NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million
    billion dozen once twice half""".split()
)


def answer_fits(question: str, answer: str) -> bool:
    """Does `answer` hold the kind of thing `question` asks for: a count, a year, a person's name?

    Only these kinds are checked, and only that the answer has one the
    question does not: "Who invented the resonator?" paired with "The
    resonator is a glass tube" teaches a small student to answer "who" with
    whatever it remembers about the subject.
    """
    asked = set(words(question)) | key_terms(question)
    if _ASKS_YEAR.search(question):
        return any(_YEAR.match(w) and w not in asked for w in words(answer))
    if _ASKS_COUNT.search(question):
        return any((w[0].isdigit() or w in NUMBER_WORDS) and w not in asked for w in words(answer))
    if _ASKS_PERSON.match(question):
        return any(not term[0].isdigit() for term in key_terms(answer) - asked)
    return True


# A question that points at "the text" is useless without it.
_META = re.compile(r"\b(the|this|that|above|given|following) (text|passage|document|article|paragraph|excerpt|context|sentence)\b", re.I)


def check_question(
    question: str, answer: str, source: str, new_words: int = 1, topic: frozenset[str] = frozenset()
) -> tuple[bool, str]:
    """A usable question for `answer`: a real question, about the source, not giving the answer away.

    At most `new_words` content words may be missing from the source: a question
    written for a sentence needs none, a paraphrase needs its synonyms. The
    question must share a word with its answer besides the `topic` (the
    leaf's subject, see `topic_words`): "What is Quellmoor Island?" paired
    with one fact teaches a small student to answer every question about the
    island with that fact.
    """
    question = " ".join(question.split())
    n_words = len(words(question))
    if n_words < 3 or n_words > 40:
        return False, "question_length"
    if not question.endswith("?") or not _QUESTION_START.match(question):
        return False, "not_a_question"
    if _META.search(question):
        return False, "question_mentions_text"
    source_words = content_words(source) | set(words(source))
    if key_terms(question) - source_words:
        return False, "question_invented_name"
    q_words = content_words(question)
    if len(q_words - source_words) > new_words:
        return False, "question_invented_words"
    if not q_words & content_words(source):
        return False, "question_off_topic"
    a_words = content_words(answer)
    if not q_words & a_words:
        return False, "question_not_about_answer"
    if not (q_words & a_words) - topic:
        return False, "question_only_names_topic"
    if not a_words - q_words:
        return False, "answer_in_question"
    if similarity(question, answer) > 0.8:
        return False, "answer_in_question"
    if not answer_fits(question, answer):
        return False, "answer_does_not_fit_question"
    return True, ""


def topic_words(questions: list[str]) -> frozenset[str]:
    """Content words in at least a third of a leaf's seed questions: the subject they all name."""
    if len(questions) < 3:  # too few to tell a subject from a coincidence
        return frozenset()
    counts = Counter(word for question in questions for word in content_words(question))
    return frozenset(w for w, n in counts.items() if n * 3 >= len(questions))


def facts_of(question: str, answer: str) -> list[str]:
    """The key facts of a reference answer: its names and numbers not already in the question.

    Evaluation counts an answer as right when it contains these. When the
    answer has no names or numbers, its content words not in the question are used.
    """
    q_words = set(words(question)) | content_words(question)
    found: list[str] = []
    tokens = _WORD.findall(answer)
    # Runs of capitalised words are one fact ("Port Quillon"), numbers are one each.
    run: list[str] = []
    for index, token in enumerate(tokens + [""]):
        # a capitalised first word is a name only when the next word is one too ("Ada Voss kept")
        next_is_name = index + 1 < len(tokens) and tokens[index + 1][:1].isupper()
        is_name = bool(token) and token[0].isupper() and (index > 0 or next_is_name) and token.lower() not in STOPWORDS
        if is_name:
            run.append(token)
            continue
        if run:
            phrase = " ".join(run)
            if not all(_stem(w.lower()) in q_words or w.lower() in q_words for w in run):
                found.append(phrase)
            run = []
        if token and token[0].isdigit() and token.lower() not in q_words:
            found.append(token)
    if not found:
        found = [w for w in dict.fromkeys(words(answer)) if w not in STOPWORDS and w not in q_words and _stem(w) not in q_words][:3]
    return list(dict.fromkeys(found))


_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d{1,3}[.)])\s")
_ITEM_START = re.compile(rf"{_LIST_ITEM.pattern}|\s*[#|]")  # a list item, a heading or a table row
# "Length of line: 11 kilometres": a label of a few words, a colon, a value (sdg.attributes)
LABELLED = re.compile(r"^([A-Z][\w'’-]*(?: [\w'’-]+){0,4}): (\S.*)$")


def logical_lines(block: str) -> list[str]:
    """The lines of a paragraph as written, not as wrapped: hard-wrapped text (most Markdown,
    text from PDFs) is joined, while headings, list items and table rows stay lines of their own.

    Splitting at every newline instead cuts sentences in half, and a half sentence
    such as "work in the Pottery Guild, founded in 1902." is a wrong answer to learn.
    """
    lines: list[str] = []
    for line in block.split("\n"):
        if not line.strip():
            continue
        if lines and not _ITEM_START.match(line) and not lines[-1].lstrip().startswith(("#", "|")):
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return lines


# A sentence that points back early ("Its roof ...", "That year ...", "Around 70 per cent of it
# is ...") states its fact only together with the sentence before it.
_ANAPHOR = re.compile(r"^(?:(?:This|That|These|Those|The same)\b|(?:\S+\s+){0,5}?(?i:it|its|they|their|them|he|she|his|her)\b)")


def answer_candidates(passage: str) -> list[str]:
    """Sentences of `passage` that state a fact: the answers the teacher writes questions for.

    Headings, code and very short or very long sentences are left out; list
    items count when they are sentence-like or a label and its value ("Area: 28
    hectares"), a table's rows as table_sentences writes them. A sentence that opens
    with "It" or "Its" gets the subject of the one before in its place
    (facts.stands_alone); one that opens with another pronoun or "That year" is
    joined to the one before it, so the answer says what it is about ("Until
    1926 visitors climbed ... That year a funicular railway was opened ..."):
    alone it teaches a fact with no subject.
    """
    from ilabdesk.documents.chunk import paragraphs, split_sentences
    from ilabdesk.sdg.facts import stands_alone

    out: list[str] = []
    for block in paragraphs(passage):
        if block.startswith("```"):
            continue
        lines = logical_lines(block)
        table = [line for line in lines if line.lstrip().startswith("|")]
        for line in [line for line in lines if not line.lstrip().startswith("|")] + table_sentences(table):
            if line.lstrip().startswith("#"):
                continue
            previous = ""
            item = bool(_LIST_ITEM.match(line))
            for sentence in split_sentences(strip_markdown(line)):
                n_words = len(words(sentence))
                alone = stands_alone(sentence, previous) if previous else None
                if alone:
                    sentence, n_words, previous = alone, len(words(alone)), ""
                elif previous and _ANAPHOR.match(sentence) and n_words + len(words(previous)) <= 60:
                    if out and out[-1] == previous:
                        out.pop()
                    sentence, n_words = f"{previous} {sentence}", n_words + len(words(previous))
                    previous = ""  # one sentence of context is enough
                else:
                    previous = sentence
                # a list item of a label and its value ("Area: 28 hectares") states a fact in a few words
                shortest = 2 if item and LABELLED.match(sentence) else 5
                dense = len(content_words(sentence)) >= min(3, n_words)
                if shortest <= n_words <= 60 and dense and not sentence.endswith("?"):
                    out.append(sentence)
    return list(dict.fromkeys(out))


_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")
# a column whose header says nothing of what its cells are: the cell is read alone
_BARE_HEADERS = frozenset("notes note remarks comments comment description details other".split())


def table_sentences(rows: list[str]) -> list[str]:
    """A Markdown table's rows as sentences that say what each cell is: "| Saloon coach Marjorie |
    1908 | 24 | tea trains |" under "| Vehicle | Built | Seats | Notes |" -> "Saloon coach Marjorie:
    built 1908; seats 24; tea trains." A row alone is no answer a reader could learn from, and its
    facts would go untaught; a row without a header row above it (a table cut by chunking) lists its
    cells."""
    cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]
    header: list[str] = []
    if len(rows) > 1 and _TABLE_RULE.match(rows[1].strip()):
        header = ["" if h.lower() in _BARE_HEADERS else h[:1].lower() + h[1:] if h[1:].islower() else h
                  for h in cells[0]]
        cells = cells[2:]
    out = []
    for row in cells:
        if _TABLE_RULE.match("|".join(row)) or not any(row[1:]):
            continue
        parts = [f"{header[i]} {value}" if i < len(header) and header[i] else value
                 for i, value in enumerate(row[1:], start=1) if value]
        out.append(f"{row[0]}: {'; '.join(parts)}." if row[0] else f"{'; '.join(parts)}.")
    return out


def fact_score(sentence: str) -> int:
    """How fact-dense a sentence is: numbers and names count most."""
    return 2 * sum(1 for t in key_terms(sentence) if t[0].isdigit()) + len(key_terms(sentence)) + 1


def window(sentences: list[str], index: int, max_words: int = 90) -> str:
    """The sentence at `index` with its neighbours, up to about `max_words` words: a short context."""
    lo = hi = index
    used = len(words(sentences[index]))
    while True:
        grown = False
        for candidate in (lo - 1, hi + 1):
            if 0 <= candidate < len(sentences):
                size = len(words(sentences[candidate]))
                if used + size <= max_words:
                    used += size
                    lo, hi = min(lo, candidate), max(hi, candidate)
                    grown = True
        if not grown:
            break
    return " ".join(sentences[lo : hi + 1])


def points_at(question: str, sentences: list[str], index: int, margin: float = 0.75) -> bool:
    """Does the question point at sentence `index` at least about as much as at any other?

    Sentences are scored by the IDF-weighted words they share with the
    question. A question whose answer sentence scores well below the best one
    is really about another sentence: pairing it with this answer would teach
    a wrong fact ("the highest mountain" -> the name of the chief elder). The
    margin forgives answers that say "Its capital" where the question names
    the country.
    """
    import math

    bags = [content_words(s) for s in sentences]
    q_words = content_words(question)
    scores = []
    for bag in bags:
        score = 0.0
        for word in q_words & bag:
            df = sum(1 for other in bags if word in other)
            score += math.log(1 + len(bags) / df)
        scores.append(score)
    return scores[index] > 0 and scores[index] >= margin * max(scores)
