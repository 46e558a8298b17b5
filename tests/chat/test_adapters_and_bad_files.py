"""Bad model files and LoRA adapters are checked before llama.cpp sees them; real adapters load."""

from __future__ import annotations

import os

import pytest

from ilabdesk.chat.engine import GenerationParams
from ilabdesk.chat.factory import open_engine
from ilabdesk.errors import UserError
from ilabdesk.models.default import default_model_path
from ilabdesk.models.gguf_file import check_adapter_fits, inspect_gguf

FRANCE = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]
GREEDY = GenerationParams(temperature=0.0, max_tokens=12)


@pytest.fixture(scope="module")
def base():
    return default_model_path()


@pytest.fixture(scope="module")
def base_answer(base):
    with open_engine(str(base), context_length=256, threads=1) as engine:
        return engine.complete(FRANCE, GREEDY)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="not found") as info:
        open_engine(str(tmp_path / "nope.gguf"))
    assert "nope.gguf" in str(info.value)


def test_random_bytes_are_not_gguf(tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(UserError, match="not a GGUF file") as info:
        open_engine(str(junk))
    assert str(junk) in str(info.value)


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(UserError, match="not a GGUF file"):
        inspect_gguf(empty)


@pytest.mark.parametrize("keep", ["header", "tensors"])
def test_truncated_copy(tmp_path, base, keep):
    data = base.read_bytes()
    cut = 200_000 if keep == "header" else len(data) - 1_000_000
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(data[:cut])
    with pytest.raises(UserError, match="damaged or incomplete|truncated") as info:
        open_engine(str(truncated))
    assert "download or export the file again" in str(info.value)


def test_metadata_of_the_embedded_model(base):
    info = inspect_gguf(base)
    assert info.kind == "model"
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert 130_000_000 < info.parameter_count < 140_000_000
    assert info.context_length == 8192
    assert "<|im_start|>" in info.chat_template
    assert info.describe()["parameters_human"] == "135M"


def test_zero_lora_keeps_the_base_answer(tmp_path, base, base_answer, capfd, make_lora):
    adapter = make_lora(tmp_path / "zero.gguf", base, b_scale=0.0)
    capfd.readouterr()
    with open_engine(str(base), adapter=str(adapter), context_length=256, threads=1) as engine:
        assert engine.adapter_info.kind == "adapter"
        assert engine.complete(FRANCE, GREEDY) == base_answer
    assert capfd.readouterr().err == "", "llama.cpp must not log to stderr"


def test_nonzero_lora_changes_the_answer(tmp_path, base, base_answer, make_lora):
    adapter = make_lora(tmp_path / "strong.gguf", base, b_scale=2.0, targets=("attn_q", "attn_v", "ffn_up"))
    with open_engine(str(base), adapter=str(adapter), context_length=256, threads=1) as engine:
        changed = engine.complete(FRANCE, GREEDY)
    assert changed != base_answer


def test_adapter_for_another_base_is_refused(tmp_path, base, make_lora):
    wrong_shape = make_lora(tmp_path / "other.gguf", base, n_in_override=1024)
    with pytest.raises(UserError, match="another base model") as info:
        open_engine(str(base), adapter=str(wrong_shape))
    assert "other.gguf" in str(info.value)
    wrong_arch = make_lora(tmp_path / "qwen.gguf", base, arch="qwen2")
    with pytest.raises(UserError, match="adapter architecture qwen2"):
        check_adapter_fits(inspect_gguf(wrong_arch, role="adapter"), inspect_gguf(base))


def test_model_and_adapter_swapped(tmp_path, base, make_lora):
    adapter = make_lora(tmp_path / "a.gguf", base)
    with pytest.raises(UserError, match="not a LoRA adapter"):
        open_engine(str(base), adapter=str(base))
    with pytest.raises(UserError, match="is a LoRA adapter, not a model"):
        open_engine(str(adapter))


def test_block_table_matches_gguf_py():
    import gguf

    from ilabdesk.models.gguf_file import GGML_BLOCKS

    for type_id, sizes in GGML_BLOCKS.items():
        assert tuple(gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(type_id)]) == sizes
