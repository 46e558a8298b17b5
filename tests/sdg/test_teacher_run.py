"""`Teacher.run` with the real embedded teacher: units side by side, results in plan order, cancellation."""

from __future__ import annotations

import pytest

from ilabdesk.chat.engine import GenerationParams
from ilabdesk.sdg.teacher import Steps, Teacher, json_ask, object_schema, text_field

QUESTION = object_schema(question=text_field())


def quiz(fact: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "You write one quiz question about the given fact. Reply in JSON."},
            {"role": "user", "content": f"Fact: {fact}"}]


@pytest.fixture(scope="module")
def teacher():
    from ilabdesk.chat.factory import open_engine

    with open_engine(None, context_length=2048, threads=1) as engine:
        yield Teacher(engine)


def test_units_run_side_by_side_and_results_keep_the_plan_order(teacher):
    finished: list[str] = []
    started: list[str] = []

    def unit(name: str, steps: int) -> Steps:
        started.append(name)
        replies = []
        for step in range(steps):
            replies += (yield json_ask([quiz(f"{name} has {step + 3} towers.")] * 2, QUESTION, [step, step + 1], max_tokens=40))
        assert (yield json_ask([], QUESTION, 0)) == []  # nothing to ask: answered at once
        finished.append(name)
        return name, replies

    results = list(teacher.run([("slow", unit("Arden", 3)), ("quick", unit("Brill", 1)), ("late", unit("Cosk", 1))], lanes=2))
    assert [key for key, _ in results] == ["slow", "quick", "late"]
    assert finished.index("Brill") < finished.index("Arden")  # it finished first, and waited to come out
    assert started[:2] == ["Arden", "Brill"]
    for key, (name, replies) in results:
        assert len(replies) == 2 * (3 if key == "slow" else 1)
        assert all(r is None or r["question"] for r in replies), replies  # parsed, or None when cut off


def test_a_cancelled_run_stops_between_replies_and_leaves_the_engine_usable(teacher):
    class Cancelled(Exception):
        pass

    replies = 0

    def check() -> None:
        nonlocal replies
        replies += 1
        if replies == 3:
            raise Cancelled

    def unit() -> Steps:
        return (yield json_ask([quiz(f"The wall is {n} meters high.") for n in range(8)], QUESTION, 1, max_tokens=40))

    calls = teacher.calls
    with pytest.raises(Cancelled):
        list(teacher.run([("a", unit()), ("b", unit())], lanes=2, check=check))
    assert teacher.calls - calls == 3
    answer = teacher.engine.complete_many([[{"role": "system", "content": "You are a helpful assistant."},
                                            {"role": "user", "content": "What is the capital of France?"}]],
                                          GenerationParams(temperature=0.0, max_tokens=20))[0]
    assert "Paris" in answer
