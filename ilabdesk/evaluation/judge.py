"""Judge scoring, MT-Bench style: another model rates an answer 1-10 and says why.

The judge sees the question, the reference answer and the model's answer,
and must reply with JSON `{"reason": ..., "score": N}` (constrained by a JSON
schema, so even a small local judge replies in shape). The reason comes
first so the score follows from it, as MT-Bench's "explain, then rate" asks.
Replies that still do not parse are counted as unscored, never guessed.
"""

from __future__ import annotations

import json
import re

from ilabdesk.chat.engine import GenerationParams, Message

JUDGE_SCHEMA = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},  # no maxLength: long bounds overflow llama.cpp grammars; max_tokens caps it
        "score": {"type": "integer", "minimum": 1, "maximum": 10},
    },
    "required": ["reason", "score"],
}

JUDGE_SYSTEM = "You are a strict and fair judge of answers written by AI assistants."

JUDGE_TEMPLATE = """Please act as an impartial judge and evaluate the answer of an AI assistant to the question below.
A reference answer is given: the assistant's answer is correct only if it states the same facts.
Consider correctness first, then helpfulness and clarity. Be as objective as possible.
Rate the answer on a scale of 1 to 10:
10 = correct and complete, 7 = correct but incomplete or wordy, 4 = partly wrong, 1 = wrong or off-topic.

[Question]
{question}

[Reference answer]
{reference}

[The start of the assistant's answer]
{answer}
[The end of the assistant's answer]

Reply in JSON as {{"reason": "<one or two sentences>", "score": <1-10>}}."""

JUDGE_PARAMS = GenerationParams(temperature=0.0, top_p=1.0, max_tokens=110, seed=0, json_schema=JUDGE_SCHEMA)


def judge_messages(question: str, reference: str, answer: str) -> list[Message]:
    """The conversation that asks the judge to rate one answer."""
    prompt = JUDGE_TEMPLATE.format(question=question.strip(), reference=reference.strip() or "(none)", answer=answer.strip() or "(empty)")
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": prompt}]


def parse_verdict(text: str) -> tuple[int | None, str]:
    """(score 1-10 or None, reason) from a judge reply; tolerant of a truncated JSON tail."""
    try:
        data = json.loads(text)
        score = data.get("score") if isinstance(data, dict) else None
        reason = str(data.get("reason", "")) if isinstance(data, dict) else ""
        if isinstance(score, int) and 1 <= score <= 10:
            return score, reason
    except ValueError:
        pass
    reason_match = re.search(r'"reason"\s*:\s*"((?:[^"\\]|\\.)*)', text)
    reason = reason_match.group(1) if reason_match else text.strip()[:400]
    for pattern in (r'"score"\s*:\s*(\d+)', r"\[\[(\d+)\]\]", r"(?i)rating:\s*(\d+)"):
        match = re.search(pattern, text)
        if match and 1 <= int(match.group(1)) <= 10:
            return int(match.group(1)), reason
    return None, reason
