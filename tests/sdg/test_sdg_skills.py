"""Skills SDG with the real embedded teacher: every attempt ends kept or dropped for a counted reason,
answers keep the seeds' JSON shape with values from their context, held-out inputs copy no training input."""

from __future__ import annotations

import json

import pytest

from ilabdesk.sdg.prompts import load_prompts
from ilabdesk.sdg.skills import REDATED, REFILLED, SkillGenerator
from ilabdesk.sdg.teacher import Teacher
from ilabdesk.sdg.units import SeedExample


@pytest.fixture(scope="module")
def teacher():
    from ilabdesk.chat.factory import open_engine
    from ilabdesk.cpu import free_cores

    with open_engine(None, threads=free_cores()) as engine:
        yield Teacher(engine)


FREEFORM = [
    SeedExample("s0", None, [("Write a haiku about rain.", "Soft rain on the roof,\nthe garden drinks slowly,\nsleep comes with the sound.")]),
    SeedExample("s1", None, [("Write a haiku about the sea.", "Grey waves fold and break,\nsalt wind carries gull voices,\nthe tide keeps its time.")]),
]
GROUNDED = [
    SeedExample("s0", "Tom has 3 apples and buys 2 more.", [("How many apples does Tom have now?", "Tom has 5 apples.")]),
    SeedExample("s1", "A train leaves at 9 and arrives at 11.", [("How long is the trip?", "The trip takes 2 hours.")]),
]


@pytest.mark.parametrize("seeds, grounded", [(FREEFORM, False), (GROUNDED, True)], ids=["freeform", "grounded"])
def test_every_attempt_is_accounted_for(teacher, seeds, grounded):
    attempts = 1 if grounded else 2  # a grounded attempt also writes a whole new context: slow on CPU
    generator = SkillGenerator(load_prompts("smollm"), "skills_x", seeds, grounded, attempts=attempts, judge=True)
    outcome = generator.commit(seeds[0], teacher.run_one(generator.steps(seeds[0], run_seed=5)))
    assert attempts <= outcome.generated <= 3 * attempts  # dropped inputs are asked for again, up to three rounds
    assert outcome.kept + sum(outcome.dropped.values()) == outcome.generated, outcome.dropped
    # the seed's own example is taught too, before what the teacher made
    assert len(outcome.samples) == outcome.kept + 1 and outcome.samples[0]["metadata"]["origin"] == "seed"
    assert outcome.samples[0]["messages"][1]["content"] == seeds[0].qas[0][1]
    for sample in outcome.samples:
        meta = sample["metadata"]
        assert meta["kind"] == ("grounded_skill" if grounded else "freeform_skill")
        assert meta["with_context"] is grounded
        assert sample["messages"][0]["content"].endswith(meta["question"])
        assert sample["messages"][1]["content"].strip()
    assert teacher.calls >= 2


DELIVERIES = [
    SeedExample("s0", "Parcel for Hanna Holt: two spanners and a cordless drill, delivered on 12 March 2025.",
                [("Turn this notice into JSON.", '{"recipient": "Hanna Holt", "date": "2025-03-12", "items": ["two spanners"]}')]),
    SeedExample("s1", "On 3 June 2024 the courier left six blue mugs for Marek Doyle.",
                [("Turn this notice into JSON.", '{"recipient": "Marek Doyle", "date": "2024-06-03", "items": ["six blue mugs"]}')]),
]


def test_json_answers_take_their_values_from_their_context(teacher):
    from ilabdesk.sdg.heldout import skill_inputs
    from ilabdesk.sdg.shape import context_dates, context_spans
    from ilabdesk.sdg.text import similarity

    generator = SkillGenerator(load_prompts("smollm"), "skills_d", DELIVERIES, True, attempts=3, judge=False)
    assert generator.instruction == "Turn this notice into JSON." and generator.shape.dates == ["date"]
    outcome = generator.commit(DELIVERIES[0], teacher.run_one(generator.steps(DELIVERIES[0], run_seed=3)))
    made = [s for s in outcome.samples if s["metadata"]["origin"] == "generated"]
    for sample in made:  # every kept answer: the seeds' keys, a date and pieces of its own context
        context, answer = sample["metadata"]["context"], json.loads(sample["messages"][1]["content"])
        assert list(answer) == ["recipient", "date", "items"] and answer["date"] in context_dates(context)
        assert answer["recipient"] in context_spans(context, 3)
    # each example is copied on other days, the seed's too, the date moved in context and answer alike
    copies = [s for s in outcome.samples if s["metadata"]["origin"] == "redated"]
    assert len(copies) <= REDATED * (1 + len(made))
    seed_copies = [s for s in copies if s["metadata"]["context"].startswith("Parcel for Hanna Holt: two spanners")]
    assert len(seed_copies) == REDATED and len({s["metadata"]["context"] for s in seed_copies}) == REDATED
    for sample in copies:
        answer = json.loads(sample["messages"][1]["content"])
        assert context_dates(sample["metadata"]["context"]) == [answer["date"]]
    assert all(json.loads(s["messages"][1]["content"])["recipient"] == "Hanna Holt" for s in seed_copies)
    # the seed's context is also refilled with other answers' recipients and items, on another day
    refills = [s for s in outcome.samples if s["metadata"]["origin"] == "refilled"]
    assert refills and len(refills) <= REFILLED
    for sample in refills:
        context, answer = sample["metadata"]["context"], json.loads(sample["messages"][1]["content"])
        assert context.startswith(f"Parcel for {answer['recipient']}: {answer['items'][0]} and a cordless drill")
        assert answer["recipient"] != "Hanna Holt"
        assert generator.shape.check_sample(sample["messages"][1]["content"], context) == (True, "")
    assert outcome.kept == len(made)
    trained = [{"question": s["metadata"]["question"], "context": s["metadata"]["context"]} for s in outcome.samples]
    rows, _ = teacher.run_one(skill_inputs(generator, trained, 2, run_seed=3))
    for row in rows:
        context = row["metadata"]["context"]
        assert context_dates(context) and all(similarity(context, t["context"]) < 0.7 for t in trained)
