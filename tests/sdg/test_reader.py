"""Echo questions asked with the question phrase first, and where that is left alone."""

import pytest

from ilabdesk.sdg.reader import past_base, predicates, reader_question


@pytest.mark.parametrize(("echo", "reader"), [
    ("The cellars can hold how many wheels at once?", "How many wheels can the cellars hold at once?"),
    ("Radios are tested at the start of every day at what time?", "At what time are radios tested at the start of every day?"),
    # a sentence's opening "About" is no name ("did About 8,000 people come")
    ("About 900 people came in what year to the Flour Fair?", "In what year did about 900 people come to the Flour Fair?"),
    ("A fire damaged the old dairy in what year, and a new dairy opened two years later?",
     "In what year did a fire damage the old dairy?"),
    ("Today the cooperative has how many member farms?", "How many member farms does the cooperative have today?"),
    ("Each year the cooperative makes about how many tonnes of cheese?",
     "About how many tonnes of cheese does the cooperative make each year?"),
    ("The Solberg Glassworks was founded in 1847 by which merchant, who brought six glassblowers from Bohemia?",
     "By which merchant was the Solberg Glassworks founded in 1847?"),
    ("Slate traffic ended in what year?", "In what year did slate traffic end?"),
    ("The line crosses which river on the Fenwick Viaduct?", "Which river does the line cross on the Fenwick Viaduct?"),
    ("The company became a foundation in what year?", "In what year did the company become a foundation?"),
    ("Drivers must be at least how many years old?", "At least how many years old must drivers be?"),
    ("A large mould takes up to how many weeks to dry?", "Up to how many weeks does a large mould take to dry?"),
    ("The great lens weighs how many tonnes?", "How many tonnes does the great lens weigh?"),
    ("Whey left over from cheesemaking is fed to pigs on how many nearby farms?",
     "On how many nearby farms is whey left over from cheesemaking fed to pigs?"),
    # a sentence that opens with its date: the phrase is first already, the verb goes before the subject
    ("Since what year the dairy has been heated with wood chips?", "Since what year has the dairy been heated with wood chips?"),
    ("In what year Amselgold won the gold medal at the Grand Dairy Fair?",
     "In what year did Amselgold win the gold medal at the Grand Dairy Fair?"),
    ("On which day the glassworks holds the Night of Fire, when the furnaces are open?",
     "On which day does the glassworks hold the Night of Fire?"),
    ("Since what year the observatory has also run a weather station?",
     "Since what year has the observatory also run a weather station?"),
    # "series" is no verb ("On which day does a lecture sery runs ...?")
    ("A lecture series runs on which day in winter?", "On which day does a lecture series run in winter?"),
])
def test_the_question_phrase_moves_to_the_front(echo, reader):
    assert reader_question(echo) == reader


@pytest.mark.parametrize("echo", [
    "The cooperative's head cheesemaker since what year has been Oskar Breitholm?",  # the phrase is in the subject
    "A new dairy designed by which architect opened two years later?",  # ... a participle's
    "Milk left over from the dairy fed how many pigs?",  # which verb is the sentence's?
    "The caves were enlarged in 1967, and again in what year?",  # the second of two clauses
    "It stands at an altitude of how many metres?",  # whom "it" stands for is elsewhere
    "Trains must cross the viaduct at no more than how many kilometres per hour?",  # "than" left behind
    "Locomotive Brigid: built in what year; steam?",  # a table row
    "The manager is what?",  # "what" asks for a name it cannot tell a person's from a thing's
    "By what year it had 210 workers?",
    "In what year the museum that the town built opened?",  # a clause in the subject
    "Around how many per cent of it is Amselgold?",  # the phrase is the subject
])
def test_a_sentence_it_cannot_read_is_left_alone(echo):
    assert reader_question(echo) is None


def test_past_tense_verbs_get_their_base_form():
    pairs = {"damaged": "damage", "carried": "carry", "stopped": "stop", "opened": "open", "founded": "found",
             "named": "name", "enlarged": "enlarge", "belonged": "belong", "visited": "visit", "completed": "complete",
             "treated": "treat", "won": "win", "sold": "sell"}
    assert {verb: past_base(verb) for verb in pairs} == pairs
    assert past_base("cheese") is None


def test_a_subject_that_does_two_things_is_two_clauses():
    assert predicates("A guided tour of the Stone Cellars lasts 75 minutes and costs 9 euros.") == [
        "A guided tour of the Stone Cellars lasts 75 minutes", "A guided tour of the Stone Cellars costs 9 euros"]
    assert predicates("Big Agnes was built in 1932 and relined in 1988.") == [
        "Big Agnes was built in 1932", "Big Agnes was relined in 1988"]
    for one in ("The milk comes from roughly 3,400 cows and 900 sheep.",  # two things of one verb
                "The glassworks was sold in 1901 to the brothers Emil and Oskar Lindqvist.",
                "Whey left over from cheesemaking is fed to pigs on four nearby farms."):
        assert predicates(one) == [one]
