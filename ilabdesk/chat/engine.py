"""The one interface for "a model you can talk to".

Chat, the SDG teacher and the evaluation judge all use `ChatEngine`. A backend
implements `stream()`; everything else has a default built on it. Engines are
single-user objects: one per chat pane / worker thread.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}


@dataclass
class GenerationParams:
    """Sampling settings shared by every backend."""

    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 512
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    # A JSON schema the output must follow (llama.cpp grammar / OpenAI response_format).
    json_schema: dict[str, Any] | None = None

    def with_(self, **changes: Any) -> GenerationParams:
        return replace(self, **changes)


def each_params(params: GenerationParams | Sequence[GenerationParams] | None, count: int) -> list[GenerationParams]:
    """One `GenerationParams` per conversation: a single one (or the default) is shared by all."""
    if params is None or isinstance(params, GenerationParams):
        return [params or GenerationParams()] * count
    if len(params) != count:
        raise ValueError(f"{len(params)} generation settings for {count} conversations")
    return list(params)


@dataclass
class Request:
    """One conversation to answer with its own settings; `key` is the caller's, handed back with the answer."""

    messages: list[Message]
    params: GenerationParams
    key: Any = None


@dataclass
class ChatResult:
    """A finished reply, with the facts a UI or benchmark wants."""

    text: str
    tokens: int = 0
    seconds: float = 0.0
    finish_reason: str = "stop"  # stop | length | cancelled
    trimmed_turns: int = 0  # oldest turns dropped to fit the context


class ChatEngine:
    """Base class of all backends.

    Subclasses implement `stream`; `complete`, `answer_stream` and `complete_many`
    are built on it. Engines that answer several requests at once (an endpoint,
    llama.cpp's parallel sequences) override `answer_stream` and set `parallel`.
    `stop_event` is checked between tokens, so a stop takes effect within one token.
    """

    name: str = "engine"
    context_length: int = 4096
    # How many requests the engine works on at once; callers keep at least that many queued.
    parallel: int = 1
    # Set by `stream` when the history had to be trimmed to fit the context.
    last_trimmed_turns: int = 0
    # A line for the user when the model is asked in a form it does not define (chat.template).
    note: str | None = None

    def stream(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        raise NotImplementedError

    def complete(self, messages: list[Message], params: GenerationParams | None = None) -> str:
        return "".join(self.stream(messages, params))

    def answer_stream(self, queue: deque[Request]) -> Iterator[tuple[Request, str]]:
        """Answer the requests of `queue` as each finishes, in any order, until it is empty.

        The caller may append to `queue` whenever an answer comes back (the next
        step of a job that waited for it); those requests are taken as well, so
        an engine that works on several at once never waits for the slowest.
        """
        while queue:
            request = queue.popleft()
            yield request, self.complete(request.messages, request.params)

    def complete_many(
        self,
        conversations: list[list[Message]],
        params: GenerationParams | Sequence[GenerationParams] | None = None,
    ) -> list[str]:
        """Answer independent conversations, with one settings for all or one each; order is kept."""
        queue = deque(Request(m, p, i) for i, (m, p) in enumerate(zip(conversations, each_params(params, len(conversations)))))
        answers = [""] * len(conversations)
        for request, answer in self.answer_stream(queue):
            answers[request.key] = answer
        return answers

    def forget_prompts(self) -> None:
        """Drop the prompts kept for reuse, so the next answers do not depend on what came before
        (a no-op for an engine that keeps none)."""

    def count_tokens(self, text: str) -> int:
        """Token count of `text` for this model (a rough estimate unless overridden)."""
        return max(1, len(text) // 4)

    def close(self) -> None:
        """Free the model's memory."""

    def __enter__(self) -> ChatEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
