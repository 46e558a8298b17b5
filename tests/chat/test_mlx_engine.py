"""The MLX backend on a tiny Llama built in the test (mlx[cpu] on Linux, Metal on a Mac)."""

from __future__ import annotations

import json
import threading

import pytest

mx = pytest.importorskip("mlx.core", reason="mlx is not installed (pip install 'ilabdesk[mlx]')")
pytest.importorskip("mlx_lm", reason="mlx-lm is not installed")

from ilabdesk.chat.engine import GenerationParams  # noqa: E402
from ilabdesk.chat.factory import open_engine  # noqa: E402
from ilabdesk.chat.mlx import MLXEngine, _StopStrings  # noqa: E402
from ilabdesk.errors import UserError  # noqa: E402

WORDS = "the a cat dog sat on mat hello world paris france capital is of what blue red".split()
TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }} {{ m['content'] }}<|im_end|> {% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant {% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 2-layer Llama with random weights and a word-level tokenizer, saved as a HF folder."""
    from mlx.utils import tree_flatten
    from mlx_lm.models import llama
    from tokenizers import Tokenizer, models, pre_tokenizers

    folder = tmp_path_factory.mktemp("tiny-mlx")
    specials = ["<unk>", "<|im_start|>", "<|im_end|>", "system", "user", "assistant"]
    vocab = {token: i for i, token in enumerate(specials + WORDS)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.add_special_tokens(["<|im_start|>", "<|im_end|>"])
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|im_end|>",
        "unk_token": "<unk>", "chat_template": TEMPLATE,
    }))
    config = {
        "model_type": "llama", "hidden_size": 32, "num_hidden_layers": 2, "intermediate_size": 64,
        "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
        "vocab_size": len(vocab), "max_position_embeddings": 128, "tie_word_embeddings": True,
        "eos_token_id": vocab["<|im_end|>"],
    }
    (folder / "config.json").write_text(json.dumps(config))
    mx.random.seed(0)
    model = llama.Model(llama.ModelArgs.from_dict(config))
    mx.save_safetensors(str(folder / "model.safetensors"), dict(tree_flatten(model.parameters())))
    return folder


@pytest.fixture(scope="module")
def engine(tiny_model):
    eng = open_engine(str(tiny_model))  # a HF folder picks MLX when mlx-lm is installed
    yield eng
    eng.close()


MESSAGES = [{"role": "system", "content": "hello"}, {"role": "user", "content": "what is the capital of france"}]


def test_streams_and_respects_max_tokens(engine):
    assert isinstance(engine, MLXEngine)
    assert engine.context_length == 128
    chunks = list(engine.stream(MESSAGES, GenerationParams(temperature=0.0, max_tokens=6)))
    assert 1 <= engine.last_tokens <= 6
    assert all(isinstance(c, str) for c in chunks)


def test_seed_reproduces_and_greedy_is_deterministic(engine):
    sampled = GenerationParams(temperature=1.0, top_p=1.0, max_tokens=4, seed=7)
    assert engine.complete(MESSAGES, sampled) == engine.complete(MESSAGES, sampled)
    greedy = GenerationParams(temperature=0.0, max_tokens=4)
    assert engine.complete(MESSAGES, greedy) == engine.complete(MESSAGES, greedy)


def test_stop_within_one_token(engine):
    stop = threading.Event()
    got = []
    for chunk in engine.stream(MESSAGES, GenerationParams(temperature=1.0, max_tokens=12, seed=1), stop):
        got.append(chunk)
        if len(got) == 2:
            stop.set()
    assert len(got) <= 2
    assert engine.last_finish_reason == "cancelled" or engine.last_tokens <= 2


def test_gguf_adapter_and_json_schema_are_refused(engine, tiny_model, tmp_path):
    with pytest.raises(UserError, match="GGUF adapter is for llama.cpp"):
        MLXEngine(tiny_model, adapter=tmp_path / "adapter.gguf")
    with pytest.raises(UserError, match="not available with MLX"):
        engine.complete(MESSAGES, GenerationParams(json_schema={"type": "object"}))


def test_stop_strings_cut_the_stream():
    stops = _StopStrings(["<END>"])
    out = []
    for piece in ["Hel", "lo <E", "ND> more"]:
        text, hit = stops.feed(piece)
        out.append(text)
        if hit:
            break
    assert "".join(out) == "Hello " and hit
