"""The facts of a document sentence, and questions made from them without a model.

A fact-bearing sentence holds *terms*: years, dates, amounts and names, each
of a kind, so that a multiple-choice question can offer years against a year
and names against a name. `echo_question` turns a sentence and one of its
terms into a question by putting a question phrase where the term stands
("The funicular is 2.6 kilometres long." -> "The funicular is how many
kilometres long?"). It needs no teacher, so it is the fallback for facts a
small teacher could not write an accepted question for, and it always asks
for exactly that term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ilabdesk.documents.chunk import split_sentences
from ilabdesk.sdg.reader import participle, past_base, predicates, present_base, verb_word
from ilabdesk.sdg.text import NUMBER_WORDS, STOPWORDS, words

MONTHS = ("january february march april may june july august september october november december").split()
_MONTH = "|".join(m.capitalize() for m in MONTHS)
_DATE = re.compile(rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)? (?:{_MONTH})|(?:{_MONTH}) \d{{1,2}}(?:st|nd|rd|th)?)\b(?: \d{{4}})?")
WEEKDAYS = ("monday tuesday wednesday thursday friday saturday sunday").split()
_DAYS = "|".join(d.capitalize() for d in WEEKDAYS)
# "the last Sunday of September", "every Friday", "on Wednesdays": a day, not a name
_WEEKDAY = re.compile(rf"\b(?:(?:first|second|third|fourth|last) )?(?:{_DAYS})s?(?: (?:of|in) (?:{_MONTH}))?\b")
_MONTH_ALONE = re.compile(rf"\b(?:{_MONTH})\b(?! \d{{4}})")  # "in August"; "in August 1912" is a year
_CLOCK = re.compile(r"(?<![\d:.])\b[0-2]?\d:[0-5]\d\b(?!:)")  # "from 10:00 to 17:00": times, not the numbers 10 and 0
_YEAR = re.compile(r"(?<![\d.,])\b(1[0-9]{3}|20[0-9]{2})s?\b(?![.,]\d)")
# "18 million" is one amount, not 18 of a unit called "million"
_SCALE = r"(?:\s(?:hundred|thousand|million|billion)\b)?"
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s?%)?(?![\w.]\d)" + _SCALE + r"|\b(?:"
                     + "|".join(sorted(NUMBER_WORDS - {"one", "once", "twice", "half"})) + r")\b" + _SCALE, re.I)
# A name: capitalised words, joined by "of" / "the" / "de" inside ("Anselm of Tarn").
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:of|the|de|van|von)\s+)?[A-Z][\w'’-]*)*")
_UNIT_WORD = re.compile(r"\s*((?:[a-z-]+\s+){0,2}?[a-z-]+)")
# capitalised words that open a sentence without being a name
_OPENERS = frozenset("in every each during until today around roughly nearly almost since".split())
_PRONOUN_START = re.compile(r"^(It|Its|They|Their|This|These)\b")
# "the architect Malin Furu", "the village of Brask"; not "the canal at Harrowgate" ("which canal at?")
_PERSON_ROLE = re.compile(r"\b(?:the|a|an) ((?:[a-z-]+ )?(?!(?:at|in|on|near|from|to|by|for|with)\b)[a-z-]+)(?: of)? $")
# The noun phrase that opens a sentence ("The Salvesen Dome", "The observatory"): what a pronoun
# at the start of the next sentence most often stands for.
# "Great Ursula, the largest bell, ...": the name ends at the comma, not at its first word; "The
# main furnace holds ...": up to four small words, cut at the verb (see leading_subject)
_LEADING_SUBJECT = re.compile(r"^(?P<article>(?:The|A|An) )?(?:(?P<name>[A-Z][\w'-]*(?: (?:of )?[A-Z][\w'-]*)*)"
                              r"(?=[\s,;:])|(?P<noun>[a-z'’-]+(?: [a-z'’-]+){0,3})(?P<end>[,;:]?))")


@dataclass(frozen=True)
class Term:
    """One fact in a sentence: its kind (year, date, number, name) and its text as written."""

    kind: str
    text: str
    unit: str = ""  # for numbers: the word after it ("potters", "metres"), so amounts meet amounts


def terms_of(sentence: str, topic: frozenset[str] = frozenset()) -> list[Term]:
    """The sentence's terms, in order; names made only of topic words (the leaf's subject) are left out.

    A capitalised word that opens the sentence is a name only when it is several
    words long ("Clara Vinterberg discovered"), never a lone "The" or "Since".
    """
    found: list[tuple[int, Term]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for match in _DATE.finditer(sentence):
        found.append((match.start(), Term("date", match.group())))
        taken.append(match.span())
    for match in _WEEKDAY.finditer(sentence):
        if free(*match.span()):
            found.append((match.start(), Term("date", match.group(), "day")))
            taken.append(match.span())
    for match in _CLOCK.finditer(sentence):
        found.append((match.start(), Term("date", match.group(), "time")))
        taken.append(match.span())
    for match in _MONTH_ALONE.finditer(sentence):  # "In August the Palm House ...": a month, not a name
        if free(*match.span()):
            found.append((match.start(), Term("date", match.group(), "month")))
            taken.append(match.span())
    for match in _YEAR.finditer(sentence):
        if free(*match.span()):
            found.append((match.start(), Term("year", match.group())))
            taken.append(match.span())
    for match in _NUMBER.finditer(sentence):
        if not free(*match.span()):
            continue
        unit = _UNIT_WORD.match(sentence, match.end())
        unit_word = unit.group(1).split()[-1] if unit else ""
        found.append((match.start(), Term("number", match.group(), unit_word)))
        taken.append(match.span())
    # names are looked for with the dates and numbers blanked out: "14 September the Lantern Tide
    # Festival" must not read as one name starting at "September"
    masked = list(sentence)
    for start, end in taken:
        masked[start:end] = "_" * (end - start)
    for match in _NAME.finditer("".join(masked)):
        text = match.group()
        parts = text.split()
        if match.start() == 0 or sentence[:match.start()].rstrip().endswith((".", "!", "?")):
            # drop a capitalised sentence opener ("The", "In", "Every", "Around")
            while parts and (parts[0].lower() in STOPWORDS or parts[0].lower() in _OPENERS):
                parts = parts[1:]
            if len(parts) < 2 and (not parts or text.split()[0] == parts[0]):
                continue
            text = " ".join(parts)
        start = sentence.find(text, match.start())
        if not text or text.lower() in MONTHS or not free(start, start + len(text)):
            continue
        if set(words(text)) <= topic or all(w in STOPWORDS for w in words(text)):
            continue
        found.append((start, Term("name", text)))
        taken.append((start, start + len(text)))
    return [term for _, term in sorted(found, key=lambda item: item[0])]


def _ask_for(term: Term, before: str, after: str = "") -> tuple[str, str]:
    """(text to drop before the term, question phrase that replaces both); `after` is the text after it."""
    if term.kind == "year":
        month = re.search(rf"\b(?:{_MONTH}) $", before)  # "the storm of January 1877": one time
        return (month.group(), "which month and year") if month else ("", "what year")
    if term.kind == "date":
        if term.unit == "month":  # "Every May the garden holds ..." -> "In which month the garden holds ..."
            opener = re.search(r"\b(?:in|every|each) $", before, re.I)
            return (opener.group(), "in which month") if opener else ("", "which month")
        return "", {"day": "which day", "time": "what time"}.get(term.unit, "what date")
    if term.kind == "number":
        return "", "how many" if term.unit else "what number"
    role = role_before(before)
    if role:  # "designed by the architect Malin Furu" -> "designed by which architect"
        return role.group(0), f"which {role.group(1).removesuffix(' of')} "
    if before.rstrip().endswith((" by", " after", " to", " with")):
        return "", "whom"
    if acts(term, after):  # "until Clara Marel sold it" -> "until who sold it"; "his daughter who rowed": none
        return "", "who" if not before.strip() or before.rstrip().endswith(",") or \
            before.split()[-1].lower() in STOPWORDS else ""
    return "", "what"


def role_before(before: str) -> re.Match[str] | None:
    """The role named just before a name ("the architect", "the ferry"), or None; "the trust holds
    Lantern Night" names none ("which trust holds")."""
    role = _PERSON_ROLE.search(before)
    last = role.group(1).split()[-1] if role else ""
    if role and " " in role.group(1).strip() and (verb_word(last) or last in STOPWORDS - {"of"}):
        return None  # "the mill until Hester Orrin sold it": no role either
    return role


