"""Echo questions asked as a reader asks them: the question phrase first.

An echo question keeps its sentence's word order ("The cellars can hold how
many wheels at once?"); a reader asks "How many wheels can the cellars hold
at once?". A small student taught only the first form links the fact to the
sentence's opening words, and a reader's question opens with other words.
`reader_question` moves the question phrase to the front, with the auxiliary
("can", "was") or with "did"/"does" and the verb's base form, where the
sentence is plain enough to do so without a parser: one clause, a subject of
a few words, a verb it can read. Elsewhere it returns None (the teacher's
rewordings still ask those facts in other forms).
"""

from __future__ import annotations

import re

from ilabdesk.sdg.text import STOPWORDS

_PHRASE = re.compile(r"\b(?:how many|what year|what date|what time|which day|which [a-z]+|whom)\b")
_AUX = frozenset("is are was were can could will would may might must should".split())
_HAVE = frozenset("has have had".split())
# words that stay with the question phrase ("about how many", "in what year")
_MODIFIERS = frozenset("about roughly nearly almost around some over under minus least up".split())
_PREPOSITIONS = frozenset("in on at by since until during after before from for to with".split())
# an opening that is no subject ("Today the cooperative has ..."): it moves to the end
_OPENING = re.compile(r"^(Today|Now|Every \w+|Each \w+|(?:In|Since|By|Until) \d{4}),? (?=\S)")
_RELATIVE = re.compile(r"[,;:](?!\d)|\b(?:which|who|that|when|where|while|and|but)\b|\bto (?!(?:the|a|an|its|their)\b)[a-z]+\b(?<!s)")
_TAIL_END = re.compile(r"[,;]\s|\s(?:and|but)\s(?![A-Z])|\s(?:while|when|who|which|whose)\s")
_ADVERBS = frozenset("also already always just never now since still".split())  # "has also run"
# past participles not made with -ed or -en whose past tense differs ("ran" -> "run")
_PARTICIPLES = frozenset("become begun come done drawn flown gone grown known run shown sung swum thrown worn".split())
# a word the question phrase cannot leave behind ("at no more than how many", "every which day")
_STRANDED = frozenset("than every each the a an of".split())
_SUBJECT_WORDS = 8  # a subject is at most seven words long ("A guided tour of the Stone Cellars")
_PRONOUNS = frozenset("it its they their this these he she his her".split())
# past tenses not made with -ed, and -ed ones the rules below would read wrong
_IRREGULAR = dict(pair.split(":") for pair in """ate:eat became:become began:begin bore:bear bought:buy
    brought:bring broke:break created:create built:build burnt:burn cast:cast caught:catch chose:choose came:come cut:cut dealt:deal drew:draw drove:drive
    dug:dig fed:feed fell:fall felt:feel fled:flee flew:fly fought:fight found:find froze:freeze gave:give got:get
    grew:grow held:hold hung:hang kept:keep knew:know laid:lay led:lead left:leave lent:lend lost:lose made:make
    meant:mean met:meet paid:pay put:put ran:run rang:ring rode:ride rose:rise said:say sang:sing sat:sit saw:see
    sent:send set:set shot:shoot shut:shut sold:sell spent:spend spoke:speak spun:spin stood:stand stole:steal
    struck:strike swam:swim swept:sweep taught:teach told:tell thought:think threw:throw took:take tore:tear
    went:go woke:wake won:win wore:wear wound:wind wrote:write""".split())
# past-tense stems whose base form ends in a silent e ("damag" -> "damage", "produc" -> "produce")
_SILENT_E = re.compile(r"(?:[csvzu]|[adr]g|[^o]ng|[^aeiou][aiou][bdkm]|[^aeiou]l|[^aeiou][aiou]r|[^aeiou]at|"
                       r"[^aeiou][ou]t|let|[^aeiou]in)$")
# nouns that end in -s in the singular too ("a lecture series runs"): no verb
_INVARIANT = frozenset("series species means news lens gas atlas canvas chaos bias alias".split())
_SINGLE_VOWEL = re.compile(r"^[^aeiouy]*[aeiou][bcdgklmnprstvz]$")


