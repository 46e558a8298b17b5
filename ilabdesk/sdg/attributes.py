"""Questions for facts written as attributes, not sentences: a list item, a table row.

A handbook states many facts as "Visitors: about 64,000 passengers a year" in
a key-facts list, or as a table row ("Locomotive Brigid: built 1921; ...", as
text.table_sentences writes it). Their echo questions keep that form
("Visitors: about how many passengers a year?"), which no reader asks, and a
small teacher given such a line writes few questions that pass the checks: in
a run these facts ended with one or two questions while a sentence beside them
had ten, and the student answered a reader's question with the better-taught
number of the same kind. `attribute_questions` asks what a reader asks of an
attribute, naming what it belongs to: the document's subject for a list item
("How many visitors does the Harrowgate Valley Railway have?"), the row's
first cell for a table row ("When was Locomotive Brigid built?"), and the
name of a row's thing where its first cell gives its kind ("What is the name
of the battery locomotive?").
"""

from __future__ import annotations

import re

from ilabdesk.sdg.facts import Term, terms_of
from ilabdesk.sdg.reader import participle
from ilabdesk.sdg.text import LABELLED, STOPWORDS

# labels that say nothing of what the value is
_BARE = frozenset("note notes remark remarks comment comments description details other see".split())
# units that measure, not count: "14.2 tonnes" is no number of things the subject has
MEASURES = frozenset("""per cent percent metres meters kilometres kilometers miles feet inches centimetres
    millimetres hectares acres litres liters tonnes tons kilograms grams pounds degrees seconds minutes hours days
    weeks months years euros dollars crowns kroner""".split())
_WEIGHTS = frozenset("tonnes tons kilograms grams pounds kg".split())
# "Height of tower: 37 metres": what a reader asks of a measure ("How high is the tower of ...?")
_MEASURE_ASKED = {"height": "high", "length": "long", "width": "wide", "depth": "deep", "weight": "heavy",
                  "area": "large"}
_MEASURE_OF = re.compile(rf"^({'|'.join(_MEASURE_ASKED)})(?: of (?:the )?([a-z][a-z -]*))?$")
# "Visitors in 2024", "Steps to the lantern room", "Clear nights a year": things counted, and when or where
_QUALIFIED = re.compile(r"^((?:[a-z-]+ )*[a-z-]+) ((?:in|to|on|at|per|a|an|each|every|during) .+)$")
# "Bells cast since 1761": things counted, the verb that makes them, and since when or where
_COUNTED = re.compile(r"^([a-z]+s) ([a-z]+) (.+)$")


def attribute_parts(line: str) -> tuple[str, list[tuple[str, str]], bool] | None:
    """(the thing, [(label, value)], whether it is a table row) of an attribute line, or None.

    A table row names its thing first and labels each cell with its column's
    header ("Saloon coach Marjorie: built 1908; seats 24"); a list item is one
    label and its value, of the document's subject ("Journey time: 35 minutes
    each way"). A row's cell without a header of at most three plain words
    ("steam, coal-fired") is left out.
    """
    match = LABELLED.match(" ".join(line.split()).rstrip("."))
    if not match or match.group(1).lower() in _BARE:
        return None
    head, rest = match.groups()
    cells = []
    for part in rest.split("; "):
        cell = re.match(r"^((?:[a-z][a-z-]* ){1,3}?)(\d.*)$", part)
        if cell and not any(w in STOPWORDS for w in cell.group(1).split()):
            cells.append((cell.group(1).strip(), cell.group(2).split(",")[0].strip()))
    if cells:
        return head, cells, True
    if ";" in rest or head.split()[0].lower() in STOPWORDS:
        return None
    return head, [(head[0].lower() + head[1:] if head[1:2].islower() or len(head) == 1 else head, rest)], False


def _participle(label: str) -> bool:
    """A one-word header such as "Built" or "Opened": its cells say when the row's thing was so."""
    return len(label.split()) == 1 and participle(label)