def acts(term: Term, after: str) -> bool:
    """Whether the name `term`, followed by `after`, does something in the past ("Clara Marel sold it",
    "Ellen Kerrow rowed out", "Anna Berg had founded"); not a passive ("Great Ursula was cast"), a
    state, or a one-word name (a river: "a flood of the Aske ruined the pit")."""
    following = after.split()[:2]
    if term.kind != "name" or len(term.text.split()) < 2 or not following:
        return False
    if following[0] in ("has", "had"):
        return len(following) > 1 and following[1] != "been" and participle(following[1])
    return bool(past_base(following[0]))


# a sentence's opening time, no subject: "Every June", "In August", "Each November,"
_TIME_OPENING = re.compile(rf"^(?:(?:In|Every|Each|During|On|Since|Until|By) )?(?:{_MONTH}|{_DAYS})s?,? (?=[a-z])")


def leading_subject(sentence: str) -> str:
    """The noun phrase a sentence opens with, or "" ("The Salvesen Dome turns ..." -> "The Salvesen Dome")."""
    text = sentence.strip()
    time = _TIME_OPENING.match(text)
    if time and text[time.end():]:  # "Every June the foundry holds ...": the foundry
        rest = text[time.end():]
        return leading_subject(rest[0].upper() + rest[1:])
    match = _LEADING_SUBJECT.match(text)
    if not match or match.group().lower() in STOPWORDS or _PRONOUN_START.match(match.group()):
        return ""
    article = match.group("article") or ""
    following = text[match.end():].split()
    if match.group("name"):
        # "The Orlin lighthouse stands ...", "The Marel family ran ...": the nouns after the name, to the verb
        nouns = []
        for word, after in zip(following, following[1:] + [""]):
            noun = word.rstrip(",;:")
            if not (article and re.fullmatch(r"[a-z]+", noun)) or noun in STOPWORDS or \
                    (verb_word(noun) and not verb_word(after)):
                break
            nouns.append(noun)
            if noun != word:
                break
        return " ".join([article + match.group("name"), *nouns])
    first, *rest = match.group("noun").split()
    following = following[:1]
    subject = [first]
    # the phrase ends at its verb, and after a plural noun: an -s word before another verb is one ("the
    # glass tiles are"), and so is one before a word that is no verb form ("the caves stay")
    for word, after in zip(rest, rest[1:] + following):
        if word in STOPWORDS or verb_word(word) and not verb_word(after) or present_base(subject[-1]):
            return article + " ".join(subject)
        subject.append(word)
    # no verb seen within four words: only the first is surely the subject's
    return article + (" ".join(subject) if match.group("end") else first)


