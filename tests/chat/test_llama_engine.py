"""The llama.cpp engine on the real bundled SmolLM2 GGUF: answers, streaming, stop, seed, trimming."""

from __future__ import annotations

import json
import threading

import pytest

from ilabdesk.chat.context import fit_messages
from ilabdesk.chat.engine import GenerationParams
from ilabdesk.chat.factory import open_engine
from ilabdesk.errors import UserError

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
FRANCE = [SYSTEM, {"role": "user", "content": "What is the capital of France?"}]
GREEDY = GenerationParams(temperature=0.0, max_tokens=16)


@pytest.fixture(scope="module")
def engine():
    # A small context keeps the trimming test cheap; every other prompt here is short.
    # One thread: llama.cpp's thread barriers crawl when the test machine is oversubscribed.
    with open_engine(None, context_length=256, threads=1) as eng:
        yield eng


def test_greedy_answer_names_paris(engine):
    answer = engine.complete(FRANCE, GREEDY)
    assert "Paris" in answer
    assert engine.last_finish_reason == "stop"
    assert engine.last_trimmed_turns == 0


def test_stream_yields_token_chunks(engine):
    chunks = list(engine.stream(FRANCE, GREEDY))
    assert len(chunks) >= 4
    assert all(isinstance(c, str) and c for c in chunks)
    assert "Paris" in "".join(chunks)
    assert engine.last_tokens == len(chunks)


def test_stop_takes_effect_within_one_token(engine):
    stop = threading.Event()
    got = []
    for chunk in engine.stream(FRANCE, GenerationParams(temperature=0.0, max_tokens=64), stop):
        got.append(chunk)
        if len(got) == 3:
            stop.set()
    assert len(got) == 3
    assert engine.last_finish_reason == "cancelled"
    # The engine is usable straight after a stop.
    assert "Paris" in engine.complete(FRANCE, GREEDY)


def test_stop_already_set_yields_nothing(engine):
    stop = threading.Event()
    stop.set()
    assert list(engine.stream(FRANCE, GREEDY, stop)) == []


def test_seed_reproduces_sampled_output(engine):
    story = [SYSTEM, {"role": "user", "content": "Write one sentence about a cat."}]
    params = GenerationParams(temperature=1.0, top_p=1.0, max_tokens=8, seed=1234)
    first = engine.complete(story, params)
    assert engine.complete(story, params) == first
    others = {engine.complete(story, params.with_(seed=s)) for s in (1, 2)}
    assert others - {first}, "different seeds should give a different sample"


def test_json_schema_constrains_output(engine):
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    }
    text = engine.complete(FRANCE, GenerationParams(temperature=0.0, max_tokens=40, json_schema=schema))
    data = json.loads(text)
    assert isinstance(data["city"], str)


def test_count_tokens_uses_the_real_tokenizer(engine):
    assert engine.count_tokens("Paris") == 1
    assert engine.count_tokens("The capital of France is Paris.") == 7
    # The chat template's own tokens are counted for prompts.
    assert engine.count_prompt_tokens(FRANCE) > engine.count_tokens(FRANCE[1]["content"]) + 5


def test_long_history_trims_oldest_turns_keeps_system(engine):
    filler = "The quick brown fox jumps over the lazy dog. " * 5  # ~50 tokens a turn
    history = [SYSTEM]
    for i in range(6):
        history += [{"role": "user", "content": f"Note {i}: {filler}"}, {"role": "assistant", "content": "Noted."}]
    history.append({"role": "user", "content": "What is the capital of France?"})
    assert engine.count_prompt_tokens(history) > engine.context_length
    answer = engine.complete(history, GREEDY)
    assert engine.last_trimmed_turns >= 3
    assert answer  # it still answered instead of failing
    kept, dropped, _ = fit_messages(history, engine.context_length, GREEDY.max_tokens, engine.count_prompt_tokens)
    assert kept[0] == SYSTEM and kept[-1] == history[-1] and dropped == engine.last_trimmed_turns
    assert kept[1]["role"] == "user"


def test_message_longer_than_context_is_a_user_error(engine):
    huge = [SYSTEM, {"role": "user", "content": "word " * 400}]
    with pytest.raises(UserError, match="too long for the model's context"):
        engine.complete(huge, GREEDY)


def test_concurrent_loads_leave_stdout_and_stderr_alone():
    """Both chat panes load at once; llama.cpp's quiet load swaps fds 1 and 2, which must come back."""
    import os

    def identity() -> list[tuple[int, int]]:
        return [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)]

    before = identity()
    for _ in range(3):
        engines, errors = [], []

        def load() -> None:
            try:
                engines.append(open_engine(None, context_length=256, threads=1))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=load) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for eng in engines:
            eng.close()
        assert not errors and len(engines) == 2
        assert identity() == before


def test_loads_keep_weights_out_of_amx_kernels_only_where_llama_cpp_has_them(monkeypatch):
    """llama.cpp's AMX matmul crashes on some Sapphire Rapids CPUs (this machine's): loads there skip it."""
    from llama_cpp import llama_cpp as raw

    from ilabdesk.chat import llama

    for amx in (True, False):
        monkeypatch.setattr(llama, "_amx_kernels", lambda amx=amx: amx)
        with llama.no_amx_weights():
            assert raw.llama_model_default_params().use_extra_bufts is not amx
        assert raw.llama_model_default_params().use_extra_bufts is True
