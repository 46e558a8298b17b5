"""Multiple-choice questions on document facts: real questions, same-kind options, answer parsing."""

from ilabdesk.bundle import resource_path
from ilabdesk.evaluation.choice import build_choice_items, choice_item, picked_option
from ilabdesk.evaluation.scoring import tokens

DOC = """# Brindle Works

The Brindle Works opened in 1912 in the town of Ossery.
Its founder, Hanna Loy, hired 40 weavers in the first year.
A second mill followed in 1931 near the river Tamsel.
In 1955 the company was sold to Carrow Holdings for 2,000 pounds.
The last loom stopped in 1987, after 75 years of work.
The mill's chimney is 38 metres tall and was built by the mason Ivo Tarr.

- a list item that is long enough to count as a sentence here
"""


def test_items_are_real_questions_with_options_of_the_answers_kind():
    first = build_choice_items(DOC, "knowledge/brindle", limit=10)
    assert first and [i.question for i in first] == [i.question for i in build_choice_items(DOC, "knowledge/brindle")]
    for item in first:
        answer = item.options[item.answer_index]
        question = item.question.split("\n\n")[0]
        assert question.endswith("?") and answer not in question  # a question, not a sentence with a blank
        assert len(set(map(lambda o: tuple(tokens(o)), item.options))) == len(item.options) >= 3
        if answer.isdigit() and len(answer) == 4:  # years with years
            assert all(o.isdigit() and len(o) == 4 for o in item.options)
        if not any(c.isdigit() for c in answer):  # names with names
            assert not any(c.isdigit() for o in item.options for c in o)


def test_another_seed_keeps_the_questions():
    a = build_choice_items(DOC, "x", seed=0)
    b = build_choice_items(DOC, "x", seed=1)
    assert [i.context for i in a] == [i.context for i in b]
    assert [i.answer_index for i in a] != [i.answer_index for i in b]


def test_the_right_answer_rotates_over_the_positions():
    items = [choice_item("x", "When?", "1912", ["1912", "1931", "1955", "1987"], n) for n in range(5)]
    assert [i.answer_index for i in items] == [0, 1, 2, 3, 0]
    assert all(i.options[i.answer_index] == "1912" and sorted(i.options) == ["1912", "1931", "1955", "1987"]
               for i in items)


def test_limit_spreads_over_the_sample_document():
    text = resource_path("sample", "documents", "quellmoor_island.md").read_text(encoding="utf-8")
    items = build_choice_items(text, "sample", limit=5)
    assert len(items) == 5
    assert len({i.context for i in items}) == 5
    # the document's subject is never the answer
    assert all("Quellmoor" not in i.options[i.answer_index] for i in items)


def test_picked_option():
    options = ["1673", "1891", "1902", "1958"]
    assert picked_option("B) 1891", options) == 1
    assert picked_option("The answer is 1902.", options) == 2
    assert picked_option("D", options) == 3
    assert picked_option("I think 1673 or 1891", options) is None  # two named, no letter
    assert picked_option("a lighthouse", options) is None  # 'a' is not a letter choice
