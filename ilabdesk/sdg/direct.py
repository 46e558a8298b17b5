"""Questions made in a reader's own words from one clause of a document sentence, without a model.

An echo question (sdg.facts) keeps its whole sentence and asks where the term
stands; sdg.reader moves its question phrase to the front where the sentence
is plain enough. Some facts a reader asks in a form neither gives: who did
something in a clause ("Who sold the foundry ...?"), who a role is ("Who is
the last principal keeper ...?"), in which month an event is held. These
are made here, already in a reader's order, so no reader's form is made of
them (sdg.knowledge gives them origin "reader").
"""

from __future__ import annotations

import re

from ilabdesk.documents.chunk import split_sentences
from ilabdesk.sdg.attributes import MEASURES, plural
from ilabdesk.sdg.facts import Term, acts, role_before, sentence_of, terms_of, whole_word
from ilabdesk.sdg.reader import past_base, verb_word
from ilabdesk.sdg.text import LABELLED, answer_candidates


def actor_question(answer: str, term: Term, full: str = "") -> str | None:
    """"Who ...?" ("Which astronomer ...?" after a role) asked of a name of two or more words that
    does something in the past in a clause of its sentence, with that clause alone: "The Marel family
    ran the foundry for six generations, until Clara Marel sold it to its workers in 1979." -> "Who
    sold the Veldmoor Bell Foundry to its workers in 1979?"; "..., his daughter Ellen Kerrow rowed out
    with her father to rescue eleven sailors." -> "Who rowed out with her father to rescue eleven
    sailors?". The echo question keeps the other clause ("... until who sold it ...") and no reader's
    form can be made of it. An "it" in the clause is the document's subject (`full`) where the sentence
    names it before the name, else the question is None, as it is where the name opens its sentence
    (the teacher asks that) or is governed by "by" or "of" ("a team led by Ada Berg recorded")."""
    sentence = " ".join(sentence_of(answer, term)[0].split())
    found = whole_word(term.text).search(sentence)
    before = sentence[:found.start()] if found else ""
    role = role_before(before)
    head = before[:role.start()] if role else before
    if not before or not acts(term, sentence[found.end():]) or head.rstrip().endswith((" by", " of", " with")):
        return None  # the team did; "designed by the architect Malin Furu opened": the dairy did
    clause = re.split(r"[,;:]\s|\s(?:and|but|while|when|who|which|whose)\s", sentence[found.end():].rstrip(".!"))[0]
    if re.search(r"\bit\b", clause):
        short = full.lower().removeprefix("the ")
        if not short or short.split()[-1] not in before.lower():
            return None
        clause = re.sub(r"\bit\b", full, clause, count=1)
    if re.search(r"\b(?:it|they|them|this|these)\b", clause) or len(clause.split()) < 2:
        return None
    return f"Which {role.group(1).removesuffix(' of')}{clause}?" if role else f"Who{clause}?"


# "the Orrinsford Horological Trust, a charity with 9 paid staff and around 60 volunteers": a named thing,
# what it is, and a count of what it has
_NAMED_WITH = re.compile(r"(?P<name>(?:[Tt]he )?[A-Z][\w'’-]*(?: (?:of the|of|and|[A-Z][\w'’-]*))*"
                         r"(?<! of)(?<! the)(?<! and)), (?:an?|the) (?:[\w'’-]+ ){0,3}?with "
                         r"(?P<counts>(?:[^,;()]|(?<=\d),(?=\d))+)")
_ABOUT = r"(?:(?:about|around|some|over|nearly|almost|only|more than|fewer than) )?"
_COUNTED = re.compile(rf"{_ABOUT}(?P<number>\d[\d,.]*) (?P<what>[a-z][\w'’-]*(?: [a-z][\w'’-]*)?)")
# "1,300 clocks and watches, of which about 400 are on display": a share of things counted before
_OF_WHICH = re.compile(rf"(?P<what>[a-z][\w'’-]*(?: (?:and|or) [a-z][\w'’-]*)?), of (?:which|whom) {_ABOUT}"
                       r"(?P<number>\d[\d,.]*) (?P<rest>(?:are|were|is|was|have|had) [^,;]+?)\.?$")


