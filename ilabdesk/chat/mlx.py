"""The MLX backend: Hugging Face (safetensors) models through mlx-lm, the fast path on Apple silicon.

It chats with the same folders the MLX trainer writes, with the trainer's
adapter folder (adapters.safetensors + adapter_config.json) applied on load,
so a tuned model can be tried before any GGUF export. mlx-lm is imported only
when an engine opens.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ilabdesk.chat.context import fit_messages
from ilabdesk.chat.engine import ChatEngine, GenerationParams, Message
from ilabdesk.errors import UserError


class MLXEngine(ChatEngine):
    """Chat with a Hugging Face model folder through mlx-lm."""

    name = "mlx"

    def __init__(
        self,
        model_path: str | Path,
        *,
        adapter: str | Path | None = None,
        adapter_scale: float = 1.0,
        context_length: int | None = None,
    ) -> None:
        from ilabdesk.models.library import check_hf_folder

        path = Path(model_path)
        check_hf_folder(path)
        adapter_path = Path(adapter) if adapter else None
        if adapter_path is not None:
            if adapter_path.suffix.lower() == ".gguf":
                raise UserError(
                    f"{adapter_path}: a GGUF adapter is for llama.cpp",
                    hint="with MLX pass the training run's adapter/ folder, or chat with the GGUF model",
                )
            if not (adapter_path / "adapter_config.json").is_file():
                raise UserError(
                    f"{adapter_path}: not an MLX adapter folder (no adapter_config.json)",
                    hint="pass the adapter/ folder of an MLX training run",
                )
        if adapter_scale != 1.0:
            raise UserError(
                "MLX applies an adapter at the scale it was trained with",
                hint="leave --adapter-scale out, or chat with the GGUF adapter through llama.cpp",
            )
        from mlx_lm import load

        from ilabdesk.models.hf_folder import mlx_config_overrides

        try:
            self._model, self._tokenizer = load(str(path), adapter_path=str(adapter_path) if adapter_path else None,
                                                model_config=mlx_config_overrides(path))
        except (ValueError, KeyError, FileNotFoundError, json.JSONDecodeError) as exc:
            raise UserError(f"{path}: mlx-lm could not load the model ({exc})", hint="check the folder is a complete model") from exc
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        trained = int(config.get("max_position_embeddings") or 4096)
        self.context_length = min(context_length or trained, trained)
        self.last_trimmed_turns = 0
        self.last_finish_reason = "stop"
        self.last_tokens = 0

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    def _prompt(self, messages: list[Message]) -> list[int]:
        return list(self._tokenizer.apply_chat_template(messages, add_generation_prompt=True))

    def stream(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        params = params or GenerationParams()
        if params.json_schema is not None:
            raise UserError(
                "JSON-schema constrained answers are not available with MLX",
                hint="use a GGUF model (llama.cpp) or an endpoint as the teacher",
            )
        import mlx.core as mx
        from mlx_lm import stream_generate
        from mlx_lm.sample_utils import make_sampler

        fitted, trimmed, max_tokens = fit_messages(
            messages, self.context_length, params.max_tokens, lambda ms: len(self._prompt(ms))
        )
        self.last_trimmed_turns = trimmed
        self.last_finish_reason = "stop"
        self.last_tokens = 0
        if params.seed is not None:
            mx.random.seed(params.seed)
        sampler = make_sampler(temp=params.temperature, top_p=params.top_p if params.top_p < 1.0 else 0.0)
        stops = _StopStrings(params.stop)
        generator = stream_generate(self._model, self._tokenizer, self._prompt(fitted), max_tokens=max_tokens, sampler=sampler)
        cancelled = False
        try:
            while True:
                if stop_event is not None and stop_event.is_set():
                    cancelled = True
                    break
                response: Any = next(generator, None)
                if response is None:
                    break
                if stop_event is not None and stop_event.is_set():
                    cancelled = True
                    break
                if response.finish_reason:
                    self.last_finish_reason = response.finish_reason
                text, hit = stops.feed(response.text)
                if text:
                    self.last_tokens += 1
                    yield text
                if hit:
                    self.last_finish_reason = "stop"
                    return
            if cancelled:
                self.last_finish_reason = "cancelled"
                return
            tail = stops.flush()
            if tail:
                yield tail
        finally:
            generator.close()


class _StopStrings:
    """Cut a token stream at the first stop string, holding back only what could start one."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = [s for s in stops if s]
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.buffer = ""

    def feed(self, text: str) -> tuple[str, bool]:
        if not self.stops:
            return text, False
        self.buffer += text
        cut = min((i for i in (self.buffer.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            out, self.buffer = self.buffer[:cut], ""
            return out, True
        keep = len(self.buffer) - self.hold
        out, self.buffer = (self.buffer[:keep], self.buffer[keep:]) if keep > 0 else ("", self.buffer)
        return out, False

    def flush(self) -> str:
        out, self.buffer = self.buffer, ""
        return out
