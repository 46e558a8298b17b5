"""The shape of a skill's seed answers: inferred, turned into a schema per context, and checked."""

import datetime
import json
import random

from ilabdesk.sdg.shape import context_dates, day_rounds, infer_shape, redated, refilled, shared_instruction
from ilabdesk.sdg.skills import common_opening

CONTEXTS = [
    "Parcel for Hanna Holt: two spanners and a cordless drill, delivered on 12 March 2025.",
    "On 3 June 2024 the courier left six blue mugs for Marek Doyle.",
]
ANSWERS = [
    '{"recipient": "Hanna Holt", "date": "2025-03-12", "items": ["two spanners", "a cordless drill"]}',
    '{"recipient": "Marek Doyle", "date": "2024-06-03", "items": ["six blue mugs"]}',
]
NEW = "Delivered on April 4, 2025: a watering can and two flower pots for Ada Kovac."


def test_a_json_shape_with_formats_and_values_from_the_context():
    shape = infer_shape(ANSWERS, CONTEXTS)
    assert shape.kind == "json" and shape.schema["required"] == ["recipient", "date", "items"]
    assert shape.schema["properties"]["date"]["pattern"] == r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    assert shape.spans == {"recipient": 2, "items": 3} and shape.dates == ["date"]
    assert shape.forms == {"recipient": ["a name", "no digits", "several words", "a whole phrase"],
                           "items": ["lower case", "no digits", "several words", "a whole phrase"]}
    schema = shape.schema_for(NEW)
    assert schema["properties"]["date"]["enum"] == ["2025-04-04"]
    assert "Ada Kovac" in schema["properties"]["recipient"]["enum"]
    assert "for Ada Kovac" not in schema["properties"]["recipient"]["enum"]
    assert "two flower pots" in schema["properties"]["items"]["items"]["enum"]
    assert "April 4" not in schema["properties"]["items"]["items"]["enum"]
    assert all(piece in NEW for piece in schema["properties"]["recipient"]["enum"])


def test_the_check_holds_answers_to_the_shape_and_the_context():
    shape = infer_shape(ANSWERS, CONTEXTS)
    good = {"recipient": "Ada Kovac", "date": "2025-04-04", "items": ["a watering can", "two flower pots"]}
    assert shape.check(json.dumps(good), NEW) == (True, "")
    assert shape.check(json.dumps({**good, "date": "4 April 2025"}), NEW) == (False, "answer_wrong_value")
    assert shape.check(json.dumps({**good, "date": "2025-04-05"}), NEW) == (False, "answer_not_grounded")
    assert shape.check(json.dumps({**good, "recipient": "Bob Stone"}), NEW) == (False, "answer_not_grounded")
    assert shape.check(json.dumps({**good, "note": "x"}), NEW) == (False, "answer_extra_keys")
    assert shape.check("Ada Kovac got a can.", NEW) == (False, "answer_not_json")
    # values of a span key are pieces of the context
    assert shape.check(json.dumps({**good, "items": ["can two flower"]}), NEW) == (False, "answer_not_from_the_context")
    # a training sample's values also have the forms of the seeds' values; a model's answer is not held to them
    assert shape.check_sample(json.dumps(good), NEW) == (True, "")
    for unlike in ({"recipient": "Delivered"}, {"recipient": "for Ada Kovac"}, {"items": ["April 4"]},
                   {"items": ["a watering can and"]}, {"items": ["two flower pots", "two flower pots"]}):
        assert shape.check_sample(json.dumps({**good, **unlike}), NEW)[1] in (
            "answer_value_unlike_the_seeds", "answer_values_overlap")
    assert shape.check_sample(json.dumps({**good, "items": ["a watering can", "watering can"]}), NEW)[1] == "answer_values_overlap"
    assert shape.check(json.dumps({**good, "recipient": "Delivered"}), NEW) == (True, "")
    # a held-out answer must also say something of its context
    assert shape.score("Turn this into JSON.", json.dumps(good), NEW) == (True, "")


def test_a_text_shape_and_freeform_scoring():
    notes = ["Dear Ann, thank you for the scarf. It keeps me warm.", "Dear Tom, thank you for the book. I loved it."]
    shape = infer_shape(notes)
    assert shape.kind == "text" and shape.opening == "Dear" and not shape.is_list
    assert shape.check("Dear Mia, thank you for the lovely flowers you sent.")[0]
    assert shape.check("Thanks a lot for the lovely flowers you sent me.") == (False, "answer_opening")
    opening = common_opening(["Write a thank-you note to my aunt.", "Write a thank-you note to a colleague."])
    assert opening == "Write a thank-you note to"
    task = "Write a thank-you note to my cousin for the bicycle."
    assert shape.score(task, "Dear cousin, thank you for the bicycle. I ride it daily.", None, opening)[0]
    assert shape.score(task, "Dear friend, thank you so much for everything you did.", None, opening) == (
        False, "answer_not_about_the_task")


