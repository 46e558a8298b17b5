"""Skills SDG with the real embedded teacher: every attempt ends kept or dropped for a counted reason."""

from __future__ import annotations

import pytest

from ilabdesk.sdg.knowledge import SeedExample
from ilabdesk.sdg.prompts import load_prompts
from ilabdesk.sdg.skills import SkillGenerator
from ilabdesk.sdg.teacher import Teacher


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
    assert outcome.generated == attempts
    assert outcome.kept + sum(outcome.dropped.values()) == attempts, outcome.dropped
    assert len(outcome.samples) == outcome.kept
    for sample in outcome.samples:
        meta = sample["metadata"]
        assert meta["kind"] == ("grounded_skill" if grounded else "freeform_skill")
        assert meta["with_context"] is grounded
        assert sample["messages"][0]["content"].endswith(meta["question"])
        assert sample["messages"][1]["content"].strip()
    assert teacher.calls >= 2
