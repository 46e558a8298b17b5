"""What a model can do here — chat, be the teacher, be trained — and why not when it cannot.

A model in the library is a GGUF file or a Hugging Face folder, and each
format opens some doors and not others: llama.cpp chats with (and teaches
from) any GGUF model, MLX (installed on Apple silicon) chats with a folder, training
needs an architecture ilabdesk can rebuild from a GGUF (`gguf.metadata`) or a
causal-LM folder. The library, the CLI and the window say which, per model.
"""

from __future__ import annotations

from typing import Any


def abilities(facts: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    """{"chat" | "teacher" | "train": (able, why)} for a model described by `models.library.describe`."""
    from ilabdesk.chat.template import DEFAULT_NAME

    if facts.get("format") == "gguf":
        from ilabdesk.gguf.metadata import untrainable

        chat = (True, "" if facts.get("chat_template") else f"no chat template of its own: asked in {DEFAULT_NAME}")
        refusal = untrainable(facts.get("architecture"))
        train = (refusal is None, "" if refusal is None else f"{refusal} ({refusal.hint})")
        return {"chat": chat, "teacher": chat, "train": train}
    from ilabdesk.chat.factory import mlx_available

    chat = (True, "") if mlx_available() else (
        False, "a Hugging Face folder chats through MLX, which is not installed here (it is on Apple silicon); "
               "import a GGUF build of it to chat")
    causal = str(facts.get("architecture", "")).endswith("ForCausalLM")
    train = (True, "") if causal else (False, f"'{facts.get('architecture')}' is not a causal language model")
    return {"chat": chat, "teacher": chat, "train": train}