def count_question(answer: str, term: Term) -> str | None:
    """What a reader asks of a count that the sentence gives in a clause of another thing: a named
    thing's appositive ("The Friends of the Clock Museum, a society with 520 members, paid for ..." ->
    "How many members does the Friends of the Clock Museum have?") or a share ("... holds 1,300
    clocks and watches, of which about 400 are on display" -> "How many clocks and watches are on
    display?"). The echo question keeps the rest of the sentence, which a reader asking for the count
    does not know; None for any other number."""
    if term.kind != "number":
        return None
    sentence = " ".join(sentence_of(answer, term)[0].split())
    share = _OF_WHICH.search(sentence)
    if share and share.group("number") == term.text:
        return f"How many {share.group('what')} {share.group('rest')}?"
    for named in _NAMED_WITH.finditer(sentence):
        for part in re.split(r",? and |, ", named.group("counts")):
            counted = _COUNTED.fullmatch(part.strip().rstrip("."))
            if counted and counted.group("number") == term.text:
                what = counted.group("what")
                if what.split()[0] not in MEASURES and (plural(what) or what.split()[-1] in ("staff", "people")):
                    return f"How many {what} does {re.sub('^The ', 'the ', named.group('name'))} have?"
    return None


# "the foundry holds the Open Pit weekend", "the trust holds Lantern Night": an event its sentence dates
_HOLDS = re.compile(r"\b(?:holds|hosts|stages|organi[sz]es) (?P<event>(?:the |its |an? )?(?:[A-Z][\w'’-]* )*[A-Z][\w'’-]*"
                    r"(?: (?:weekend|festival|fair|days?|nights?|week|race|show|market|concert|walk|gala|exhibition))?)")


def event_question(answer: str, term: Term) -> str | None:
    """"In which month is <event> held?" for the month of a sentence that says who holds the event
    ("Every June the foundry holds the Open Pit weekend, ..."; "On the second weekend of August the
    trust holds Lantern Night, ..."): a reader asks of the event, and of its month, in the passive;
    the echo and reader questions ask "In which month does the foundry hold ...?" at best."""
    if term.unit != "month":
        return None
    held = _HOLDS.search(" ".join(sentence_of(answer, term)[0].split()))
    if not held or term.text in held.group("event"):
        return None
    event = re.sub(r"^(?:its|an?) ", "the ", held.group("event"))
    return f"In which month is {event} held?"


# "The head gardener, Pia Lindqvist, trains ...", "In 1911 the assistant, Jon Tal, found ...", "The main
# furnace, called Big Agnes, holds ...": a thing or person named by what it is, then by its name
_TITLED = r"(?:(?:Dr|Mr|Mrs|Ms|Sir|Captain) )?(?:the )?[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)*"
_ROLE_FIRST = re.compile(r"(?:^|(?<=, )|(?<=when )|(?<=\d{4} ))(?P<role>[Tt]he (?:[\w'’-]+ ){0,5}[a-z][\w'’-]*), "
                         rf"(?:called )?(?P<name>{_TITLED}), (?P<rest>[a-z].*)")
# "Great Ursula, the largest bell the foundry has made, hangs ..."
_NAME_FIRST = re.compile(rf"^(?P<name>{_TITLED}), (?P<role>the (?:[\w'’-]+ ){{0,6}}[a-z][\w'’-]*), (?P<rest>[a-z].*)")
# "keeper", "director", "artist": the role of a person (so is one with a title, or "he" or "her" after it)
_PERSON_NOUN = re.compile(r"(?:er|or|ist|ian|ant|ent|man|woman|ess)$")


