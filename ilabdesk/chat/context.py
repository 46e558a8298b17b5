"""Fit a conversation into a model's context window by dropping the oldest turns.

A long chat eventually outgrows the context; failing then would lose the
conversation, and silently cutting tokens off the front would break the chat
template. Instead whole turns (a user message and the replies that follow it)
are dropped from the front, the system prompt is always kept, and the caller
learns how many turns went so it can tell the user.
"""

from __future__ import annotations

from collections.abc import Callable

from ilabdesk.errors import UserError

Message = dict[str, str]

# A reply shorter than this is not worth generating; say the prompt is too long instead.
MIN_REPLY_TOKENS = 16


def _turns(messages: list[Message]) -> tuple[list[Message], list[list[Message]]]:
    """Split into leading system messages and turns that each start at a user message."""
    head: list[Message] = []
    index = 0
    while index < len(messages) and messages[index].get("role") == "system":
        head.append(messages[index])
        index += 1
    turns: list[list[Message]] = []
    for message in messages[index:]:
        if message.get("role") == "user" or not turns:
            turns.append([message])
        else:
            turns[-1].append(message)
    return head, turns


def fit_messages(
    messages: list[Message],
    context_length: int,
    max_tokens: int,
    count_prompt: Callable[[list[Message]], int],
) -> tuple[list[Message], int, int]:
    """Return (messages that fit, turns dropped, max_tokens to ask for).

    `count_prompt` gives the token count of a formatted prompt. The last turn
    is never dropped; if it alone leaves no room for a reply of
    MIN_REPLY_TOKENS, that is a UserError (the message itself is too long).
    """
    reply = max(1, min(max_tokens, context_length // 2)) if max_tokens > 0 else context_length // 2
    if count_prompt(messages) + reply <= context_length:
        return messages, 0, max_tokens
    head, turns = _turns(messages)
    dropped = 0
    while len(turns) > 1:
        turns.pop(0)
        dropped += 1
        kept = head + [m for turn in turns for m in turn]
        if count_prompt(kept) + reply <= context_length:
            return kept, dropped, max_tokens
    kept = head + [m for turn in turns for m in turn]
    room = context_length - count_prompt(kept)
    if room < MIN_REPLY_TOKENS:
        raise UserError(
            f"the message is too long for the model's context of {context_length} tokens",
            hint="shorten the message or the system prompt, or raise context_length in the config",
        )
    return kept, dropped, min(max_tokens, room) if max_tokens > 0 else room
