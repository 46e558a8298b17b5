"""What a skill's seed answers have in common, as a schema for the teacher and a check for its answers.

A skill is learned from its examples' form as much as from their content: a
meeting note summarised as one JSON object with `date` as YYYY-MM-DD, a note
that always opens with "Dear". `infer_shape` finds what every seed answer
shares:

- a JSON object: the same keys, each with one value type (text, whole
  number, number, yes/no, a list of texts), and text values that all follow
  one format (a date as 2025-08-16, a time as 14:30, a number) keep it. The
  teacher's answers are constrained to that JSON schema (llama.cpp grammar,
  or an endpoint's JSON mode), so even a small teacher writes the shape;
- text: an opening or closing word all seeds share, a list when every seed
  is one, and a length range around the seeds'.

For a grounded skill, a key whose every seed value is a piece of its
seed's context (a name, "two spanners") is a *span* key, and a date key
whose every seed value is its context's date written as 2025-08-16 is a
*date* key: `schema_for(context)` then lets those values be only the
context's pieces or dates, so a small teacher picks the answer out of the
context instead of writing one. `Shape.check` says whether an answer has the
shape and, for a grounded skill, whether its names and numbers come from the
context (a date written 2025-08-16 counts when its day, month and year are
in the context) and its span values stand in it. A span key's values also
have *forms* all its seed values share (a name, lower case, no digits,
several words, a whole phrase): the teacher may pick only such pieces, and
`Shape.check_sample` holds training samples to them.

Two copies of a grounded sample need no teacher: `redated` moves it to
another day, `refilled` puts another answer's span values in its places.
"""

from __future__ import annotations

import calendar
import datetime
import json
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from ilabdesk.sdg.facts import MONTHS, WEEKDAYS
from ilabdesk.sdg.text import STOPWORDS, content_words, key_terms, words

FORMATS = {
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "time": r"^[0-9]{1,2}:[0-9]{2}$",
    "number": r"^-?[0-9]+(\.[0-9]+)?$",
}
_LIST_LINE = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)])\s+")


