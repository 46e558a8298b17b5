"""The teacher as SDG sees it: batches of conversations in, parsed JSON out.

Any `ChatEngine` works (embedded GGUF, a bigger local GGUF, an endpoint).
Requests of one step go out together through `complete_many`, which an
endpoint engine runs concurrently. Replies are constrained by a JSON schema
and parsed strictly: a reply that does not parse becomes None, to be counted
and dropped by the caller, never an exception. The wrapper also measures the
teacher's tokens and time, for the benchmark's "tok/s during SDG".
"""

from __future__ import annotations

import json
import time
from typing import Any

from ilabdesk.chat.engine import ChatEngine, GenerationParams, Message


def object_schema(**properties: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema for an object with exactly these required properties."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def text_field() -> dict[str, Any]:
    """A non-empty string. No maxLength: llama.cpp expands it into one nested grammar rule per
    character, and a long one (a 1500-character context) overflows its stack. `max_tokens`
    bounds the length instead, and a reply cut short fails to parse and is counted."""
    return {"type": "string", "minLength": 1}


VERDICT = object_schema(verdict={"type": "string", "enum": ["yes", "no"]})


class Teacher:
    """A `ChatEngine` plus strict JSON parsing and bookkeeping of tokens and seconds."""

    def __init__(self, engine: ChatEngine, temperature: float = 0.7) -> None:
        self.engine = engine
        self.temperature = temperature
        self.calls = 0
        self.tokens = 0
        self.seconds = 0.0

    def _params(self, seed: int, max_tokens: int, schema: dict[str, Any] | None, temperature: float | None) -> GenerationParams:
        return GenerationParams(
            temperature=self.temperature if temperature is None else temperature,
            top_p=0.95,
            max_tokens=max_tokens,
            seed=seed,
            json_schema=schema,
        )

    def texts(
        self,
        conversations: list[list[Message]],
        seed: int,
        max_tokens: int = 256,
        schema: dict[str, Any] | None = None,
        temperature: float | None = None,
    ) -> list[str]:
        """Raw replies, in order. One seed per batch; engines vary it per request themselves
        only if they must, so a batch of one conversation is reproducible."""
        if not conversations:
            return []
        params = self._params(seed, max_tokens, schema, temperature)
        start = time.perf_counter()
        # Even one conversation goes through complete_many: llama.cpp's batch path samples
        # under a grammar far faster than llama-cpp-python's create_chat_completion.
        replies = self.engine.complete_many(conversations, params)
        self.seconds += time.perf_counter() - start
        self.calls += len(conversations)
        self.tokens += sum(self.engine.count_tokens(r) for r in replies if r)
        return replies

    def json(
        self,
        conversations: list[list[Message]],
        schema: dict[str, Any],
        seed: int,
        max_tokens: int = 200,
        temperature: float | None = None,
    ) -> list[dict[str, Any] | None]:
        """Replies parsed against `schema`'s required string keys; None for each that does not parse."""
        replies = self.texts(conversations, seed, max_tokens, schema, temperature)
        return [parse_json(reply, schema) for reply in replies]

    def verdicts(self, conversations: list[list[Message]], seed: int) -> list[bool | None]:
        """Yes/no judgements at temperature 0; None where the reply did not parse."""
        parsed = self.json(conversations, VERDICT, seed, max_tokens=12, temperature=0.0)
        return [None if p is None else p["verdict"].strip().lower() == "yes" for p in parsed]


def parse_json(reply: str | None, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The reply as a dict with every required key a non-empty string (or enum value), else None."""
    if not reply:
        return None
    text = reply.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        # strict=False: a raw newline inside a string (grammars of some servers allow it) is no reason to drop it
        value = json.loads(text[start : end + 1], strict=False)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for key in schema.get("required", []):
        item = value.get(key)
        if not isinstance(item, str) or not item.strip():
            return None
        allowed = schema["properties"][key].get("enum")
        if allowed and item.strip().lower() not in allowed:
            return None
        out[key] = " ".join(item.split()) if key != "context" else item.strip()
    return out
