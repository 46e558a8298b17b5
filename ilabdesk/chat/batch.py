"""Several conversations decoded at once, as parallel sequences of one llama.cpp context.

SDG and evaluation ask the model many short questions that share a long
prompt (a passage, seed examples). Measured with the embedded 135M model on
one core of this 2-core laptop CPU (CPU time, so other programs do not count):

- a prompt token costs ~11 ms; a generated token ~21 ms alone, ~14 ms when
  8-16 sequences decode in one batch (the 49k-row output layer is read once
  per step instead of once per sequence);
- llama-cpp-python runs the JSON-schema grammar over all 49,152 candidate
  tokens before sampling: ~13 ms per token, as much as the model's own work.
  Here a token is sampled first and only that token is checked against the
  grammar; the grammar filters the whole vocabulary only when it rejects the
  token (what llama.cpp's own server does). The result has the grammar's
  distribution and costs almost nothing;
- SDG asks the same prompt again with another seed, and its prompts share
  the passage and the examples. Prompts stay in cache sequences: a new prompt
  starts from the cached one with the longest common prefix and evaluates
  only the rest. In a unified KV cache copying a sequence only tags cells, so
  the cache costs no copies. A prompt whose prefix a running sequence is
  still evaluating waits for it and copies it, so requests that arrive
  together evaluate their shared passage once;
- requests are taken from the caller while others decode (`run`), so a
  finished sequence is replaced at the next step: the batch stays full
  instead of shrinking to the slowest reply of a group;
- a reply under a JSON schema opens with text the schema fixes (`{"question": "`,
  about a fifth of a short reply). It is fed with the prompt, where a token
  costs less than half of a generated one, and the grammar is advanced past it
  (jump-forward decoding, as SGLang does); the reply text is the same.

The context must be created with `n_seq_max >= 1 + cache + width` and
`kv_unified` (see `LlamaEngine`). Sequence 0 is llama-cpp-python's own (the
chat path); this class clears it when it starts, and `release()` frees all of
its own sequences so the chat path gets the whole KV cache back.
"""

from __future__ import annotations

import ctypes
import json
import math
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ilabdesk.chat.engine import GenerationParams

_CANDIDATE = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


@dataclass
class _Entry:
    """A cached prompt: sequence `seq` holds the KV of `tokens` at positions 0..len-1."""

    seq: int
    tokens: list[int]


@dataclass
class _Slot:
    """One conversation being decoded in sequence `seq`."""

    seq: int
    key: Any
    prompt: list[int]
    pending: list[int]  # prompt tokens not evaluated yet
    pos: int  # position of the next token fed
    params: GenerationParams
    chain: Any
    grammar: Any
    base: int  # prompt tokens shared with a cached prompt or another slot (cells it does not add)
    leader: _Slot | None = None  # a slot evaluating this one's prompt up to `pos`: wait for it, then copy
    out: bytearray = field(default_factory=bytearray)
    generated: int = 0
    next_token: int | None = None  # sampled, to be fed in the next step
    row: int = -1  # batch row holding this slot's logits after the last decode

    @property
    def cells(self) -> int:
        """KV cells this slot may add to the ones it shares: its own prompt tokens and its reply."""
        return len(self.pending) + self.params.max_tokens


def json_opening(schema: dict[str, Any]) -> str:
    """The text a reply to `schema` must open with: `{"key": "` when it is an object whose first
    property is a required string (every SDG schema); else nothing."""
    properties = schema.get("properties") or {}
    if schema.get("type") != "object" or not properties:
        return ""
    key, first = next(iter(properties.items()))
    if first.get("type") != "string" or key not in schema.get("required", []):
        return ""
    return '{"' + key + '": "'


def shared_prefix(prompts: list[list[int]]) -> list[int]:
    """The tokens all prompts begin with."""
    shared = prompts[0] if prompts else []
    for prompt in prompts[1:]:
        shared = shared[: common_prefix(shared, prompt)]
    return shared