def parse_object(text: str) -> dict[str, Any] | None:
    """`text` as a JSON object (a ```json fence allowed around it), else None."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`").removeprefix("json").strip()
    if not stripped.startswith("{"):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _as_list(value: Any) -> list[Any]:
    """A list value as it is, any other as a list of one: a key holds one text or a list of them."""
    return value if isinstance(value, list) else [value]


def _value_schema(values: list[Any]) -> dict[str, Any] | None:
    """One JSON schema for the values one key takes across the seeds; None when they disagree."""
    if all(isinstance(v, bool) for v in values):
        return {"type": "boolean"}
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return {"type": "integer"}
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return {"type": "number"}
    if all(isinstance(v, str) for v in values):
        schema: dict[str, Any] = {"type": "string"}
        for pattern in FORMATS.values():
            if all(re.match(pattern, v.strip()) for v in values):
                schema["pattern"] = pattern
                break
        return schema
    if all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in values):
        return {"type": "array", "items": {"type": "string"}, "minItems": 1}
    return None


@dataclass
class Shape:
    """The form every seed answer shares (see the module docstring); `kind` is "json" or "text"."""

    kind: str
    schema: dict[str, Any] | None = None
    opening: str = ""
    closing: str = ""
    is_list: bool = False
    min_words: int = 1
    max_words: int = 400
    notes: list[str] = field(default_factory=list)  # what was inferred, in words, for the summary
    spans: dict[str, int] = field(default_factory=dict)  # span key -> the most words a seed value has
    dates: list[str] = field(default_factory=list)  # date keys
    forms: dict[str, list[str]] = field(default_factory=dict)  # span key -> the FORMS all its seed values have

    def schema_for(self, context: str | None) -> dict[str, Any] | None:
        """The JSON schema for an answer about `context`: span and date keys limited to what it holds."""
        if not self.schema or not context or not (self.spans or self.dates):
            return self.schema
        schema = json.loads(json.dumps(self.schema))
        for key, longest in self.spans.items():
            pieces = context_spans(context, longest + 1)
            rule = schema["properties"][key]
            target = rule["items"] if rule.get("type") == "array" else rule
            fitting = [p for p in pieces if has_forms(p, self.forms.get(key, []))]
            if fitting or pieces:
                target["enum"] = fitting or pieces
        found = context_dates(context)
        for key in self.dates:
            if found:
                schema["properties"][key] = {"type": "string", "enum": found}
        return schema

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Shape:
        return cls(**data)

    def check(self, answer: str, context: str | None = None) -> tuple[bool, str]:
        """(ok, reason): the answer has the shape, and with a context its names and numbers are in it."""
        answer = answer.strip()
        if self.kind == "json":
            value = parse_object(answer)
            if value is None:
                return False, "answer_not_json"
            ok, reason = _matches(value, self.schema or {})
            if not ok:
                return False, reason
            texts = [x for v in value.values() for x in _as_list(v) if isinstance(x, str)]
            if context is not None and not all(grounded_value(t, context) for t in texts):
                return False, "answer_not_grounded"
            if context is not None and not all(x.lower() in context.lower() for x in self._span_values(value)):
                return False, "answer_not_from_the_context"
            return True, ""
        n_words = len(words(answer))
        if not self.min_words <= n_words <= self.max_words:
            return False, "answer_length"
        if self.opening and not answer.lower().startswith(self.opening.lower()):
            return False, "answer_opening"
        if self.closing and not answer.rstrip(" .!").lower().endswith(self.closing.lower()):
            return False, "answer_closing"
        if self.is_list and not any(_LIST_LINE.match(line) for line in answer.splitlines()):
            return False, "answer_not_a_list"
        if context is not None and key_terms(answer) - _known(context):
            return False, "answer_not_grounded"
        return True, ""

    def check_sample(self, answer: str, context: str | None = None) -> tuple[bool, str]:
        """`check`, and for a training sample also: each span value has the forms all the seeds'
        values have (`value_forms`), and no span value repeats or holds another (an item listed
        twice, a title given as the borrower too). Not for scoring a model's answer: "Dubai" is a
        fine place although every seed's place had two words; a teacher's "The" is no recipient."""
        ok, reason = self.check(answer, context)
        if ok and self.kind == "json" and context is not None:
            value = parse_object(answer.strip()) or {}
            if not all(has_forms(x, self.forms.get(k, [])) for k in self.spans for x in self._span_values(value, k)):
                return False, "answer_value_unlike_the_seeds"
            texts = [x.lower() for x in self._span_values(value)]
            if any(a in b for i, a in enumerate(texts) for j, b in enumerate(texts) if i != j):
                return False, "answer_values_overlap"  # "Clockmaker's Daughter" as borrower of "The Clockmaker's Daughter"
        return ok, reason

    def _span_values(self, value: dict[str, Any], key: str | None = None) -> list[str]:
        """The texts of the span keys (of `key` only, when given) in a parsed answer."""
        return [x for k in ([key] if key else self.spans) for x in _as_list(value.get(k)) if isinstance(x, str)]

    def score(self, question: str, answer: str, context: str | None, task_opening: str = "") -> tuple[bool, str]:
        """(right, why not) for an answer to a held-out input: the shape check, and the content: a
        grounded answer names something of its context, a freeform one something its task asks
        about beyond the words every task opens with (`task_opening`, "Write a thank-you note to")."""
        ok, reason = self.check(answer, context)
        if not ok:
            return False, reason
        if context is not None:
            if not key_terms(answer) & _known(context) and not any(
                    grounded_value(v, context) and re.search(r"[0-9]", v) for v in re.findall(r'"([^"]+)"', answer)):
                return False, "answer_names_nothing_of_the_context"
        elif not (content_words(question) - content_words(task_opening)) & content_words(answer):
            return False, "answer_not_about_the_task"
        return True, ""


def _known(context: str) -> set[str]:
    """Every form a name or number of `context` can take in `key_terms` (stems and plain words)."""
    return content_words(context) | {w.lower() for w in words(context)}


def _matches(value: dict[str, Any], schema: dict[str, Any]) -> tuple[bool, str]:
    properties = schema.get("properties", {})
    if set(schema.get("required", [])) - set(value):
        return False, "answer_missing_keys"
    if set(value) - set(properties):
        return False, "answer_extra_keys"
    for key, rule in properties.items():
        item = value.get(key)
        kind = rule.get("type")
        if kind == "string" and (not isinstance(item, str) or not item.strip()
                                 or ("pattern" in rule and not re.match(rule["pattern"], item.strip()))):
            return False, "answer_wrong_value"
        if kind == "array" and not (isinstance(item, list) and item and all(isinstance(x, str) and x.strip() for x in item)):
            return False, "answer_wrong_value"
        if kind in ("integer", "number") and (isinstance(item, bool) or not isinstance(item, (int, float))):
            return False, "answer_wrong_value"
        if kind == "boolean" and not isinstance(item, bool):
            return False, "answer_wrong_value"
    return True, ""


def grounded_value(value: str, context: str) -> bool:
    """Are the names and numbers of one answer value in the context? A date 2025-08-16 counts when
    the context has its year and its day and month (as "16 August", "August 16" or "16/08")."""
    context_words = set(words(context))
    if re.match(FORMATS["date"], value.strip()):
        year, month, day = value.strip().split("-")
        month_name = MONTHS[int(month) - 1] if 1 <= int(month) <= 12 else ""
        numbers = {w.lstrip("0") for w in re.findall(r"[0-9]+", context)}
        return year in context_words and day.lstrip("0") in numbers and (
            month_name in context_words or month_name[:3] in context_words or month.lstrip("0") in numbers)
    terms = key_terms(value) | {w for w in words(value) if w[0].isdigit()}
    return terms <= _known(context)


_JOINERS = {"a", "an", "the", "and", "or", "but", "of", "to", "for", "from", "in", "on", "at", "by", "with", "as"}
FORMS = {
    "a name": lambda v: all(w[:1].isupper() and w.lower() not in _JOINERS for w in v.split()),
    "lower case": lambda v: v[:1].islower(),
    "no digits": lambda v: not re.search(r"[0-9]", v),
    "several words": lambda v: len(v.split()) >= 2,
    "a whole phrase": lambda v: bool(v.split()) and v.split()[-1].lower().strip(".,;:'\"") not in _JOINERS,
}


def value_forms(values: list[str]) -> list[str]:
    """The FORMS every seed value of one span key has: recipients all names of several words, items
    all lower-case whole phrases ("two spanners"). A generated value must have them too, so "May 2022"
    is no item, "The" no recipient and "a box of" no item."""
    return [name for name, test in FORMS.items() if values and all(test(v) for v in values)]


def has_forms(value: str, forms: list[str]) -> bool:
    return all(FORMS[name](value) for name in forms)


def context_spans(context: str, longest: int) -> list[str]:
    """Every run of 1 to `longest` words of `context` inside one clause (no comma or full stop within)."""
    pieces: list[str] = []
    for clause in re.split(r"[,.;:!?()\n]+", context):
        tokens = clause.split()
        for start in range(len(tokens)):
            for end in range(start + 1, min(len(tokens), start + longest) + 1):
                piece = " ".join(tokens[start:end]).strip("\"'")
                if piece and piece not in pieces:
                    pieces.append(piece)
    return pieces


_DAY_MONTH = re.compile(r"\b([0-9]{1,2})(?:st|nd|rd|th)? (" + "|".join(MONTHS) + r"),? ([0-9]{4})\b", re.I)
_MONTH_DAY = re.compile(r"\b(" + "|".join(MONTHS) + r") ([0-9]{1,2})(?:st|nd|rd|th)?,? ([0-9]{4})\b", re.I)


def context_dates(context: str) -> list[str]:
    """The dates written out in `context` ("12 March 2025", "March 12, 2025"), as 2025-03-12."""
    found = [(int(d), m, int(y)) for d, m, y in _DAY_MONTH.findall(context)]
    found += [(int(d), m, int(y)) for m, d, y in _MONTH_DAY.findall(context)]
    dates = [f"{y:04d}-{MONTHS.index(m.lower()) + 1:02d}-{d:02d}" for d, m, y in found if 1 <= d <= 31]
    return list(dict.fromkeys(dates))


def day_rounds(rng: random.Random) -> Iterator[int]:
    """Days of the month 1 to 31, shuffled anew each round: copies moved to these days see each
    day as often as any other, the 30th and 31st (which a student wrote as "03") included."""
    while True:
        days = list(range(1, 32))
        rng.shuffle(days)
        yield from days


def redated(context: str, answer: str, keys: list[str], rng: random.Random,
            day_of_month: int) -> tuple[str, str] | None:
    """The sample with its one written-out date moved to `day_of_month` of another month and year
    drawn from `rng` (a month that has that day): in the context in the same wording
    ("14 April 2025" -> "3 October 2025", a weekday before it recomputed) and in the answer's date
    `keys` as YYYY-MM-DD. None when the context's date is not the answer's, is not the only one,
    or a weekday elsewhere would contradict the new day.

    Why: a small student that sees twenty dates learns to copy digits, not months into numbers
    (it wrote 2025-10-03 for 31 October); the same samples on other days teach the conversion
    for every month, which the teacher's few contexts do not."""
    matches = [*_DAY_MONTH.finditer(context), *_MONTH_DAY.finditer(context)]
    parsed = parse_object(answer)
    values = {parsed.get(k) for k in keys} if keys and parsed else set()
    if len(matches) != 1 or len(values) != 1 or context_dates(context) != list(values):
        return None
    match = matches[0]
    before = context[: match.start()]
    weekday = re.search(r"\b(" + "|".join(WEEKDAYS) + r"),? $", before, re.I)
    elsewhere = words(before[: weekday.start()] if weekday else before) + words(context[match.end():])
    if any(w in elsewhere for w in WEEKDAYS):
        return None
    old = next(iter(values))
    year = int(old[:4]) + rng.choice((-1, 0, 0, 1))
    number = rng.choice([m for m in range(1, 13)
                         if m != int(old[5:7]) and day_of_month <= calendar.monthrange(year, m)[1]])
    day = datetime.date(year, number, day_of_month)
    written = match.group(0)
    old_month = next(m for m in match.groups() if m and not m.isdigit())
    new_month = MONTHS[number - 1].capitalize() if old_month[0].isupper() else MONTHS[number - 1]
    text = written.replace(old_month, new_month, 1)
    text = re.sub(r"\b[0-9]{1,2}(?=st|nd|rd|th|\b)(st|nd|rd|th)?",
                  lambda m: f"{day.day}{_ordinal(day.day) if m.group(1) else ''}",
                  text.replace(str(int(old[:4])), str(year)), count=1)
    if weekday:
        name = WEEKDAYS[day.weekday()]
        name = name.capitalize() if weekday.group(1)[0].isupper() else name
        before = before[: weekday.start(1)] + name + before[weekday.end(1):]
    return before + text + context[match.end():], answer.replace(old, day.isoformat())