def past_base(verb: str) -> str | None:
    """The base form of a past-tense verb ("damaged" -> "damage", "carried" -> "carry", "won" -> "win"),
    or None where it is not one."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if not verb.endswith("ed") or len(verb) < 5 or not verb.isalpha():
        return None
    stem = verb[:-2]
    if verb.endswith("ied"):
        return verb[:-3] + "y"
    if verb.endswith("eed"):
        return stem + "e"
    if stem[-1] == stem[-2] and stem[-1] not in "lsfzd":
        return stem[:-1]  # "stopped"
    if _SILENT_E.search(stem) and not stem.endswith(("ss", "ll")) or _SINGLE_VOWEL.match(stem):
        return stem + "e"  # "named", "damaged"
    return stem


def participle(word: str) -> bool:
    """Whether `word` may be a past participle ("heated", "taken", "built", "run")."""
    return word.endswith(("ed", "en")) or word in _IRREGULAR or word in _PARTICIPLES


def present_base(verb: str) -> str | None:
    """The base form of a verb in the third person ("crosses" -> "cross", "carries" -> "carry")."""
    if (not verb.endswith("s") or verb.endswith(("ss", "'s", "us", "is")) or len(verb) < 4 or not verb.isalpha()
            or verb in _INVARIANT):
        return None
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        return verb[:-2]
    return verb[:-1]


def verb_word(word: str) -> bool:
    """Whether `word` may be a finite verb: an auxiliary, "has", a past or a third-person form."""
    lower = word.lower()
    return lower in _AUX | _HAVE or bool(past_base(lower) or present_base(lower))


def _finite(words: list[str]) -> bool:
    """Whether `words` hold a verb that may be the sentence's own (an auxiliary, a past tense)."""
    return any(w.lower() in _AUX | _HAVE or past_base(w.lower()) for w in words)


def _verb_at(words: list[str]) -> tuple[int, str, list[str]] | None:
    """(index, auxiliary, verb words) of the finite verb after a short subject ("A guided tour of the
    Stone Cellars"): an auxiliary where there is one, else a verb in the past, else one in the third
    person after an article and at most two words ("the glassworks trains") or after names ("Lake
    Vendel freezes")."""
    for index, word in enumerate(words[1:_SUBJECT_WORDS], 1):
        lower, rest = word.lower(), words[index + 1:]
        later = rest[1:]
        while later and (later[0] == "been" or past_base(later[0])):
            later = later[1:]  # "has been heated": one verb
        if lower in _AUX | _HAVE and _finite(later):
            return None  # "The coldest temperature it has recorded was ...": which is the verb?
        if lower in _AUX:
            return index, lower, rest
        if lower in _HAVE:
            verb = next((w for w in rest if w not in _ADVERBS), "")
            if participle(verb):
                return index, lower, rest  # "has been", "had built", "has also run"
            return index, {"had": "did", "has": "does"}.get(lower, "do"), ["have", *rest]
    article = words[0].lower() in ("the", "a", "an")
    for index, word in enumerate(words[1:_SUBJECT_WORDS], 1):
        lower, rest = word.lower(), words[index + 1:]
        if word[:1].isupper() or lower in STOPWORDS or (index == 1 and article):
            continue  # "A guided tour": a word after the article is no verb
        common = [w for w in words[1:index] if w[:1].islower() and w.lower() not in STOPWORDS]
        base = past_base(lower) or (present_base(lower) if (len(common) <= 2 if article else not common) else None)
        if not base:
            continue
        if _finite(rest):
            return None  # "Whey left over ... is fed": which is the verb?
        return index, "did" if past_base(lower) else "does", [base, *rest]
    return None


def predicates(clause: str) -> list[str]:
    """A clause whose subject does two things as two clauses with that subject each ("A guided tour
    of the Stone Cellars lasts 75 minutes and costs 9 euros." -> "... lasts 75 minutes", "A guided
    tour of the Stone Cellars costs 9 euros."); [clause] where it does one or is not plain enough."""
    words = clause.rstrip(".").split()
    for k in range(2, len(words) - 1):
        second = words[k + 1]
        if words[k] == "and" and not words[k - 1].endswith(",") and second[:1].islower() and (
                second in _AUX | _HAVE or past_base(second) or present_base(second)):
            found = None if _RELATIVE.search(" ".join(words[:k])) else _verb_at(words[:k])
            if found and found[0] < k - 1:
                index, aux = found[0], words[found[0]]
                # "Big Agnes was built in 1932 and relined in 1988": "Big Agnes was relined in 1988"
                shared = [aux] if aux.lower() in _AUX and second not in _AUX | _HAVE and not present_base(second) else []
                return [" ".join(words[:k]), " ".join(words[:index] + shared + words[k + 1:])]
            break
    return [clause]


