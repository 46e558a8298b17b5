"""The llama.cpp backend: a local GGUF, optionally with a GGUF LoRA adapter.

llama-cpp-python does the heavy lifting (chat template from the model's
metadata, sampling, JSON-schema grammars); this class adds what the app
needs around it: files checked with gguf-py before llama.cpp opens them,
stop between tokens, history trimmed to the context, quiet stderr, and
threads defaulting to the physical cores (hyper-threads slow llama.cpp down).
`answer_stream` (and so `complete_many`) decodes its requests together as
parallel sequences with a shared prompt cache (`ilabdesk.chat.batch`): SDG
and evaluation send many short requests that share a long prompt.
"""

from __future__ import annotations

import contextlib
import functools
import random
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ilabdesk.chat.batch import BatchDecoder
from ilabdesk.chat.context import fit_messages
from ilabdesk.chat.engine import ChatEngine, GenerationParams, Message, Request
from ilabdesk.chat.template import LLAMA_CPP_FORMAT, no_template_note
from ilabdesk.cpu import physical_cores
from ilabdesk.errors import UserError
from ilabdesk.models.gguf_file import GGUFInfo, check_adapter_fits, inspect_gguf

# Tokens a chat template adds around each message when the model has no template to count with.
_TEMPLATE_OVERHEAD = 8
# Parallel sequences of `complete_many`, and cached prompts kept between its calls.
BATCH_WIDTH = 16
BATCH_CACHE = 16
# llama-cpp-python quiets a load by pointing file descriptors 1 and 2 at /dev/null and back
# (dup/dup2). Two loads at once (both chat panes) interleave those swaps, and the process's
# stdout and stderr stay on /dev/null for good: loads take turns.
_LOAD_LOCK = threading.Lock()


@functools.cache
def _amx_kernels() -> bool:
    """Whether this llama.cpp build would run quantized matmuls with its AMX kernels on this CPU."""
    import llama_cpp

    return b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info()


@contextlib.contextmanager
def no_amx_weights() -> Iterator[None]:
    """Loads inside keep the weights in plain CPU buffers where llama.cpp would move them to AMX ones.

    llama.cpp's AMX matmul crashes the process on some Sapphire Rapids
    machines, this test machine among them (ggml-org/llama.cpp#20824, still
    open). The other kernels (AVX512, VNNI) run the same models correctly, and
    on CPUs without AMX nothing changes, so their repacked weights stay.
    llama-cpp-python's `Llama` takes no argument for this, so its default
    model parameters are switched for the load (callers in this module hold `_LOAD_LOCK`).
    """
    from llama_cpp import llama_cpp as raw

    if not _amx_kernels():
        yield
        return
    default = raw.llama_model_default_params

    def params() -> Any:
        values = default()
        values.use_extra_bufts = False
        return values

    raw.llama_model_default_params = params
    try:
        yield
    finally:
        raw.llama_model_default_params = default