_NAME_RUN = re.compile(r"\b[A-Z][\w'-]*(?: [A-Z][\w'-]*)+")


def _other_names(context: str, values: list[str]) -> list[str]:
    """The runs of two or more capitalised words in `context` that are not answer `values` and hold
    none (a sender, an organiser), each once."""
    runs = [m.group(0) for m in _NAME_RUN.finditer(context)]
    return [r for r in dict.fromkeys(runs) if context.count(r) == 1 and not any(v in r or r in v for v in values)]


def refilled(context: str, answer: str, donor_context: str, donor: str, keys: list[str]) -> tuple[str, str] | None:
    """The sample with the values of its span `keys` swapped for another sample's (`donor` about
    `donor_context`), in the context where they stood and in the answer, and the context's other
    names swapped for the donor context's: "Parcel for Hanna Holt from Brightwell Tools: two
    spanners and a cordless drill" becomes "Parcel for Marek Doyle from Fernhill Pottery: six blue
    mugs and a teapot". None when a value does not stand exactly once in the context, a list has
    another length, or a donor's value is in the context already.

    Why: a small student that sees each recipient in one sentence learns names, not where the
    recipient stands ("Grace Mbeki received … from Circuit Corner" gave "Circuit Corner"); the
    user's own contexts refilled with other values, beside other names that are not the answer,
    teach the slot (mention replacement, Dai and Adel 2020), and the answer is right by
    construction, whoever wrote the donor."""
    mine, theirs = parse_object(answer), parse_object(donor)
    if not (mine and theirs and keys):
        return None
    pairs: list[tuple[str, str]] = []
    for key in keys:
        old, new = _as_list(mine.get(key)), _as_list(theirs.get(key))
        if len(old) != len(new) or not all(isinstance(x, str) and x for x in [*old, *new]):
            return None
        pairs += zip(old, new)
    if any(context.count(old) != 1 or new.lower() in context.lower() for old, new in pairs):
        return None
    others = [n for n in _other_names(donor_context, [new for _, new in pairs]) if n.lower() not in context.lower()]
    pairs += zip(_other_names(context, [old for old, _ in pairs]), others)
    text = context
    for number, (old, _) in enumerate(pairs):  # through markers, so a new value is never replaced again
        text = text.replace(old, f"\0{number}\0")
    for number, (_, new) in enumerate(pairs):
        text = text.replace(f"\0{number}\0", new)
    return text, json.dumps({k: theirs[k] if k in keys else v for k, v in mine.items()}, ensure_ascii=False)