def _inverted(words: list[str], opening: bool = True) -> tuple[str, list[str], list[str]] | None:
    """(auxiliary, subject, verb words) of a plain clause ("the dairy has been heated" -> "has",
    ["the", "dairy"], ["been", "heated"]), or None where its subject is a pronoun or holds a clause.
    A clause that opened its sentence has its first word capitalised whether or not it is a name."""
    if not words or words[0].lower() in _PRONOUNS:
        return None  # whom "it" stands for is in another sentence
    if opening:
        words = [words[0][0].upper() + words[0][1:], *words[1:]]
        if len(words) > 1 and words[0] not in ("The", "A", "An") and (
                words[1][:1].islower() or words[0].lower() in _MODIFIERS | STOPWORDS):
            words[0] = words[0].lower()  # "Slate traffic ended": a common noun, not a name; "About 8,000"
    found = _verb_at(words)
    if found is None or _RELATIVE.search(" ".join(words[:found[0]])):
        return None
    index, aux, verb = found
    subject = words[:index]
    if subject[0] in ("The", "A", "An") or not subject[0][:1].isupper():
        subject[0] = subject[0].lower()
    return aux, subject, verb


def reader_question(echo: str) -> str | None:
    """`echo` (sdg.facts.echo_question) with its question phrase first, or None where it cannot be
    moved safely ("The cellars can hold how many wheels at once?" -> "How many wheels can the
    cellars hold at once?"; "A fire damaged the old dairy in what year?" -> "In what year did a fire
    damage the old dairy?"). An echo of a sentence that opens with its date has the phrase first
    already and gets its verb before the subject ("Since what year the dairy has been heated ...?"
    -> "Since what year has the dairy been heated ...?")."""
    text = echo.rstrip("?").strip()
    match = _PHRASE.search(text)
    if not match or re.search(r":\s", text):  # "Bells cast since what year: more than 21,000": a list item
        return None
    before, phrase, after = " ".join(text[:match.start()].split()), match.group(), text[match.end():]
    after = _TAIL_END.split(after)[0].split()
    head = before.split()
    if 0 < len(head) <= 2 and head[-1].lower() in _PREPOSITIONS and not phrase.startswith("how many"):
        clause = _inverted(after, opening=False)
        if clause is None:
            return None
        aux, subject, verb = clause
        return _question([*head, phrase, aux, *subject, *verb])
    if after[:1] in (["and"], ["or"]):
        after = []  # "to which brothers and Oskar Lindqvist": the rest of the answer
    if after and _finite(after[:1]):
        return None  # "a dairy designed by which architect opened ...": the phrase is in the subject
    if phrase.startswith(("how many", "which")):  # the thing asked for goes with it: "how many tonnes of cheese"
        nouns = 0
        while after and nouns < 3 and re.fullmatch(r"[A-Za-z-]+", after[0]) and after[0].lower() not in STOPWORDS:
            phrase, nouns = f"{phrase} {after.pop(0)}", nouns + 1
            if after[:1] == ["of"] and len(after) > 1 and after[1].lower() not in STOPWORDS:
                phrase, nouns = f"{phrase} {after.pop(0)}", 0
        if phrase == "how many":
            return None
    opening = _OPENING.match(before)
    tail = [opening.group(1)[0].lower() + opening.group(1)[1:]] if opening else []
    words = before[opening.end():].split() if opening else before.split()
    lead: list[str] = []
    while words and words[-1].lower() in _MODIFIERS | _PREPOSITIONS and len(lead) < 2:
        lead.insert(0, words.pop())
    if not words or _RELATIVE.search(" ".join(words)) or words[-1].lower() in _STRANDED:
        return None  # a relative clause, two clauses, "every which day": the phrase may not be the verb's
    clause = _inverted(words)
    if clause is None:
        return None
    aux, subject, verb = clause
    return _question([*lead, phrase, aux, *subject, *verb, *after, *tail])


def _question(words: list[str]) -> str:
    text = " ".join(words)
    return text[0].upper() + text[1:] + "?"
