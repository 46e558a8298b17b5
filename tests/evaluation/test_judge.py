"""Judge prompt and verdict parsing."""

from ilabdesk.evaluation.judge import JUDGE_SCHEMA, judge_messages, parse_verdict


def test_prompt_carries_question_reference_and_answer():
    messages = judge_messages("Q?", "Ref.", "Ans.")
    text = messages[-1]["content"]
    assert "[Question]\nQ?" in text and "[Reference answer]\nRef." in text and "Ans." in text
    assert JUDGE_SCHEMA["properties"]["score"]["maximum"] == 10


def test_parse_verdict_json_and_fallbacks():
    assert parse_verdict('{"reason": "matches the reference", "score": 9}') == (9, "matches the reference")
    assert parse_verdict('{"reason": "cut short', ) == (None, "cut short")
    assert parse_verdict('{"reason": "ok", "score": 7') == (7, "ok")
    assert parse_verdict("Rating: [[3]]")[0] == 3
    assert parse_verdict('{"reason": "x", "score": 42}')[0] is None  # out of range is not a score