# "It takes two hours to ...", "It is said that ...", "It was easy to ...": an "It" that stands for nothing
_EXPLETIVE = re.compile(r"^It (?:takes|took|seems|seemed|appears|appeared|(?:is|was) (?:said|thought|believed|known|"
                        r"(?:\w+ )?(?:to|that)\b))")


def stands_alone(sentence: str, before: str) -> str | None:
    """`sentence` with its opening "It" or "Its" replaced by the subject of `before`, the sentence
    before it ("Its tube is 9.5 metres long." -> "The Vossel refractor's tube is 9.5 metres long."), so
    the fact it teaches names what it is about; None where `before` opens with no subject or the "It"
    stands for nothing ("It takes two hours to ..."). Only these two: "They" or "Her" often means
    another thing of the sentence before than its subject."""
    opening = re.match(r"(It|Its) (?=\w)", sentence)
    subject = leading_subject(before) if opening and not _EXPLETIVE.match(sentence) else ""
    if not subject:
        return None
    if opening.group(1) == "Its":
        subject += "'" if subject.endswith("s") else "'s"
    return f"{subject} {sentence[opening.end():]}"


def opens_a_sentence(term: Term, answer: str) -> bool:
    """Whether the name `term` is in the noun phrase a sentence of `answer` opens with: asking for it
    ("The what was added in 1931?") asks nothing a reader would. A number there is asked ("How many
    keepers and their families lived ...?")."""
    return term.kind == "name" and any(whole_word(term.text).search(leading_subject(part)) for part in split_sentences(answer))


