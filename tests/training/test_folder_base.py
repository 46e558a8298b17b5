"""A Hugging Face folder as the base: trained, then converted by llama.cpp's own converter into a base
GGUF, an adapter GGUF for it, a fused GGUF and a quantized one, all agreeing with torch."""

from __future__ import annotations

import json

import numpy as np
import pytest
from training.agree import llama_logits, prompt_ids, torch_logits
from training.tiny import FAST

from ilabdesk.errors import UserError
from ilabdesk.jobs.runner import JobSpec, run_events


def _run(kind: str, args: dict) -> list:
    return list(run_events(JobSpec(kind, args)))


@pytest.mark.parametrize("variant", ["llama", "qwen3", "phi4"])
def test_a_folder_base_converts_through_llama_cpp_and_logits_agree(variant, tiny_models, facts_data, tmp_path):
    from ilabdesk.gguf.convert_hf import hf_folder_to_gguf, merged_folder
    from ilabdesk.models.gguf_file import inspect_gguf

    folder = tiny_models(variant)["hf"]
    run_dir = tmp_path / "run"
    events = _run("train", {"data": str(facts_data), "output": str(run_dir), "base": str(folder), **FAST})
    assert events[-1].type == "done", events[-1].message
    converted = _run("convert", {"run": str(run_dir), "quantize": "Q8_0"})
    assert converted[-1].type == "done", converted[-1].message
    gguf = json.loads((run_dir / "run.json").read_text())["gguf"]
    assert gguf["base_gguf"] == str(run_dir / "base-f16.gguf") and gguf["model"] == str(run_dir / "model-Q8_0.gguf")
    template = json.loads((folder / "tokenizer_config.json").read_text())["chat_template"]
    for name in ("base-f16.gguf", "model-f16.gguf", "model-Q8_0.gguf"):
        assert inspect_gguf(run_dir / name).chat_template == template
    assert not list(run_dir.glob(".merged-*"))
    again = _run("convert", {"run": str(run_dir), "quantize": "Q8_0"})
    assert sum("up to date" in e.message for e in again) == 4

    # in F32, so that only the order of float sums differs: the same converter, the same adapter GGUF
    base32 = hf_folder_to_gguf(folder, tmp_path / "base-f32.gguf", "f32")
    fused32 = hf_folder_to_gguf(merged_folder(folder, run_dir / "adapter", tmp_path / "merged"),
                                tmp_path / "fused-f32.gguf", "f32")
    ids = prompt_ids(folder)
    reference = torch_logits(folder, run_dir / "adapter", ids)
    scale = np.abs(reference).max()
    for got in (llama_logits(base32, ids, lora_path=str(run_dir / "adapter.gguf")), llama_logits(fused32, ids)):
        assert np.abs(got - reference).max() < 1e-3 * scale
    assert np.abs(llama_logits(base32, ids) - reference).max() > 1e-2 * scale, "the adapter must change the logits"
    quantized = llama_logits(run_dir / "model-Q8_0.gguf", ids)
    assert np.abs(quantized - reference).max() < 5e-2 * scale


def test_a_folder_without_a_template_gets_the_one_training_used(tiny, tmp_path):
    from ilabdesk.chat.template import DEFAULT_TEMPLATE
    from ilabdesk.gguf.convert_hf import hf_folder_to_gguf
    from ilabdesk.models.gguf_file import inspect_gguf

    import shutil

    bare = shutil.copytree(tiny["hf"], tmp_path / "bare")
    config = json.loads((bare / "tokenizer_config.json").read_text())
    del config["chat_template"]
    (bare / "tokenizer_config.json").write_text(json.dumps(config))
    out = hf_folder_to_gguf(bare, tmp_path / "bare.gguf", "f16", DEFAULT_TEMPLATE)
    assert inspect_gguf(out).chat_template == DEFAULT_TEMPLATE
    assert "chat_template" not in json.loads((bare / "tokenizer_config.json").read_text())  # the folder is untouched


def test_a_folder_the_converter_cannot_take_gets_a_clear_error(tiny, tmp_path):
    from ilabdesk.gguf.convert_hf import hf_folder_to_gguf

    import shutil

    odd = shutil.copytree(tiny["hf"], tmp_path / "odd")
    config = json.loads((odd / "config.json").read_text())
    (odd / "config.json").write_text(json.dumps({**config, "architectures": ["NoSuchForCausalLM"]}))
    with pytest.raises(UserError) as caught:
        hf_folder_to_gguf(odd, tmp_path / "odd.gguf")
    assert str(odd) in str(caught.value) and "NoSuchForCausalLM" in str(caught.value)
    assert not (tmp_path / "odd.gguf").exists() and not list(tmp_path.glob(".odd.gguf.*"))


def test_a_sentencepiece_gguf_trains_on_the_tokens_llama_cpp_reads(tmp_path):
    """A Gemma-style vocabulary (SentencePiece, runs of spaces as tokens of their own) written to GGUF by
    llama.cpp's converter: the tokenizer training rebuilds from it cuts text into llama.cpp's very ids."""
    import llama_cpp
    from training.tiny import tiny_spm_dir
    from transformers import AutoTokenizer

    from ilabdesk.chat.llama import no_amx_weights
    from ilabdesk.gguf.convert_hf import hf_folder_to_gguf
    from ilabdesk.gguf.reader import read_gguf
    from ilabdesk.gguf.tokenizer import write_tokenizer

    gguf = hf_folder_to_gguf(tiny_spm_dir(tmp_path / "hf"), tmp_path / "spm.gguf", "f32")
    meta = read_gguf(gguf).meta
    assert meta["tokenizer.ggml.model"] == "llama" and "  " in meta["tokenizer.ggml.tokens"]
    write_tokenizer(meta, gguf, tmp_path / "tokenizer")
    ours = AutoTokenizer.from_pretrained(str(tmp_path / "tokenizer"))
    with no_amx_weights():
        llama = llama_cpp.Llama(str(gguf), vocab_only=True, verbose=False)
    for text in ("The cheese  ripens\n\nin    caves.", "<start_of_turn>user\nHow  many cows?<end_of_turn>\n",
                 "  two spaces first, and  last  ", "Ünïcode 2019\t\tand tabs"):
        ids = ours(text)["input_ids"]
        assert ids == llama.tokenize(text.encode(), add_bos=True, special=True), text
        assert max(ids) < len(meta["tokenizer.ggml.tokens"])