def common_prefix(a: list[int], b: list[int]) -> int:
    """Length of the common prefix of two token lists."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class BatchDecoder:
    """Decode a list of tokenized prompts together; see the module doc for why."""

    def __init__(self, llm: Any, width: int = 16, cache: int = 16) -> None:
        import llama_cpp.llama_cpp as C

        self.C = C
        self.llm = llm
        self.ctx = llm._ctx.ctx
        self.mem = C.llama_get_memory(self.ctx)
        self.vocab = C.llama_model_get_vocab(llm._model.model)
        self.n_vocab = C.llama_vocab_n_tokens(self.vocab)
        self.n_ctx = C.llama_n_ctx(self.ctx)
        self.n_batch = llm.n_batch
        self.width = width
        self.cache_seqs = list(range(1, 1 + cache))
        self.work_seqs = list(range(1 + cache, 1 + cache + width))
        if C.llama_n_seq_max(self.ctx) < 1 + cache + width:
            raise ValueError("the llama.cpp context has too few sequences for batched decoding")
        self.entries: list[_Entry] = []  # least recently used first
        self.batch = C.llama_batch_init(self.n_batch, 0, 1)
        self._candidates = np.zeros(self.n_vocab, dtype=_CANDIDATE)
        self._ids = np.arange(self.n_vocab, dtype=np.int32)
        self._one = (C.llama_token_data * 1)()
        self._piece = ctypes.create_string_buffer(256)
        self._schemas: dict[str, tuple[str, list[int]]] = {}  # grammar and opening tokens, by schema
        self._limit = width  # slots that fit in the KV cache together, lowered when it fills up
        # Counters for benchmarks: prompt tokens evaluated vs reused from the cache, tokens sampled
        # and JSON openings fed with the prompt, decode calls.
        self.stats = {"prompt_evaluated": 0, "prompt_reused": 0, "generated": 0, "opening": 0, "decodes": 0,
                      "grammar_resamples": 0}

    # --- public -------------------------------------------------------------------

    def run(self, pull: Callable[[int], list[tuple[Any, list[int], GenerationParams]]]) -> Iterator[tuple[Any, str, str]]:
        """Decode requests as they come; yields (key, text, finish reason "stop" | "length") as each ends.

        `pull(n)` hands over up to n more requests (key, prompt tokens, settings).
        It is asked whenever a sequence is free, so requests the caller adds
        while this runs join the batch at the next step, and a long reply never
        holds the others up. Started: as many as the free sequences and the
        KV cache's room for their replies allow.
        """
        self._take_kv()
        slots: list[_Slot] = []
        waiting: deque[tuple[Any, list[int], GenerationParams]] = deque()
        self._limit = self.width
        first = True
        try:
            while True:
                if not waiting and len(slots) < self._limit:
                    arrivals = pull(self._limit - len(slots))
                    if first and arrivals:
                        self._keep_only(shared_prefix([tokens for _, tokens, _ in arrivals]))
                        first = False
                    waiting.extend((key, tokens + self._schema(params)[1], params) for key, tokens, params in arrivals)
                while waiting and len(slots) < self._limit:
                    key, tokens, params = waiting[0]
                    length, entry, leader = self._share(tokens, slots)
                    # Room in the KV cache for every running reply (slots mostly share one prompt's cells).
                    cells = len(tokens) - length + params.max_tokens
                    if slots and sum(s.cells for s in slots) + cells + max(length, *(s.base for s in slots)) > self.n_ctx:
                        break  # no room for its reply yet
                    waiting.popleft()
                    slot = self._start(key, tokens, params, slots, length, entry, leader)
                    slots.append(slot)
                    self.stats["prompt_reused"] += slot.base
                    self.stats["opening"] += len(self._schema(slot.params)[1])
                if not slots:
                    return
                for slot in self._step(slots):  # sent back by a full KV cache: start again later
                    slots.remove(slot)
                    waiting.appendleft((slot.key, slot.prompt, slot.params))
                    self._finish(slot)
                for slot in list(slots):
                    if slot.row < 0:
                        continue
                    finish = self._sample(slot)
                    if finish is not None:
                        text = self._text(slot)
                        slots.remove(slot)
                        self._finish(slot)
                        yield slot.key, text, finish
        finally:
            for slot in slots:
                self._finish(slot)

    def release(self) -> None:
        """Free every cached and working sequence (the chat path wants the whole KV cache)."""
        for seq in self.cache_seqs + self.work_seqs:
            self.C.llama_memory_seq_rm(self.mem, seq, -1, -1)
        self.entries.clear()

    def close(self) -> None:
        if self.batch is not None:
            self.C.llama_batch_free(self.batch)
            self.batch = None

    # --- KV cache bookkeeping -----------------------------------------------------

    def _take_kv(self) -> None:
        """Drop llama-cpp-python's own sequence 0, so its cached chat prompt does not take cells."""
        if self.llm.n_tokens:
            self.C.llama_memory_seq_rm(self.mem, 0, -1, -1)
            self.llm.n_tokens = 0

    def _keep_only(self, shared: list[int]) -> None:
        """Keep the cache entries that extend the shared prefix of a run's first requests, else the
        one sharing most of it (cut to what it shares); free everything else.

        Why: the KV cache holds what the next calls can use (the same prompts again, the
        passage) and no more, so it never fills up. It also narrows what a call's answers
        depend on: llama.cpp's results differ in the last bits with the batch shapes that
        computed the reused cells (measured: up to 0.9 in logits of scale 40, as between any
        two ways of evaluating a prompt), and sampling can turn that into other words. The
        same calls in the same order give the same answers (a run with --seed repeats), but
        a resumed run may word the units after the restart differently from an uninterrupted one.
        """
        keep = [e for e in self.entries if common_prefix(e.tokens, shared) == len(shared)]
        if not keep:
            best, length = self._best(shared)
            if best is not None and length:
                self.C.llama_memory_seq_rm(self.mem, best.seq, length, -1)
                best.tokens = best.tokens[:length]
                keep = [best]
        for entry in self.entries:
            if entry not in keep:
                self.C.llama_memory_seq_rm(self.mem, entry.seq, -1, -1)
        self.entries = [e for e in self.entries if e in keep]
        for seq in self.work_seqs:
            self.C.llama_memory_seq_rm(self.mem, seq, -1, -1)

    def _best(self, tokens: list[int]) -> tuple[_Entry | None, int]:
        best, length = None, 0
        for entry in self.entries:
            n = common_prefix(entry.tokens, tokens)
            if n > length:
                best, length = entry, n
        if best is not None:
            self.entries.remove(best)
            self.entries.append(best)  # most recently used
        return best, length

    def _new_entry(self, tokens: list[int]) -> _Entry:
        used = {e.seq for e in self.entries}
        free = [s for s in self.cache_seqs if s not in used]
        if not free:
            free = [self._evict()]
        entry = _Entry(free[0], list(tokens))
        self.C.llama_memory_seq_rm(self.mem, entry.seq, -1, -1)
        return entry

    def _evict(self) -> int:
        entry = self.entries.pop(0)
        self.C.llama_memory_seq_rm(self.mem, entry.seq, -1, -1)
        return entry.seq

    def _save(self, slot: _Slot) -> None:
        """Keep a slot's evaluated prompt as a cache entry (the same prompt often comes again)."""
        if any(e.tokens == slot.prompt for e in self.entries):
            return
        entry = self._new_entry(slot.prompt)
        self.C.llama_memory_seq_cp(self.mem, slot.seq, entry.seq, 0, len(slot.prompt))
        self.entries.append(entry)

    # --- one slot -------------------------------------------------------------------

    def _share(self, prompt: list[int], slots: list[_Slot]) -> tuple[int, _Entry | None, _Slot | None]:
        """How many of `prompt`'s first tokens a new slot can take over, and from where: a cached
        prompt, or a running slot whose prompt shares more (if that slot has not evaluated them
        yet, the new one waits for it: a unit's requests arrive together and share the passage)."""
        best, length = self._best(prompt)
        leader = max(slots, key=lambda slot: common_prefix(slot.prompt, prompt), default=None)
        shared = common_prefix(leader.prompt, prompt) if leader else 0
        # the last prompt token is fed to get its logits
        length, shared = min(length, len(prompt) - 1), min(shared, len(prompt) - 1)
        if shared > length:
            return shared, None, leader
        return (length, best, None) if best is not None and length > 0 else (0, None, None)

    def _start(self, key: Any, prompt: list[int], params: GenerationParams, slots: list[_Slot],
               length: int, entry: _Entry | None, leader: _Slot | None) -> _Slot:
        """A slot for `prompt` in a free sequence, holding its first `length` tokens from `entry` or
        `leader` (see `_share`)."""
        C = self.C
        used = {slot.seq for slot in slots}
        seq = next(s for s in self.work_seqs if s not in used)
        C.llama_memory_seq_rm(self.mem, seq, -1, -1)
        if leader is not None and leader.leader is None and leader.pos >= length:  # already evaluated: copy it now
            C.llama_memory_seq_cp(self.mem, leader.seq, seq, 0, length)
            leader = None
        elif entry is not None:
            C.llama_memory_seq_cp(self.mem, entry.seq, seq, 0, length)
        chain = C.llama_sampler_chain_init(C.llama_sampler_chain_default_params())
        # The sampler llama-cpp-python's create_chat_completion builds (top_k 40, min_p 0.05).
        if params.temperature <= 0:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_greedy())
        else:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_k(40))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_p(params.top_p, 1))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_min_p(0.05, 1))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_temp(params.temperature))
            seed = params.seed if params.seed is not None else C.LLAMA_DEFAULT_SEED
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        grammar_sampler = None
        grammar, opening = self._schema(params)
        if grammar:
            grammar_sampler = C.llama_sampler_init_grammar(self.vocab, grammar.encode("utf-8"), b"root")
            if not grammar_sampler:
                C.llama_sampler_free(chain)
                raise ValueError("llama.cpp rejected the JSON-schema grammar")
            for token in opening:  # the prompt ends with the reply's opening (see `_schema`)
                C.llama_sampler_accept(grammar_sampler, token)
        slot = _Slot(seq, key, prompt, prompt[length:], length, params, chain, grammar_sampler, length, leader)
        if opening:
            slot.out += json_opening(params.json_schema).encode("utf-8")
        return slot

    def _finish(self, slot: _Slot) -> None:
        self.C.llama_memory_seq_rm(self.mem, slot.seq, -1, -1)
        self.C.llama_sampler_free(slot.chain)
        if slot.grammar:
            self.C.llama_sampler_free(slot.grammar)
        slot.chain = slot.grammar = None

    def _step(self, slots: list[_Slot]) -> list[_Slot]:
        """One llama_decode: each generating slot's last token, then prompt tokens up to n_batch.

        Returns the slots sent back because the KV cache is full even without
        cached prompts (the newest first; they start again when others are done).
        """
        sent_back: list[_Slot] = []
        while True:
            self._clear_batch()
            plan: list[tuple[_Slot, int]] = []  # slot, prompt tokens fed
            running = [slot for slot in slots if slot not in sent_back]
            for slot in running:
                slot.row = -1
                if slot.next_token is not None:
                    slot.row = self._add(slot.next_token, slot.pos, slot.seq, True)
                    plan.append((slot, 0))
            for slot in running:
                room = self.n_batch - self.batch.n_tokens
                if slot.next_token is None and slot.leader is None and slot.pending and room > 0:
                    chunk = slot.pending[:room]
                    for offset, token in enumerate(chunk):
                        last = offset == len(slot.pending) - 1
                        row = self._add(token, slot.pos + offset, slot.seq, last)
                        if last:
                            slot.row = row
                    plan.append((slot, len(chunk)))
            evictable = bool(self.entries)
            if not plan or self._decode():
                break
            if not evictable:
                if len(running) == 1:
                    raise RuntimeError("llama_decode failed: the context is too small for this prompt and reply")
                sent_back.append(running[-1])
                self.C.llama_memory_seq_rm(self.mem, running[-1].seq, -1, -1)
                self._limit = max(1, len(running) - 1)  # this many fit: no more for the rest of the run
        for slot, fed in plan:
            if fed:
                slot.pending = slot.pending[fed:]
                slot.pos += fed
                self.stats["prompt_evaluated"] += fed
                if not slot.pending:
                    self._save(slot)
            else:
                slot.pos += 1
                slot.next_token = None
        for slot in running:  # followers whose leader has now evaluated their shared prefix (older slots first)
            leader = slot.leader
            if leader is not None and (leader not in running or (leader.leader is None and leader.pos >= slot.pos)):
                if leader in running:
                    self.C.llama_memory_seq_cp(self.mem, leader.seq, slot.seq, 0, slot.pos)
                else:  # the leader was sent back: evaluate the prefix itself
                    slot.pending, slot.pos = slot.prompt[:], 0
                slot.leader = None
        return sent_back

    def _sample(self, slot: _Slot) -> str | None:
        """Sample the slot's next token; the finish reason if it ends here."""
        C = self.C
        token = C.llama_sampler_sample(slot.chain, self.ctx, slot.row)
        if slot.grammar:
            one = self._one
            one[0].id, one[0].logit, one[0].p = token, 1.0, 0.0
            single = C.llama_token_data_array(one, 1, -1, False)
            C.llama_sampler_apply(slot.grammar, ctypes.byref(single))
            if not math.isfinite(one[0].logit):
                token = self._sample_with_grammar(slot)
            C.llama_sampler_accept(slot.grammar, token)
        if C.llama_vocab_is_eog(self.vocab, token):
            return "stop"
        n = C.llama_token_to_piece(self.vocab, token, self._piece, len(self._piece), 0, False)
        slot.out += self._piece.raw[: max(0, n)]
        slot.generated += 1
        self.stats["generated"] += 1
        stop = slot.params.stop
        if stop and any(s and s in slot.out.decode("utf-8", errors="ignore") for s in stop):
            return "stop"
        if slot.generated >= slot.params.max_tokens:
            return "length"
        slot.next_token = token
        return None

    def _sample_with_grammar(self, slot: _Slot) -> int:
        """The grammar rejected the freely sampled token: sample again among the tokens it allows."""
        C = self.C
        self.stats["grammar_resamples"] += 1
        logits = np.ctypeslib.as_array(C.llama_get_logits_ith(self.ctx, slot.row), shape=(self.n_vocab,))
        cand = self._candidates
        cand["id"] = self._ids
        cand["logit"] = logits
        cand["p"] = 0.0
        array = C.llama_token_data_array(
            cand.ctypes.data_as(C.llama_token_data_p), self.n_vocab, -1, False
        )
        C.llama_sampler_apply(slot.grammar, ctypes.byref(array))
        C.llama_sampler_apply(slot.chain, ctypes.byref(array))
        return int(cand["id"][array.selected])

    @staticmethod
    def _text(slot: _Slot) -> str:
        text = slot.out.decode("utf-8", errors="ignore")
        cuts = [text.index(s) for s in slot.params.stop if s and s in text]
        return text[: min(cuts)] if cuts else text

    # --- llama_batch ------------------------------------------------------------------

    def _clear_batch(self) -> None:
        self.batch.n_tokens = 0

    def _add(self, token: int, pos: int, seq: int, logits: bool) -> int:
        b, i = self.batch, self.batch.n_tokens
        b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = token, pos, 1, logits
        b.seq_id[i][0] = seq
        b.n_tokens = i + 1
        return i

    def _decode(self) -> bool:
        """True when decoded; False when the KV cache was full (a cached prompt is evicted to make room)."""
        rc = self.C.llama_decode(self.ctx, self.batch)
        self.stats["decodes"] += 1
        if rc == 0:
            return True
        if rc == 1:
            if self.entries:
                self._evict()
            return False
        raise RuntimeError(f"llama_decode failed ({rc})")

    def _schema(self, params: GenerationParams) -> tuple[str, list[int]]:
        """The GBNF grammar of the request's JSON schema (made the way llama-cpp-python's
        response_format makes it) and the tokens of its `json_opening` if the grammar takes them."""
        if params.json_schema is None:
            return "", []
        key = json.dumps(params.json_schema, sort_keys=True)
        if key not in self._schemas:
            from llama_cpp.llama_grammar import json_schema_to_gbnf

            grammar = json_schema_to_gbnf(json.dumps(params.json_schema))
            text = json_opening(params.json_schema)
            opening = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False) if text else []
            self._schemas[key] = (grammar, opening if self._takes(grammar, opening) else [])
        return self._schemas[key]

    def _takes(self, grammar: str, tokens: list[int]) -> bool:
        """Whether the grammar accepts these tokens as the start of a reply."""
        C = self.C
        sampler = C.llama_sampler_init_grammar(self.vocab, grammar.encode("utf-8"), b"root")
        if not sampler:
            return False
        try:
            for token in tokens:
                one = self._one
                one[0].id, one[0].logit, one[0].p = token, 1.0, 0.0
                C.llama_sampler_apply(sampler, ctypes.byref(C.llama_token_data_array(one, 1, -1, False)))
                if not math.isfinite(one[0].logit):
                    return False
                C.llama_sampler_accept(sampler, token)
            return True
        finally:
            C.llama_sampler_free(sampler)