def plural(label: str) -> bool:
    """Whether a label's last word is a plural noun ("Visitors", "paid members"; not "glass" or "status")."""
    word = label.split()[-1]
    return word.endswith("s") and not word.endswith(("ss", "us", "is"))


def attribute_questions(line: str, subject: str) -> list[tuple[str, Term]]:
    """Questions a reader asks of an attribute line, each with the term it asks for; [] for a sentence.

    `subject` is the document's subject as a reader names it ("the Harrowgate
    Valley Railway"): what a list item's label belongs to.
    """
    parts = attribute_parts(line)
    if parts is None:
        return []
    head, cells, row = parts
    thing = head if row else subject
    if not thing:
        return []
    out = []
    kind = re.match(r"^([A-Z][a-z-]*(?: [a-z-]+)+) ([A-Z].*)$", head) if row else None
    if kind:  # "Saloon coach Marjorie": a saloon coach named Marjorie
        thing = f"the {kind.group(1).lower()} {kind.group(2)}"
        out.append((f"What is the name of the {kind.group(1).lower()}?", Term("name", kind.group(2))))
    for label, value in cells:
        terms = [t for t in terms_of(value) if t.kind != "name" or t.text != thing]
        if not terms:
            continue
        term = terms[0]
        if _participle(label) and term.kind in ("year", "date"):
            asked = [f"When was {thing} {label}?"]
            if term.kind == "year":
                asked.append(f"In what year was {thing} {label}?")
        elif _participle(label):
            continue
        elif plural(label) and term.kind == "number":
            asked = [f"How many {label} does {thing} have?", f"What is the number of {label} of {thing}?"]
        elif plural(label):
            asked = [f"What are the {label} of {thing}?", f"Which {label} does {thing} have?"]
        elif (counted := _QUALIFIED.match(label)) and plural(counted.group(1)) and term.kind == "number":
            nouns, qualifier = counted.groups()
            if re.search(r"\b\d{4}\b", qualifier):  # a year: "How many visitors did ... have in 2024?"
                asked = [f"How many {nouns} did {thing} have {qualifier}?",
                         f"What was the number of {label} at {thing}?"]
            else:
                asked = [f"How many {label} does {thing} have?", f"What is the number of {label} at {thing}?"]
        elif (counted := _COUNTED.match(label)) and participle(counted.group(2)) and term.kind == "number":
            nouns, verb, rest = counted.groups()  # "How many bells has the foundry cast since 1761?"
            asked = [f"How many {nouns} has {thing} {verb} {rest}?"]
        else:
            asked = [f"What is the {label} of {thing}?", f"What is {thing}'s {label}?"]
            measure = _MEASURE_OF.match(label) if term.kind == "number" and not row else None
            if measure:
                of = f"the {measure.group(2)} of {thing}" if measure.group(2) else thing
                asked.append(f"How {_MEASURE_ASKED[measure.group(1)]} is {of}?")
        pairs = [(question, term) for question in asked] + ([] if row else _more_of_an_item(terms, thing, label))
        out += [(question[0].upper() + question[1:], asks) for question, asks in pairs]
    return out


def _more_of_an_item(terms: list[Term], thing: str, label: str) -> list[tuple[str, Term]]:
    """What else a list item's value says, asked as a reader would: a count of other things ("Staff:
    38, including 7 apprentices" -> "How many apprentices does ... have?") and the weight of a thing it
    names ("Largest bell: Great Ursula, 14.2 tonnes" -> "How heavy is Great Ursula?")."""
    out = []
    named = next((t.text for t in terms if t.kind == "name"), "")
    for term in (t for t in terms if t.kind == "number"):
        if named and term.unit in _WEIGHTS:
            out += [(f"How heavy is {named}?", term), (f"How much does {named} weigh?", term)]
        elif plural(term.unit or "-") and term.unit not in MEASURES and term.unit not in label.split():
            out.append((f"How many {term.unit} does {thing} have?", term))
    return out