class LlamaEngine(ChatEngine):
    """Chat with a local GGUF through llama-cpp-python."""

    name = "llama.cpp"

    def __init__(
        self,
        model_path: str | Path,
        *,
        adapter: str | Path | None = None,
        adapter_scale: float = 1.0,
        threads: int | None = None,
        context_length: int | None = None,
        model_info: GGUFInfo | None = None,
    ) -> None:
        """Check the files, then load them. `threads`/`context_length` None or 0: from the model and machine."""
        self.info = model_info or inspect_gguf(model_path, role="model")
        self.adapter_info = inspect_gguf(adapter, role="adapter") if adapter else None
        if self.adapter_info:
            check_adapter_fits(self.adapter_info, self.info)
        trained = self.info.context_length or 4096
        self.context_length = min(context_length or trained, trained)
        self.threads = threads or physical_cores()
        self.adapter_scale = adapter_scale
        self.last_trimmed_turns = 0
        self.last_finish_reason = "stop"
        self.last_tokens = 0

        import llama_cpp

        try:
            with _LOAD_LOCK, no_amx_weights():
                self._llm = llama_cpp.Llama(
                    model_path=str(self.info.path),
                    n_ctx=self.context_length,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    lora_path=str(self.adapter_info.path) if self.adapter_info else None,
                    lora_scale=adapter_scale,
                    # without a template of its own, ChatML as in training (chat.template), not Llama-2's
                    chat_format=None if self.info.chat_template else LLAMA_CPP_FORMAT,
                    # Without flash attention this llama.cpp build computes batched prompt
                    # attention wrongly on CPU (greedy "capital of France" turns into French
                    # nonsense); token-by-token decoding is unaffected. FA is also faster.
                    flash_attn=True,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise UserError(
                f"{self.info.path}: llama.cpp could not load the model"
                + (f" with adapter {self.adapter_info.path}" if self.adapter_info else "")
                + f" ({exc})",
                hint="check that the file opens in another llama.cpp tool, and that there is enough free memory",
            ) from exc
        self.note = None if self.info.chat_template else no_template_note(self.info.path.name)
        self._formatter = self._make_formatter()
        self._batch: BatchDecoder | None = None
        self.parallel = BATCH_WIDTH if self._formatter is not None else 1

    def _make_formatter(self) -> Any:
        """The model's own chat template, used to count prompt tokens exactly as llama.cpp will see them."""
        if not self.info.chat_template:
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model = self._llm._model
        eos, bos = self._llm.token_eos(), self._llm.token_bos()
        return Jinja2ChatFormatter(
            template=self.info.chat_template,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
        )

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def count_prompt_tokens(self, messages: list[Message]) -> int:
        """Tokens of the formatted prompt for `messages` (the chat template included)."""
        if self._formatter is not None:
            try:
                prompt = self._formatter(messages=messages).prompt
                return len(self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
            except Exception:  # a template that rejects a message order: fall back to an estimate
                pass
        return sum(self.count_tokens(m.get("content") or "") + _TEMPLATE_OVERHEAD for m in messages)

    def stream(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        params = params or GenerationParams()
        fitted, trimmed, max_tokens = fit_messages(
            messages, self.context_length, params.max_tokens, self.count_prompt_tokens
        )
        if self._batch is not None:
            self._batch.release()  # the chat path gets the whole KV cache
        self.last_trimmed_turns = trimmed
        self.last_finish_reason = "stop"
        self.last_tokens = 0
        kwargs: dict[str, Any] = {
            "messages": fitted,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": max_tokens,
            "stream": True,
            # llama-cpp-python derives an unseeded run from the previous seed; a fresh one keeps replies varied.
            "seed": params.seed if params.seed is not None else random.SystemRandom().randrange(2**31),
            "stop": list(params.stop) or None,
        }
        if params.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": params.json_schema}
        chunks = self._llm.create_chat_completion(**kwargs)
        try:
            while not (stop_event and stop_event.is_set()):
                chunk = next(chunks, None)
                if chunk is None:
                    return
                if stop_event and stop_event.is_set():
                    break
                choice = chunk["choices"][0]
                text = choice["delta"].get("content")
                if choice.get("finish_reason"):
                    self.last_finish_reason = choice["finish_reason"]
                if text:
                    self.last_tokens += 1
                    yield text
            self.last_finish_reason = "cancelled"
        finally:
            chunks.close()

    def forget_prompts(self) -> None:
        """A prompt's cached cells hold, in their last bits, the batch shapes that computed them (see
        chat.batch), and greedy answers can follow: the same question was answered in other words
        after other questions. Forgetting them makes a group of calls answer the same every time."""
        if self._batch is not None:
            self._batch.release()

    def answer_stream(self, queue: deque[Request]) -> Iterator[tuple[Request, str]]:
        """Answer the queue's requests as parallel sequences of one batch, each as it finishes.

        A request without a seed gets a random one. Without a chat template
        there is no way to build the prompts here: one by one, through llama-cpp-python.
        """
        if self._formatter is None:
            yield from super().answer_stream(queue)
            return

        def pull(count: int) -> list[tuple[Request, list[int], GenerationParams]]:
            taken = []
            while queue and len(taken) < count:
                request = queue.popleft()
                params = request.params
                fitted, trimmed, max_tokens = fit_messages(
                    request.messages, self.context_length, params.max_tokens, self.count_prompt_tokens
                )
                self.last_trimmed_turns = trimmed
                result = self._formatter(messages=fitted)
                tokens = self._llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
                seed = params.seed if params.seed is not None else random.SystemRandom().randrange(2**31)
                taken.append((request, tokens, params.with_(max_tokens=max_tokens, seed=seed)))
            return taken

        for request, text, finish in self._decoder().run(pull):
            self.last_finish_reason = finish
            yield request, text

    def _decoder(self) -> BatchDecoder:
        """The batch decoder, on a context rebuilt with room for its sequences (first use only).

        llama-cpp-python creates a one-sequence context and has no option for
        more, so the context is replaced by one with the same settings plus
        `n_seq_max` and a unified KV cache (parallel sequences share the cells
        of a common prompt). Chat through the engine works the same on it.
        """
        if self._batch is None:
            import ctypes

            import llama_cpp
            from llama_cpp import _internals

            llm = self._llm
            params = llm.context_params
            params.n_seq_max = 1 + BATCH_CACHE + BATCH_WIDTH
            params.kv_unified = True
            context = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
            if llm._lora_adapter is not None:
                adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(llm._lora_adapter)
                scales = (ctypes.c_float * 1)(llm.lora_scale)
                if llama_cpp.llama_set_adapters_lora(context.ctx, adapters, 1, scales):
                    context.close()
                    raise UserError(f"{self.adapter_info.path}: llama.cpp could not apply the adapter")
            llm._ctx.close()
            llm._ctx = context
            llm.n_tokens = 0
            self._batch = BatchDecoder(llm, width=BATCH_WIDTH, cache=BATCH_CACHE)
        return self._batch

    def close(self) -> None:
        if getattr(self, "_batch", None) is not None:
            self._batch.close()
            self._batch = None
        llm = getattr(self, "_llm", None)
        if llm is not None:
            llm.close()
            self._llm = None