def whole_word(text: str) -> re.Pattern[str]:
    """`text` as a word of its own: "90" in "opened 1903; kept at 90 per cent" is not the one in 1903."""
    return re.compile(rf"(?<![\w.,]){re.escape(text)}(?!\w)")


def echo_question(sentence: str, term: Term, subject: str = "") -> str | None:
    """A question that asks for `term` in the words of `sentence`; None where none can be made.

    A sentence that opens with a pronoun ("Its copper roof ...") gets `subject`
    in its place (the caller passes the previous sentence's `leading_subject`,
    else the document's), so the question stands on its own.
    """
    text = " ".join(sentence.split()).rstrip(".!;: ")
    found = whole_word(term.text).search(text)
    if not found:
        return None
    start = found.start()
    before, after = text[:start], text[start + len(term.text):]
    drop, phrase = _ask_for(term, before, after)
    if not phrase:
        return None
    if drop:
        before = before[: len(before) - len(drop)]
    elif re.search(r"\b(?:the|a|an) $", before, re.I):  # "along the Pilgrim Path" -> "along what"
        before = re.sub(r"\b(?:the|a|an) $", "", before, flags=re.I)
    question = f"{before}{phrase.strip()}{after}".strip()
    if subject:
        question = _PRONOUN_START.sub(lambda m: f"{subject}'s" if m.group(1) in ("Its", "Their") else subject, question)
    question = question[0].upper() + question[1:]
    if len(words(question)) < 4 or whole_word(term.text).search(question):
        return None
    return question + "?"


def echo_for(answer: str, term: Term, before: str = "", subject: str = "") -> str | None:
    """The echo question for `term` made from the sentence of `answer` that holds it (an answer may be
    two sentences, see text.answer_candidates); a pronoun there stands for the subject of the sentence
    before it (`before` for the first), else for the document's `subject`."""
    sentence, referent = sentence_of(answer, term, before)
    return echo_question(sentence, term, referent or subject) if sentence else None


def sentence_of(answer: str, term: Term, before: str = "") -> tuple[str, str]:
    """The sentence of `answer` that holds `term`, and what a pronoun opening it stands for: the
    subject of the sentence before it (`before` for the first); ("", "") where none holds it."""
    parts = split_sentences(answer)
    for number, part in enumerate(parts):
        if whole_word(term.text).search(part):
            return part, leading_subject(parts[number - 1] if number else before)
    return "", ""


# where a compound sentence joins two clauses that each stand alone
_CLAUSE_BREAK = re.compile(r";\s+|,\s+(?:and|but|while|whereas)\s+")
# a clause opening so ("..., and again in 1994, when ...") leans on the one before it
_ELLIPTIC = re.compile(r"^(?:again|also|then|later|once|in|on|at|by|from|since|until|after|before|with|for|to|so)\b", re.I)


# ", which is 430 metres long": a relative clause that says more of the thing before it
_RELATIVE_CLAUSE = re.compile(r", (?:which|who) ([a-z](?:[^,;]|,(?=\S))*)")
_DETERMINER = frozenset("the a an its their".split())


