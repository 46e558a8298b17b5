"""The one interface for "a model you can talk to".

Chat, the SDG teacher and the evaluation judge all use `ChatEngine`. A backend
implements `stream()`; everything else has a default built on it. Engines are
single-user objects: one per chat pane / worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
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

    Subclasses implement `stream`; `complete` and `complete_many` are built on it
    (endpoints override `complete_many` to run requests concurrently).
    `stop_event` is checked between tokens, so a stop takes effect within one token.
    """

    name: str = "engine"
    context_length: int = 4096
    # Set by `stream` when the history had to be trimmed to fit the context.
    last_trimmed_turns: int = 0

    def stream(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        raise NotImplementedError

    def complete(self, messages: list[Message], params: GenerationParams | None = None) -> str:
        return "".join(self.stream(messages, params))

    def complete_many(
        self, conversations: list[list[Message]], params: GenerationParams | None = None
    ) -> list[str]:
        """Answer several independent conversations; order is kept."""
        return [self.complete(messages, params) for messages in conversations]

    def count_tokens(self, text: str) -> int:
        """Token count of `text` for this model (a rough estimate unless overridden)."""
        return max(1, len(text) // 4)

    def close(self) -> None:
        """Free the model's memory."""

    def __enter__(self) -> ChatEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
