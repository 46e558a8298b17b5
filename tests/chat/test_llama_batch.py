"""Batched decoding (`LlamaEngine.answer_stream`, `complete_many`) on the real bundled SmolLM2 GGUF.

Parallel sequences, the shared prompt cache and the grammar checked after
sampling must not change what the model says: greedy answers begin as on the
one-at-a-time path, JSON replies follow their schema, a seed reproduces a
batch on a fresh engine given the same calls (and mostly from the cache), and
chat works after a batch.
"""

from __future__ import annotations

import json
from collections import deque

import pytest

from ilabdesk.chat.engine import GenerationParams, Request
from ilabdesk.chat.factory import open_engine
from ilabdesk.sdg.teacher import object_schema, parse_json, text_field

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
QUESTIONS = ["What is the capital of France?", "Name three colours.", "What is 2 + 2?"]
GREEDY = GenerationParams(temperature=0.0, max_tokens=20)
PASSAGE = (
    "You write one quiz question about the text below. Reply in JSON.\n\nText:\n"
    "The town of Varn lies on the river Oss. It was founded in 1310 by the weaver Mattis Kell. "
    "Its bridge has nine arches and its market sells salt, wool and amber."
)
FACTS = ["It was founded in 1310.", "Its bridge has nine arches.", "Its market sells salt, wool and amber.", "Varn lies on the river Oss."]
QUESTION = object_schema(question=text_field())


def conversation(question: str) -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": question}]


def quiz(fact: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": PASSAGE},
        {"role": "user", "content": "Answer: The town lies on the river Oss."},
        {"role": "assistant", "content": '{"question": "On which river does Varn lie?"}'},
        {"role": "user", "content": f"Answer: {fact}"},
    ]


@pytest.fixture(scope="module")
def engine():
    with open_engine(None, context_length=1024, threads=1) as eng:
        yield eng


def test_greedy_batch_equals_one_at_a_time(engine):
    alone = [engine.complete(conversation(q), GREEDY) for q in QUESTIONS]
    together = engine.complete_many([conversation(q) for q in QUESTIONS], GREEDY)
    for one, batched in zip(alone, together):
        # llama.cpp multiplies one token and a batch of them with different kernels, which round differently
        # (except its AMX ones, not used here): a near tie may flip late in an answer, a mixed-up sequence
        # would differ from its first words.
        assert batched.split()[:6] == one.split()[:6], (one, batched)
    assert "Paris" in together[0]


def test_json_replies_follow_the_schema_and_the_seed_reproduces_them(engine):
    params = GenerationParams(temperature=0.8, max_tokens=60, seed=7, json_schema=QUESTION)
    first = engine.complete_many([quiz(f) for f in FACTS], params)
    cached = engine.complete_many([quiz(f) for f in FACTS], params)  # every prompt now in the cache
    stats = engine._batch.stats
    assert stats["prompt_reused"] > stats["prompt_evaluated"]
    # From the cache only a prompt's last tokens are computed, in a smaller batch, which llama.cpp's CPU
    # kernels round differently (its AMX ones aside): a sampled reply may drift, most stay the same.
    assert sum(a == b for a, b in zip(cached, first)) >= len(FACTS) // 2, (first, cached)
    for reply in first + cached:
        parsed = parse_json(reply, QUESTION)
        assert parsed is not None, reply
        assert json.loads(reply).keys() == {"question"}
    other_seed = engine.complete_many([quiz(f) for f in FACTS], params.with_(seed=8))
    assert other_seed != first


def test_the_same_calls_on_a_fresh_engine_give_the_same_replies():
    params = GenerationParams(temperature=0.8, max_tokens=60, seed=3, json_schema=QUESTION)
    runs = []
    for _ in range(2):
        with open_engine(None, context_length=1024, threads=1) as fresh:
            fresh.complete_many([conversation(q) for q in QUESTIONS], GREEDY)
            runs.append([fresh.complete_many([quiz(f) for f in FACTS[:2]], params.with_(seed=s)) for s in (3, 4)])
    assert runs[0] == runs[1]


def test_token_limit_and_stop_strings(engine):
    long = GenerationParams(temperature=0.0, max_tokens=5)
    replies = engine.complete_many([conversation("Write a long story about a ship.")] * 2, long)
    assert replies[0] == replies[1]
    assert engine.count_tokens(replies[0]) <= 6
    assert engine.last_finish_reason == "length"
    stopped = engine.complete_many([conversation(QUESTIONS[0])], GREEDY.with_(stop=["Paris"]))
    assert stopped[0] and "Paris" not in stopped[0]


