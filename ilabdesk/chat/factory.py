"""`open_engine`: turn whatever the user named into a ready `ChatEngine`.

Chat, the SDG teacher and the evaluation judge all take a "model" string from
the user; this is the one place that decides what it means:

- None: the configured `default_model`, else the embedded SmolLM2 GGUF;
- "http(s)://host/v1" or "http(s)://host/v1#model-name": an OpenAI-compatible endpoint;
- a library name (`ilabdesk model list`) or a path to a .gguf file: llama.cpp;
- a Hugging Face folder: MLX (mlx-lm) when installed.
"""

from __future__ import annotations

import math
import os
from typing import Any

from ilabdesk.chat.engine import ChatEngine
from ilabdesk.errors import UserError

BACKENDS = ("auto", "llama", "openai", "mlx")


def is_endpoint(model: str | os.PathLike[str] | None) -> bool:
    return isinstance(model, str) and model.lower().startswith(("http://", "https://"))


def mlx_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("mlx_lm") is not None


def open_engine(
    model: str | os.PathLike[str] | None = None,
    adapter: str | os.PathLike[str] | None = None,
    **options: Any,
) -> ChatEngine:
    """Open a chat engine for `model` (see the module doc), with an optional LoRA `adapter`.

    Options: `adapter_scale` (1.0), `threads` and `context_length` (default:
    the config, 0 = automatic), `backend` ("auto" | "llama" | "openai" | "mlx"),
    and for endpoints `api_key`, `api_key_name` (keyring entry), `concurrency`,
    `timeout`, `retries`.
    """
    backend = options.pop("backend", "auto")
    scale = options.get("adapter_scale", 1.0)
    if not (isinstance(scale, int | float) and math.isfinite(scale)):
        raise UserError(f"adapter scale {scale!r} is not a number", hint="use a number such as 1.0 (0 turns the adapter off)")
    if backend not in BACKENDS:
        raise UserError(f"unknown chat backend '{backend}'", hint=f"use one of: {', '.join(BACKENDS)}")
    if is_endpoint(model) or backend == "openai":
        if adapter:
            raise UserError(
                "an adapter can't be added to an endpoint's model",
                hint="serve the adapter with the endpoint, or chat with a local GGUF and --adapter",
            )
        from ilabdesk.chat.openai import OpenAIEngine

        url, _, name = str(model or "").partition("#")
        if not url:
            raise UserError("the openai backend needs an endpoint URL", hint="e.g. -m http://127.0.0.1:8000/v1#my-model")
        options.pop("threads", None)
        options.pop("adapter_scale", None)
        return OpenAIEngine(url, model=name or None, **options)

    from ilabdesk.models.library import resolve

    entry = resolve(model)
    if backend == "mlx" or (backend == "auto" and entry.format == "hf"):
        if entry.format != "hf":
            raise UserError(f"{entry.path}: MLX chats with Hugging Face folders, not GGUF files", hint="use --backend llama")
        if not mlx_available():
            raise UserError(
                f"{entry.path}: chatting with a Hugging Face model needs mlx-lm (Apple silicon)",
                hint="convert it to GGUF first (ilabdesk convert), or pip install mlx-lm",
            )
        from ilabdesk.chat.mlx import MLXEngine

        options.pop("threads", None)
        return MLXEngine(entry.path, adapter=adapter, **options)
    if entry.format != "gguf":
        raise UserError(f"{entry.path}: llama.cpp needs a GGUF file", hint="convert the model with ilabdesk convert")

    from ilabdesk.chat.llama import LlamaEngine
    from ilabdesk.settings import load_config

    config = load_config()
    options.setdefault("threads", config.get("threads") or None)
    options.setdefault("context_length", config.get("context_length") or None)
    return LlamaEngine(entry.path, adapter=adapter, **options)