def _ordinal(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _grounded_keys(objects: list[dict[str, Any]], contexts: list[str | None]) -> tuple[dict[str, int], list[str]]:
    """(span keys with their longest seed value in words, date keys) of seed answers and their contexts."""
    if not contexts or any(not c for c in contexts):
        return {}, []
    spans, dates = {}, []
    for key in objects[0]:
        values = [o[key] for o in objects]
        if all(isinstance(v, str) and re.match(FORMATS["date"], v) for v in values):
            if all(v in context_dates(c) for v, c in zip(values, contexts)):
                dates.append(key)
            continue
        lists = [_as_list(v) for v in values]
        if all(isinstance(x, str) and x.lower() in c.lower() for items, c in zip(lists, contexts) for x in items):
            spans[key] = max(len(x.split()) for items in lists for x in items)
    return spans, dates


def infer_shape(answers: list[str], contexts: list[str | None] | None = None) -> Shape:
    """The shape the seed answers share (their `contexts` too, for a grounded skill); a text shape with
    only a length range when they share nothing."""
    objects = [parse_object(a) for a in answers]
    if answers and all(o is not None for o in objects):
        keys = list(objects[0])
        if all(list(o) == keys or set(o) == set(keys) for o in objects):
            properties = {}
            for key in keys:
                rule = _value_schema([o[key] for o in objects])
                if rule is None:
                    break
                properties[key] = rule
            else:
                schema = {"type": "object", "properties": properties, "required": keys, "additionalProperties": False}
                notes = [f"a JSON object with the keys {', '.join(keys)}"]
                notes += [f"{k} as {name}" for k, r in properties.items() for name, p in FORMATS.items()
                          if r.get("pattern") == p]
                spans, dates = _grounded_keys(objects, contexts or [])
                notes += [f"{k} taken from the context" for k in [*spans, *dates]]
                forms = {k: value_forms([x for o in objects for x in _as_list(o[k])]) for k in spans}
                notes += [f"{k} as {', '.join(f)}" for k, f in forms.items() if f]
                return Shape("json", schema, notes=notes, spans=spans, dates=dates, forms=forms)
    lengths = [len(words(a)) for a in answers] or [1]
    shape = Shape("text", min_words=max(1, int(min(lengths) * 0.5)), max_words=int(max(lengths) * 1.6) + 5)
    firsts = {" ".join(words(a)[:1]) for a in answers}
    if len(answers) >= 2 and len(firsts) == 1 and next(iter(firsts)) not in STOPWORDS:
        shape.opening = answers[0].strip().split()[0].rstrip(",:")
    lasts = {" ".join(words(a)[-1:]) for a in answers}
    if len(answers) >= 2 and len(lasts) == 1 and next(iter(lasts)) not in STOPWORDS:
        shape.closing = words(answers[0])[-1]
    shape.is_list = bool(answers) and all(sum(bool(_LIST_LINE.match(ln)) for ln in a.splitlines()) >= 2 for a in answers)
    shape.notes = [f"{shape.min_words}-{shape.max_words} words"]
    shape.notes += [f'opens with "{shape.opening}"'] if shape.opening else []
    shape.notes += [f'ends with "{shape.closing}"'] if shape.closing else []
    shape.notes += ["a list"] if shape.is_list else []
    return shape


def shared_instruction(questions: list[str], threshold: float = 0.8) -> str | None:
    """The instruction every seed of a grounded skill asks, when they all ask nearly the same thing
    ("Summarise this meeting note as JSON."): new contexts are then asked exactly that."""
    from ilabdesk.sdg.text import similarity

    if len(questions) >= 2 and all(similarity(questions[0], q) >= threshold for q in questions[1:]):
        return questions[0]
    return None