def test_chat_works_after_a_batch_and_a_batch_after_chat(engine):
    engine.complete_many([quiz(f) for f in FACTS], GenerationParams(temperature=0.0, max_tokens=30, json_schema=QUESTION))
    assert "Paris" in engine.complete(conversation(QUESTIONS[0]), GREEDY)
    assert "Paris" in engine.complete_many([conversation(QUESTIONS[0])], GREEDY)[0]


def test_an_adapter_applies_to_batches_too(tmp_path, make_lora):
    from ilabdesk.models.default import default_model_path

    base = default_model_path()
    adapter = make_lora(tmp_path / "strong.gguf", base, b_scale=2.0, targets=("attn_q", "attn_v", "ffn_up"))
    with open_engine(str(base), context_length=256, threads=1) as plain:
        without = plain.complete_many([conversation(QUESTIONS[0])], GREEDY)[0]
    with open_engine(str(base), adapter=str(adapter), context_length=256, threads=1) as tuned:
        alone = tuned.complete(conversation(QUESTIONS[0]), GREEDY)
        together = tuned.complete_many([conversation(QUESTIONS[0]), conversation(QUESTIONS[1])], GREEDY)
    # A strong random adapter makes the logits nearly flat, so the last bits of the batch
    # arithmetic decide later greedy ties: the start must agree, and differ from the base.
    assert together[0][:16] == alone[:16]
    assert together[0] != without and alone != without


def test_requests_queued_while_answering_are_answered_with_their_own_settings(engine):
    """answer_stream takes requests the caller adds as answers come back (the next step of an SDG unit)."""
    queue = deque(Request(quiz(f), GenerationParams(temperature=0.8, max_tokens=60, seed=i, json_schema=QUESTION), ("quiz", i))
                  for i, f in enumerate(FACTS))
    answered = {}
    for request, reply in engine.answer_stream(queue):
        answered[request.key] = reply
        if request.key[0] == "quiz":
            queue.append(Request(conversation(QUESTIONS[0]), GREEDY, ("capital", request.key[1])))
    assert set(answered) == {(kind, i) for kind in ("quiz", "capital") for i in range(len(FACTS))}
    for key, reply in answered.items():
        if key[0] == "quiz":
            assert parse_json(reply, QUESTION) is not None, reply
        else:
            assert "Paris" in reply, reply


def test_identical_prompts_are_evaluated_once_and_sampled_with_their_own_seeds(engine):
    prompt = [{"role": "system", "content": "You write one question about a bridge of red stone. Reply in JSON."},
              {"role": "user", "content": "Answer: The bridge of Ostra has eleven arches."}]
    before = engine._decoder().stats["prompt_evaluated"]
    params = [GenerationParams(temperature=1.0, max_tokens=40, seed=seed, json_schema=QUESTION) for seed in range(6)]
    replies = engine.complete_many([prompt] * 6, params)
    evaluated = engine._batch.stats["prompt_evaluated"] - before
    # the first request evaluates the prompt; the others copy it and evaluate only its last token
    assert evaluated <= engine.count_prompt_tokens(prompt) + 6, evaluated
    assert len(set(replies)) > 1, replies


def test_a_full_kv_cache_sends_requests_back_until_there_is_room():
    """The room check is an estimate; if the cache fills anyway, the newest requests wait and start again."""
    with open_engine(None, context_length=256, threads=1) as small:
        decoder = small._decoder()
        decoder.n_ctx = 10**6  # the room check lets every request start at once: the real cache must cope
        story = conversation("Write a long story about a ship.")
        replies = small.complete_many([story] * 6, GenerationParams(temperature=0.0, max_tokens=60))
        assert decoder._limit < 6  # six 60-token replies do not fit in 256 cells
        assert "Paris" in small.complete_many([conversation(QUESTIONS[0])], GREEDY)[0]
        assert all(small.count_tokens(reply) >= 55 for reply in replies), replies
    assert len({" ".join(reply.split()[:6]) for reply in replies}) == 1, replies


def test_a_json_reply_opens_with_the_text_its_schema_fixes_fed_with_the_prompt(engine):
    from ilabdesk.chat.batch import json_opening

    assert json_opening(QUESTION) == '{"question": "'
    assert json_opening({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}) == ""
    assert json_opening({"type": "string"}) == ""
    decoder = engine._decoder()
    sampled = decoder.stats["generated"]
    params = GenerationParams(temperature=0.0, max_tokens=60, json_schema=QUESTION)
    replies = engine.complete_many([quiz(f) for f in FACTS], params)
    assert all(reply.startswith('{"question": "') and parse_json(reply, QUESTION) for reply in replies), replies
    # the opening's tokens were evaluated with the prompt, not sampled one by one
    assert decoder.stats["generated"] - sampled <= sum(engine.count_tokens(r) for r in replies) - 3 * len(replies)
    number = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert json.loads(engine.complete_many([quiz(FACTS[0])], params.with_(json_schema=number))[0])["n"] is not None