def test_dates_and_shared_instructions():
    assert context_dates("Due 3 June 2024, or else on July 14th, 2025.") == ["2024-06-03", "2025-07-14"]
    same = ["Turn this delivery notice into JSON.", "Turn this delivery notice into JSON."]
    assert shared_instruction(same) == same[0]
    assert shared_instruction(["Write a haiku about rain.", "Summarise the text in one line."]) is None



def test_a_sample_moved_to_another_day_keeps_context_and_answer_in_step():
    rng = random.Random(0)
    days = day_rounds(rng)
    moved = [redated(CONTEXTS[0], ANSWERS[0], ["date"], rng, next(days)) for _ in range(12)]
    for context, answer in moved:
        value = json.loads(answer)
        assert context_dates(context) == [value["date"]] and value["date"][5:7] != "03"
        assert value["recipient"] == "Hanna Holt" and context.startswith("Parcel for Hanna Holt: two spanners")
    assert len({json.loads(a)["date"][5:7] for _, a in moved}) >= 4  # spread over the months
    # on the given day of the month, in a month that has it; every day as often as any other
    rounds = day_rounds(random.Random(1))
    drawn = [next(rounds) for _ in range(62)]
    assert sorted(drawn) == sorted([*range(1, 32)] * 2) and drawn[:31] != drawn[31:]
    for day in (30, 31, 29, 3):
        value = json.loads(redated(CONTEXTS[0], ANSWERS[0], ["date"], rng, day)[1])["date"]
        assert int(value[8:]) == day and value[5:7] != "03"
    # a weekday just before the date follows it; the wording of the date is kept
    context, answer = redated("The fair opens on Saturday, February 3rd, 2024 at noon.", '{"date": "2024-02-03"}',
                              ["date"], rng, 17)
    day = datetime.date.fromisoformat(json.loads(answer)["date"])
    assert f"on {day:%A}, {day:%B} {day.day}" in context and context_dates(context) == [day.isoformat()]
    # nothing to move: two dates, a date the answer does not take, a weekday elsewhere
    assert redated("Sent 2 May 2025, due 9 May 2025.", '{"date": "2025-05-02"}', ["date"], rng, 9) is None
    assert redated("Sent 2 May 2025.", '{"date": "2025-05-03"}', ["date"], rng, 9) is None
    assert redated("Sent 2 May 2025; we meet again on Friday.", '{"date": "2025-05-02"}', ["date"], rng, 9) is None


def test_a_sample_refilled_with_another_answers_values_keeps_the_sentence_and_swaps_the_slots():
    keys = ["recipient", "items"]
    donor = '{"recipient": "Marek Doyle", "date": "2024-06-03", "items": ["six blue mugs"]}'
    host = '{"recipient": "Hanna Holt", "date": "2025-03-12", "items": ["a cordless drill"]}'
    context, answer = refilled(CONTEXTS[0], host, CONTEXTS[1], donor, keys)
    assert context == "Parcel for Marek Doyle: two spanners and six blue mugs, delivered on 12 March 2025."
    assert json.loads(answer) == {"recipient": "Marek Doyle", "date": "2025-03-12", "items": ["six blue mugs"]}
    assert infer_shape(ANSWERS, CONTEXTS).check_sample(answer, context) == (True, "")
    # the other names of the context (a sender) take the donor context's, so the slot is taught, not the name
    context, answer = refilled("Parcel for Ann Lee from Brightwell Tools: a drill.", '{"to": "Ann Lee"}',
                               "Bob Ray got a lamp from Quayside Books.", '{"to": "Bob Ray"}', ["to"])
    assert context == "Parcel for Bob Ray from Quayside Books: a drill." and json.loads(answer) == {"to": "Bob Ray"}
    # a value swapped into the place of another is not swapped again
    context, answer = refilled("Ann met Bob.", '{"a": "Ann", "b": "Bob"}', "", '{"a": "Bob Lane", "b": "Cy"}', ["a", "b"])
    assert context == "Bob Lane met Cy." and json.loads(answer) == {"a": "Bob Lane", "b": "Cy"}
    # nothing to swap: lists of other lengths, a value that is not in the context once, a donor value there already
    assert refilled(CONTEXTS[0], ANSWERS[0], CONTEXTS[1], donor, keys) is None
    assert refilled("Hanna Holt and Hanna Holt: a drill.", host, CONTEXTS[1], donor, keys) is None
    assert refilled("Parcel for Hanna Holt from Marek Doyle: a cordless drill.", host, CONTEXTS[1], donor, keys) is None