def relative_clauses(sentence: str) -> list[tuple[str, str]]:
    """A sentence's relative clauses as (the thing they say more of, what they say): "Nobody may walk
    through the Oakley tunnel, which is 430 metres long, while trains are running." -> ("the Oakley
    tunnel", "is 430 metres long"). Made a clause of its own, the fact in one is asked as a reader
    asks it ("How many metres long is the Oakley tunnel?"), not only inside the whole sentence. Only
    where the clause's verb follows "which" or "who" and its thing opens with an article at most six
    words before the comma."""
    text = sentence.rstrip(".!?")
    out = []
    for match in _RELATIVE_CLAUSE.finditer(text):
        says = match.group(1)
        before = text[:match.start()].split()[-6:]
        start = max((i for i, word in enumerate(before) if word.lower() in _DETERMINER), default=None)
        if start is not None and start < len(before) - 1 and verb_word(says.split()[0]):
            out.append((" ".join(before[start:]), says))
    return out


# "... in 1991, when the light was automated": what happened at the time just named
_WHEN_CLAUSE = re.compile(r"\b((?:[Ii]n|[Oo]n|[Bb]y|[Ss]ince|[Uu]ntil) (?:\S+ ){0,3}?\S+), when ([a-z][^,;]*)")


def when_clauses(sentence: str) -> list[str]:
    """What a ", when" clause says happened at the year or date before it, as a clause of its own:
    "The lighthouse has been run by the Trust since the keepers left in 1991, when the light was
    automated." -> "the light was automated in 1991" (asked "In what year was the light automated?",
    which the whole sentence's question, about the Trust, never is). Only where the clause has a verb
    among its first six words."""
    out = []
    for match in _WHEN_CLAUSE.finditer(sentence.rstrip(".!?")):
        time, says = match.groups()
        if any(t.kind in ("year", "date") for t in terms_of(time)) and any(verb_word(w) for w in says.split()[:6]):
            out.append(f"{says} {time[0].lower()}{time[1:]}")
    return out


def clause_echo(answer: str, term: Term, alias: tuple[str, str] = ("", ""), before: str = "") -> str | None:
    """The echo question made from only the clause that holds `term`, where its sentence joins
    several or holds it in a relative or a ", when" clause (see relative_clauses, when_clauses); None
    where it has one ("The glassworks trains four apprentices each year; an apprenticeship lasts three
    years." -> "An apprenticeship lasts how many years?"). A reader asks for one fact in a few words:
    the whole sentence's echo question is long and names the other facts, so its wording is far from
    such a question. One that names nothing of the document
    ("Children under how many go free?") is asked of the subject's full name (`alias`, see
    subject_alias): it would otherwise read as a general question, and teach a document's number
    as the answer to one. A clause that opens with a pronoun is asked of what the pronoun stands for:
    in a sentence that opens with one ("It was cast in 1887 and needs six ringers"), the subject of the
    sentence before, as in echo_for (`before` is the one before `answer`); a later "it" ("...; it was
    patented in 1952"), its own sentence's subject; a later "they" is left (whom it means is unsure)."""
    sentence, referent = sentence_of(answer, term, before)
    sentence = " ".join(sentence.split())
    if not _PRONOUN_START.match(sentence):
        referent = leading_subject(sentence) if re.search(r"[;,] (?:and )?(?:it|its) ", sentence) else ""
    clauses = [part for clause in _CLAUSE_BREAK.split(sentence) for part in predicates(clause)]
    # the clause of "the Oakley tunnel, which is 430 metres long": "the Oakley tunnel is 430 metres long"
    holds = whole_word(term.text).search  # "ten" is not the one in "molten"
    apart = next((f"{thing} {says}" for thing, says in relative_clauses(sentence) if holds(says)), "") or \
        next((clause for clause in when_clauses(sentence) if holds(clause)), "")
    clause = apart or (next((c for c in clauses if holds(c)), "") if len(clauses) > 1 else "")
    if clause and past_base(clause.split()[0].lower()):
        return None  # "kept at 90 per cent humidity": a row's cell, with no subject of its own
    clause = clause[:1].upper() + clause[1:]
    if len(words(clause)) < 4 or (_PRONOUN_START.match(clause) and not referent) or _ELLIPTIC.match(clause):
        return None
    question = echo_question(clause, term, referent)
    short, full = alias
    if question and not any(t.kind == "name" for t in terms_of(question)) and not (short and short in question.lower()):
        return f"{question[:-1]} at {full}?" if full else None
    return question


