"""The teacher as SDG sees it: units of work that ask for replies, parsed JSON out.

Any `ChatEngine` works (embedded GGUF, a bigger local GGUF, an endpoint).
A unit of SDG is a generator: it yields an `Ask` (conversations, each with
its own sampling seed) and is sent back the parsed replies, step after step.
`Teacher.run` keeps several units going and all of their requests queued in
the engine's `answer_stream`, so llama.cpp's parallel sequences (or an
endpoint's concurrent requests) stay full: a unit's next step joins as soon
as its replies are in, instead of every step waiting for the slowest reply.
Replies are constrained by a JSON schema and parsed strictly: a reply that
does not parse becomes None, to be counted and dropped by the caller, never
an exception. The teacher also measures its tokens and busy time, for the
benchmark's "tok/s during SDG".
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ilabdesk.chat.engine import ChatEngine, GenerationParams, Message, Request

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


@dataclass
class Ask:
    """What a unit needs next: replies to `conversations`, the i-th sampled with seed `seeds[i]`
    (one int: the same seed for all). `parse` turns each raw reply into what the unit gets back."""

    conversations: list[list[Message]]
    seeds: int | list[int]
    max_tokens: int
    temperature: float | None  # None: the teacher's own
    schema: dict[str, Any] | list[dict[str, Any] | None] | None  # a list: one schema per conversation
    parse: Callable[[str], Any]


def json_ask(conversations: list[list[Message]], schema: dict[str, Any], seeds: int | list[int],
             max_tokens: int = 200, temperature: float | None = None) -> Ask:
    """Replies constrained to `schema`, parsed to its required string keys (None if they do not parse)."""
    return Ask(conversations, seeds, max_tokens, temperature, schema, partial(parse_json, schema=schema))


def text_ask(conversations: list[list[Message]], seeds: int | list[int], max_tokens: int = 256) -> Ask:
    """Free text replies, as they come."""
    return Ask(conversations, seeds, max_tokens, None, None, str)


def verdict_ask(conversations: list[list[Message]], seed: int) -> Ask:
    """Yes/no judgements at temperature 0: True, False, or None where the reply did not parse."""
    return Ask(conversations, seed, 12, 0.0, VERDICT, parse_verdict)


def parse_verdict(reply: str) -> bool | None:
    parsed = parse_json(reply, VERDICT)
    return None if parsed is None else parsed["verdict"].strip().lower() == "yes"


Steps = Generator[Ask, list[Any], Any]


@dataclass
class _Running:
    """A unit waiting for the replies to its current ask."""

    key: Any
    steps: Steps
    ask: Ask | None = None
    replies: list[Any] = field(default_factory=list)
    missing: int = 0


class Teacher:
    """A `ChatEngine` plus strict JSON parsing, units run side by side, and bookkeeping of tokens and seconds."""

    def __init__(self, engine: ChatEngine, temperature: float = 0.7) -> None:
        self.engine = engine
        self.temperature = temperature
        self.calls = 0
        self.tokens = 0
        self.seconds = 0.0

    def _params(self, ask: Ask, index: int) -> GenerationParams:
        return GenerationParams(
            temperature=self.temperature if ask.temperature is None else ask.temperature,
            top_p=0.95,
            max_tokens=ask.max_tokens,
            seed=ask.seeds[index] if isinstance(ask.seeds, list) else ask.seeds,
            json_schema=ask.schema[index] if isinstance(ask.schema, list) else ask.schema,
        )

    def run(self, units: Iterable[tuple[Any, Steps]], lanes: int = 1,
            check: Callable[[], None] | None = None) -> Iterator[tuple[Any, Any]]:
        """Run (key, unit) pairs, up to `lanes` units at once; yields (key, what the unit returned).

        Results come out in the order of `units`, so what is written from them
        (the journal, the duplicate filter) does not depend on which unit's
        replies came first. `check` runs after every reply (cancellation).
        """
        source = iter(units)
        queue: deque[Request] = deque()
        running: dict[int, _Running] = {}  # by position in `units`
        finished: dict[int, tuple[Any, Any]] = {}
        started = emitted = 0

        def advance(position: int, unit: _Running, value: list[Any] | None) -> None:
            while True:
                try:
                    ask = unit.steps.send(value)
                except StopIteration as stop:
                    running.pop(position, None)
                    finished[position] = (unit.key, stop.value)
                    return
                if ask.conversations:
                    break
                value = []
            unit.ask, unit.replies, unit.missing = ask, [None] * len(ask.conversations), len(ask.conversations)
            running[position] = unit
            queue.extend(Request(c, self._params(ask, i), (position, i)) for i, c in enumerate(ask.conversations))

        stream: Iterator[tuple[Request, str]] | None = None
        try:
            while True:
                # start units while fewer than `lanes` run (and few finished ones wait for an earlier one)
                while len(running) < lanes and len(finished) < 4 * lanes:
                    item = next(source, None)
                    if item is None:
                        break
                    started += 1
                    advance(started - 1, _Running(*item), None)
                if emitted in finished:
                    emitted += 1
                    yield finished.pop(emitted - 1)
                    continue
                if not running:
                    return
                if stream is None:
                    stream = self.engine.answer_stream(queue)
                clock = time.perf_counter()
                answered = next(stream, None)
                self.seconds += time.perf_counter() - clock
                if answered is None:
                    raise RuntimeError("the engine ended its answers with requests left")
                request, reply = answered
                self.calls += 1
                self.tokens += self.engine.count_tokens(reply) if reply else 0
                position, index = request.key
                unit = running[position]
                unit.replies[index] = unit.ask.parse(reply)
                unit.missing -= 1
                if not unit.missing:
                    advance(position, unit, unit.replies)
                if check is not None:
                    check()
        finally:
            if stream is not None:
                stream.close()

    def run_one(self, steps: Steps) -> Any:
        """What one unit returns, run on its own."""
        return next(self.run([(None, steps)]))[1]

    def json(self, conversations: list[list[Message]], schema: dict[str, Any], seed: int,
             max_tokens: int = 200) -> list[dict[str, Any] | None]:
        """Replies parsed against `schema`'s required string keys; None for each that does not parse."""

        def steps() -> Steps:
            return (yield json_ask(conversations, schema, seed, max_tokens))

        return self.run_one(steps())


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
