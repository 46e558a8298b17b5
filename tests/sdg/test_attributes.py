"""Questions a reader asks of a list item or a table row, naming what the attribute belongs to."""

import pytest

from ilabdesk.sdg.attributes import attribute_parts, attribute_questions
from ilabdesk.sdg.text import answer_candidates, table_sentences


@pytest.mark.parametrize(("line", "questions"), [
    ("Crossing time: 50 minutes", ["What is the crossing time of the Lindholm Ferry?",
                                   "What is the Lindholm Ferry's crossing time?"]),
    ("Passengers: about 310,000 a year", ["How many passengers does the Lindholm Ferry have?",
                                          "What is the number of passengers of the Lindholm Ferry?"]),
    ("Ports: Lindholm, Skarvik and Old Quay", ["What are the ports of the Lindholm Ferry?",
                                               "Which ports does the Lindholm Ferry have?"]),
    ("Founded: 1911", ["When was the Lindholm Ferry founded?", "In what year was the Lindholm Ferry founded?"]),
    # things counted with when or where: the count is asked, in the past for a year
    ("Passengers in 2023: 212,000", ["How many passengers did the Lindholm Ferry have in 2023?",
                                     "What was the number of passengers in 2023 at the Lindholm Ferry?"]),
    ("Crossings a day: 14", ["How many crossings a day does the Lindholm Ferry have?",
                             "What is the number of crossings a day at the Lindholm Ferry?"]),
    # a measure is also asked with its adjective, as a reader asks it
    ("Length of route: 18 kilometres", ["What is the length of route of the Lindholm Ferry?",
                                        "What is the Lindholm Ferry's length of route?",
                                        "How long is the route of the Lindholm Ferry?"]),
])
def test_a_list_item_is_asked_of_the_documents_subject(line, questions):
    assert [q for q, _ in attribute_questions(line, "the Lindholm Ferry")] == questions


def test_what_else_a_list_item_says_is_asked_as_a_reader_asks_it():
    def asked(line):
        return [(q, t.text) for q, t in attribute_questions(line, "the Lindholm Ferry")]

    # a count of other things than the label's, a weight of the thing the item names
    assert asked("Crew: 38, including 7 engineers")[2:] == [
        ("How many engineers does the Lindholm Ferry have?", "7")]
    assert asked("Largest ship: Polar Skua, 900 tonnes")[2:] == [
        ("How heavy is Polar Skua?", "900"), ("How much does Polar Skua weigh?", "900")]
    # a measure is no count of things: "how many minutes does the ferry have" is asked of nothing
    assert asked("Crossing time: 50 minutes") == [("What is the crossing time of the Lindholm Ferry?", "50"),
                                                  ("What is the Lindholm Ferry's crossing time?", "50")]
    # a label of things counted and the verb that made them
    assert asked("Passengers carried since 1911: over 9 million") == [
        ("How many passengers has the Lindholm Ferry carried since 1911?", "9 million")]


def test_a_table_row_is_asked_of_its_first_cell_column_by_column():
    [row] = table_sentences(["| Ship | Launched | Cars | Notes |", "|---|---|---|---|",
                             "| Motor ship Skua | 1987 | 42 | night crossings only |"])
    asked = attribute_questions(row, "the Lindholm Ferry")
    assert [(q, t.text) for q, t in asked] == [
        ("What is the name of the motor ship?", "Skua"),
        ("When was the motor ship Skua launched?", "1987"), ("In what year was the motor ship Skua launched?", "1987"),
        ("How many cars does the motor ship Skua have?", "42"),
        ("What is the number of cars of the motor ship Skua?", "42")]
    # a cell under a header that says nothing ("Notes") is left to the echo questions
    assert attribute_parts(row) == ("Motor ship Skua", [("launched", "1987"), ("cars", "42")], True)
    # a first cell that is a name alone has no kind to ask the name of
    assert [q for q, _ in attribute_questions("Skua Lodge: opened 1987.", "")] == [
        "When was Skua Lodge opened?", "In what year was Skua Lodge opened?"]


@pytest.mark.parametrize("line", [
    "The ferry crosses the sound in 50 minutes.",  # a sentence: its echo questions ask it
    "Note: tickets are sold on board",  # a label that says nothing of its value
    "Crossing time: about an hour",  # no number, name or date to ask for
])
def test_what_is_no_attribute_gets_no_attribute_questions(line):
    assert attribute_questions(line, "the Lindholm Ferry") == []


def test_a_short_labelled_list_item_is_a_fact_a_short_line_of_text_is_not():
    text = "## Key facts\n\n- Founded: 1911\n- Crossing time: 50 minutes\n- Open daily\n\nTickets: at the quay.\n"
    assert answer_candidates(text) == ["Founded: 1911", "Crossing time: 50 minutes"]
