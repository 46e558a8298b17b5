"""The shape of a skill's seed answers: inferred, turned into a schema per context, and checked."""

import datetime
import json
import random

from ilabdesk.sdg.shape import context_dates, infer_shape, redated, shared_instruction
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
    schema = shape.schema_for(NEW)
    assert schema["properties"]["date"]["enum"] == ["2025-04-04"]
    assert "Ada Kovac" in schema["properties"]["recipient"]["enum"]
    assert "two flower pots" in schema["properties"]["items"]["items"]["enum"]
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
    moved = [redated(CONTEXTS[0], ANSWERS[0], ["date"], rng) for _ in range(12)]
    for context, answer in moved:
        value = json.loads(answer)
        assert context_dates(context) == [value["date"]] and value["date"][5:7] != "03"
        assert value["recipient"] == "Hanna Holt" and context.startswith("Parcel for Hanna Holt: two spanners")
    assert len({json.loads(a)["date"][5:7] for _, a in moved}) >= 4  # spread over the months
    # a weekday just before the date follows it; the wording of the date is kept
    context, answer = redated("The fair opens on Saturday, February 3rd, 2024 at noon.", '{"date": "2024-02-03"}',
                              ["date"], rng)
    day = datetime.date.fromisoformat(json.loads(answer)["date"])
    assert f"on {day:%A}, {day:%B} {day.day}" in context and context_dates(context) == [day.isoformat()]
    # nothing to move: two dates, a date the answer does not take, a weekday elsewhere
    assert redated("Sent 2 May 2025, due 9 May 2025.", '{"date": "2025-05-02"}', ["date"], rng) is None
    assert redated("Sent 2 May 2025.", '{"date": "2025-05-03"}', ["date"], rng) is None
    assert redated("Sent 2 May 2025; we meet again on Friday.", '{"date": "2025-05-02"}', ["date"], rng) is None