def appositive_questions(answer: str, term: Term, full: str = "") -> list[str]:
    """What a reader asks of a name its sentence also gives by what it is ("The last principal keeper,
    Alan Moyle, now guides tours" -> "What is the name of the last principal keeper at Hesketh Point
    Lighthouse?", and for a person's role "Who is the last principal keeper at ...?"): the echo question
    asks the name inside the whole sentence, and none asks the role alone. A role that names nothing of
    the document is asked at its full name (`full`), as clause_echo does; a superlative alone ("The
    oldest, the Salvesen Dome") or a role without a verb after the name is no role."""
    if term.kind != "name":
        return []
    sentence = " ".join(sentence_of(answer, term)[0].split())
    match = next((m for m in (_ROLE_FIRST.search(sentence), _NAME_FIRST.match(sentence))
                  if m and term.text in (m.group("name"), re.sub(r"^\w+ ", "", m.group("name")))), None)
    if not match:
        return []
    role, rest = match.group("role"), match.group("rest").split()
    role = role[0].lower() + role[1:]
    if len(role.split()) < 3 and role.endswith("est") or not any(verb_word(w) for w in rest[:2]):
        return []
    if not any(t.kind == "name" for t in terms_of(role)) and full and full.lower().split()[-1] not in role.split():
        role = f"{role} at {full}"
    verb = next(w for w in rest[:2] if verb_word(w))
    questions = [f"What is the name of {role}?"]
    name = match.group("name")
    person = _PERSON_NOUN.search(match.group("role").split()[-1]) or re.match(r"(?:Dr|Mr|Mrs|Ms|Sir|Captain) ", name) \
        or re.search(r"\b(?:he|she|his|her)\b", match.group("rest"))
    if person and not name.startswith("the "):
        questions.append(f"Who {'was' if past_base(verb) else 'is'} {role}?")
    return questions


# "Main telescope: the Vossel refractor, with a lens ...": a key-facts item that names its thing
_ITEM_NAME = re.compile(r"^the (?P<name>(?:[\w'’-]+ ){0,3}[\w'’-]+)(?:,|$)")


def role_aliases(markdown: str) -> tuple[tuple[str, str], ...]:
    """(name, role) for each thing the document names and also calls by what it is: a key-facts item
    ("Main telescope: the Vossel refractor, ..." -> ("the Vossel refractor", "the main telescope")) or
    an appositive ("The last principal keeper, Alan Moyle, ..."), where another sentence names the
    thing again. Those sentences say "The Vossel refractor was built in Glasgow", and a reader asks
    "Where was the main telescope built?": sdg.knowledge asks some of their questions by the role.
    A name or role given twice with different partners is left out."""
    sentences = [" ".join(s.split()) for s in answer_candidates(markdown)]
    found: list[tuple[str, str, str]] = []  # (name, role, the sentence that pairs them)
    for sentence in sentences:
        labelled = LABELLED.match(sentence)
        if labelled:
            item = _ITEM_NAME.match(labelled.group(2))
            if item and any(w[:1].isupper() for w in item.group("name").split()):
                found.append((f"the {item.group('name')}", "the " + labelled.group(1).lower(), sentence))
            continue
        for part in split_sentences(sentence):
            match = _ROLE_FIRST.search(part) or _NAME_FIRST.match(part)
            role = match.group("role").split() if match else []
            if match and 2 <= len(role) <= 5 and not (len(role) < 3 and role[-1].endswith("est")):
                found.append((match.group("name"), "the " + " ".join(role[1:]), sentence))
    pairs = []
    for name, role, defining in found:
        unique = sum(n == name for n, _, _ in found) == 1 and sum(r == role for _, r, _ in found) == 1
        if unique and any(re.search(rf"\b{re.escape(name)}\b", s, re.I) for s in sentences if s != defining):
            pairs.append((name, role))
    return tuple(pairs)


def by_role(question: str, role: tuple[str, str]) -> str:
    """`question` with the thing `role` names ("the Vossel refractor") called by its role ("the main
    telescope"), keeping the capital of a question's first word; unchanged where it is not named or
    already says the role."""
    name, what = role
    if re.search(rf"\b{re.escape(what.removeprefix('the '))}\b", question, re.I):
        return question
    return re.sub(rf"\b{re.escape(name)}\b", lambda m: what[0].upper() + what[1:] if m.start() == 0 else what,
                  question, count=1, flags=re.I)
