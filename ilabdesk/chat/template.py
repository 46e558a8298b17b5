"""The chat template for a model that brings none: ChatML.

A GGUF or Hugging Face model without `tokenizer.chat_template` used to be
prompted in Llama-2's `[INST] <<SYS>>` form by llama-cpp-python's fallback,
which such a model echoes back, and could not be trained at all (transformers
refuses to apply a missing template). ilabdesk gives such a model ChatML
everywhere: training formats the conversations with it, chat prompts with it,
and the fused GGUF carries it, so any llama.cpp app asks the tuned model the
way it was trained. Where this default is used, the app says so.
"""

from __future__ import annotations

DEFAULT_NAME = "ChatML"
# llama-cpp-python's name for the same format (its built-in handler, with <|im_end|> as the stop string)
LLAMA_CPP_FORMAT = "chatml"
DEFAULT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def no_template_note(what: str) -> str:
    """The line the app shows where a model has no chat template of its own."""
    return f"{what} has no chat template of its own: ilabdesk uses {DEFAULT_NAME} for it"