def subject_alias(markdown: str, subject: str) -> tuple[str, str]:
    """The short name the document calls its subject by, and the full one: ("the glassworks",
    "the Solberg Glassworks"), ("the observatory", "Brennholt Observatory"); ("", "") when it has none.

    After its first lines an article says "the glassworks", so most questions made from its sentences
    do too. A reader who has not read it asks with the full name, and the model, having seen that name
    only in the questions about the opening sentence, answers with that sentence (see
    KnowledgeGenerator.commit).
    """
    head = subject.split(" of ")[0].split()  # "Tolvan Institute of Glass Acoustics": "the institute"
    if len(subject.split()) < 2 or not head or not head[-1][:1].isupper():
        return "", ""
    flat = " ".join(markdown.split())
    short = f"the {head[-1].lower()}"
    if len(re.findall(rf"\b[Tt]he {re.escape(head[-1].lower())}\b", flat)) < 2:
        return "", ""
    full = f"the {subject}" if re.search(rf"\b[Tt]he {re.escape(subject)}\b", flat) else subject
    return short, full


def name_aliases(markdown: str, subject: str) -> tuple[tuple[str, str], ...]:
    """The short and full names of the other things the document names: ("the cellars", "the Stone
    Cellars"), ("the race", "the Wheel Race"). As with its subject (subject_alias), the text names a
    thing once and then says "the cellars"; a reader asks "How many wheels can the Stone Cellars
    hold?". A name counts when its last word is a capitalised noun that the text later writes as "the
    <noun>" (or "the <Noun>"), and no other name ends in that noun; headings are left out ("## The
    Museum" is not a name of a museum).
    """
    from ilabdesk.documents.chunk import paragraphs

    body = " ".join(line for block in paragraphs(markdown) for line in block.split("\n")
                    if not line.lstrip().startswith("#"))
    body = " ".join(body.split())
    subject_heads = {w.lower() for w in subject.split()}
    by_head: dict[str, set[str]] = {}
    for term in terms_of(body):
        parts = term.text.split()
        if term.kind == "name" and len(parts) >= 2 and parts[-1].isalpha() and parts[-1][:1].isupper():
            by_head.setdefault(parts[-1].lower(), set()).add(term.text)
    found = []
    for head, names in by_head.items():
        if len(names) != 1 or head in subject_heads:
            continue
        name = next(iter(names))
        # "the cellars"; or "the Trust" for "the Harrowgate Valley Railway Trust", as the text writes it,
        # where the name is no person's or place's two words ("Henrik Salvesen": "the Salvesen Dome")
        forms = re.escape(head) + (f"|{re.escape(head.capitalize())}" if len(name.split()) >= 3 else "")
        later = re.search(rf"\b[Tt]he ({forms})\b(?!\s+[A-Z])", body[body.find(name) + len(name):])
        if later:
            full = f"the {name}" if re.search(rf"\b[Tt]he {re.escape(name)}\b", body) else name
            found.append((f"the {later.group(1)}", full))
    return tuple(found)


def named_in_full(question: str, alias: tuple[str, str]) -> str:
    """`question` with its first short name ("the glassworks", "the cellars") replaced by the full one
    (see subject_alias, name_aliases)."""
    short, full = alias
    if not short:
        return question
    return re.sub(rf"\b([Tt]){re.escape(short[1:])}\b",
                  lambda m: full if m.group(1) == "t" else full[0].upper() + full[1:], question, count=1)


def document_subject(markdown: str) -> str:
    """The document's subject: its first heading, else its first name."""
    for line in markdown.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip().removeprefix("The ").strip()
    names = [t for t in terms_of(markdown[:400]) if t.kind == "name"]
    return names[0].text if names else ""
