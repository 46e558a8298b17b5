"""The embedded SmolLM2-135M GGUF: import, tokenizer, adapter and fused export agree with llama.cpp.

One module-scoped setup: the GGUF is dequantized once (cached), one random but
significant LoRA is exported as an adapter GGUF and fused into an F16 GGUF,
and the base alone is re-exported as F16 (the Q4_1 file's very weights, see
`test_f16_base_holds_the_q4_1_files_weights`). Then the first 20 greedy tokens
of 10 prompts are compared between the torch model with the adapter, llama.cpp
with a base GGUF + adapter GGUF, and llama.cpp with the fused F16 GGUF (the
issue asks for >= 9/10 each).

What the embedded Q4_1 file can and cannot show (measured, one llama.cpp
thread, AVX2 CPU): its weights are bit-identical to the float32 torch model's,
yet plain llama.cpp on it (no adapter) gives torch's 20 greedy tokens for only
6 of 10 prompts, while the same weights as an F32/F16 GGUF give 10/10. Its
matmuls quantize activations to 8 bits (Q4_1 x Q8_1 dot products): teacher
forced, the largest logit error is ~1.1 against ~0.02 for F32, enough to flip
near-tie tokens, after which the continuations part. With the adapter it gives
7/10 (teacher-forced top-1 165/168 vs the plain base's 164/169): quantization,
not the adapter. So the adapter's correctness is asserted on the float base
(greedy tokens and its effect on the logits), and on Q4_1 the adapter may not
lose more prompts than the plain base already loses.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from ilabdesk.models.default import default_model_path

PROMPTS = [
    "What is the capital of France?",
    "Write a haiku about rain.",
    "List three primary colors.",
    "Explain photosynthesis in one sentence.",
    "What is 12 times 12?",
    "Give me a synonym for happy.",
    "Who wrote Romeo and Juliet?",
    "Name a large animal that lives in the ocean.",
    "How many days are in a week?",
    "Translate 'good morning' to French.",
]
N_TOKENS = 20


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from ilabdesk.gguf.dequantize import convert_gguf_to_hf

    started = time.monotonic()
    hf_dir = convert_gguf_to_hf(default_model_path(), tmp_path_factory.mktemp("base"))
    return {"hf": hf_dir, "gguf": default_model_path(), "seconds": time.monotonic() - started}


@pytest.fixture(scope="module")
def exported(base, tmp_path_factory):
    """A random rank-8 LoRA on all linear layers, strong enough to change most answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from ilabdesk.gguf.export import export_adapter, export_fused

    out = tmp_path_factory.mktemp("export")
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(str(base["hf"]), dtype=torch.float32)
    lora = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    model = get_peft_model(model, lora)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.02)
    model.save_pretrained(str(out / "adapter"))
    export_adapter(out / "adapter", base["gguf"], out / "adapter.gguf")
    export_fused(base["hf"], out / "adapter", base["gguf"], out / "model-f16.gguf")
    # Generating through unmerged LoRA layers is slow on CPU; merged weights compute the same function.
    return {"model": model.merge_and_unload().eval(), "dir": out}


@pytest.fixture(scope="module")
def f16_base(base, exported):
    from ilabdesk.gguf.export import export_fused

    return export_fused(base["hf"], None, base["gguf"], exported["dir"] / "base-f16.gguf")


def _prompt_ids(tokenizer, prompt: str) -> list[int]:
    text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def _llama(path, **kw):
    import llama_cpp

    from ilabdesk.chat.llama import no_amx_weights

    with no_amx_weights():  # as the app loads models: llama.cpp's AMX kernels crash on some CPUs
        return llama_cpp.Llama(str(path), n_ctx=256, n_threads=1, n_threads_batch=1, verbose=False, **kw)


def _torch_greedy(model, ids: list[int]) -> list[int]:
    import torch

    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), max_new_tokens=N_TOKENS, do_sample=False, eos_token_id=2, pad_token_id=2)
    return out[0, len(ids):].tolist()


def _greedy_llama(llm, ids: list[int]) -> list[int]:
    llm.reset()
    out = []
    for token in llm.generate(ids, temp=0.0, top_k=1, reset=True):
        out.append(token)
        if len(out) == N_TOKENS or token == llm.token_eos():
            break
    return out


def test_import_is_cached_under_the_app_cache():
    from ilabdesk.gguf.dequantize import hf_dir_for_gguf
    from ilabdesk.settings import paths

    started = time.monotonic()
    folder = hf_dir_for_gguf(default_model_path())
    first = time.monotonic() - started
    assert folder.parent.parent == paths().cache and (folder / "model.safetensors").is_file()
    assert (folder / "tokenizer.json").is_file() and (folder / "config.json").is_file()
    started = time.monotonic()
    assert hf_dir_for_gguf(default_model_path()) == folder
    assert time.monotonic() - started < 0.2 < first  # the second call converts nothing


def test_reader_and_dequantize_match_gguf_py(base):
    import gguf
    from gguf.quants import dequantize

    from ilabdesk.gguf.dequantize import dequantize_tensor
    from ilabdesk.gguf.reader import read_gguf

    ours = read_gguf(default_model_path())
    ref = gguf.GGUFReader(str(default_model_path()))
    assert ours.meta["tokenizer.ggml.tokens"] == ref.fields["tokenizer.ggml.tokens"].contents()
    assert ours.meta["llama.attention.head_count_kv"] == ref.fields["llama.attention.head_count_kv"].contents()
    wanted = {"Q4_1", "Q8_0", "F32"}
    for mine, theirs in zip(ours.tensors, ref.tensors):
        kind = theirs.tensor_type.name
        if kind in wanted:
            wanted.discard(kind)
            expected = dequantize(theirs.data, theirs.tensor_type).reshape(mine.shape)
            np.testing.assert_array_equal(dequantize_tensor(ours, mine), expected)
    assert not wanted


def test_tokenizer_matches_llama_cpp(base):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base["hf"]))
    llm = _llama(base["gguf"], vocab_only=True)
    texts = ["Founded in 1847 by Dr. Q'uux", "naïve café 3.14159  spaces\n\n\ttab", "emoji 🎉 and <|im_start|>user\nhi<|im_end|>"]
    texts.append(tokenizer.apply_chat_template([{"role": "user", "content": "Hi there!"}], tokenize=False, add_generation_prompt=True))
    for text in texts:
        assert tokenizer(text, add_special_tokens=False)["input_ids"] == llm.tokenize(text.encode(), add_bos=False, special=True)


def test_f16_base_holds_the_q4_1_files_weights(f16_base):
    """The F16 base is the Q4_1 file's model: same values (up to F16 rounding), Q/K rows in llama.cpp's order."""
    import gguf
    from gguf.quants import dequantize

    ours = {t.name: t for t in gguf.GGUFReader(str(f16_base)).tensors}
    for tensor in gguf.GGUFReader(str(default_model_path())).tensors:
        expected = dequantize(tensor.data, tensor.tensor_type).reshape(-1)
        got = np.asarray(ours[tensor.name].data).reshape(-1)
        np.testing.assert_array_equal(got, expected.astype(got.dtype), err_msg=tensor.name)


def test_greedy_tokens_agree_torch_adapter_gguf_and_fused(base, exported, f16_base):
    """>= 9/10 prompts give the same 20 greedy tokens through every float route; Q4_1 as the module says."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(str(base["hf"]))
    tuned = exported["model"]
    plain_torch = AutoModelForCausalLM.from_pretrained(str(base["hf"]), dtype=torch.float32).eval()
    adapter = str(exported["dir"] / "adapter.gguf")
    routes = {  # name: (llama.cpp model, torch model whose greedy tokens it must give)
        "adapter on F16 base": (_llama(f16_base, lora_path=adapter), tuned),
        "fused F16": (_llama(exported["dir"] / "model-f16.gguf"), tuned),
        "adapter on Q4_1 base": (_llama(base["gguf"], lora_path=adapter), tuned),
        "plain Q4_1 base": (_llama(base["gguf"]), plain_torch),
    }
    agree = dict.fromkeys(routes, 0)
    changed = 0
    for prompt in PROMPTS:
        ids = _prompt_ids(tokenizer, prompt)
        reference = {id(m): _torch_greedy(m, ids) for m in (tuned, plain_torch)}
        for name, (llm, model) in routes.items():
            agree[name] += _greedy_llama(llm, ids) == reference[id(model)]
        changed += reference[id(tuned)] != reference[id(plain_torch)]
    print(f"greedy agreement with torch (of 10): {agree}; answers changed by the LoRA: {changed}/10")
    assert changed >= 3, "the test adapter must change answers, or the comparison proves nothing"
    assert agree["adapter on F16 base"] >= 9
    assert agree["fused F16"] >= 9
    # Q4_1 kernels alone flip prompts (measured 6/10 without any adapter); the adapter must not add more than one.
    assert agree["adapter on Q4_1 base"] >= agree["plain Q4_1 base"] - 1


def test_adapter_gguf_changes_logits_as_the_lora_does(base, exported, f16_base):
    """Teacher-forced logits: what loading the adapter GGUF changes in llama.cpp is what the LoRA changes in torch.

    Greedy tokens barely notice a misplaced Q/K row permutation of the B
    matrices (a random LoRA permuted is just another random LoRA): measured,
    such a broken adapter still agreed on 166/168 teacher-forced tokens, but
    its logit change was 0.73 off in relative error (median over prompts, on
    an F32 base) where the right one is 0.03 on this F16 base.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(str(base["hf"]))
    tuned = exported["model"]
    plain_torch = AutoModelForCausalLM.from_pretrained(str(base["hf"]), dtype=torch.float32).eval()
    with_adapter = _llama(f16_base, lora_path=str(exported["dir"] / "adapter.gguf"), logits_all=True)
    without = _llama(f16_base, logits_all=True)
    errors = []
    for prompt in PROMPTS[:4]:
        ids = _prompt_ids(tokenizer, prompt)
        full = ids + _torch_greedy(tuned, ids)
        with torch.no_grad():
            torch_delta = (tuned(torch.tensor([full])).logits - plain_torch(torch.tensor([full])).logits)[0].numpy()
        logits = []
        for llm in (with_adapter, without):
            llm.reset()
            llm.eval(full)
            logits.append(np.array(llm.scores[: len(full)]))
        llama_delta = logits[0] - logits[1]
        errors.append(float(np.linalg.norm(llama_delta - torch_delta) / np.linalg.norm(torch_delta)))
    print(f"relative error of the adapter's logit change, llama.cpp vs torch: {[round(e, 4) for e in errors]}")
    assert max(errors) < 0.1


def test_quantized_models_load_and_answer(f16_base, tmp_path):
    """Q8_0 keeps the base's knowledge; Q4_K_M (a second 4-bit rounding of a Q4_1 model) still chats."""
    from ilabdesk.gguf.export import quantize
    from ilabdesk.gguf.reader import read_gguf

    clean = f16_base
    q8 = quantize(clean, tmp_path / "clean-Q8_0.gguf", "Q8_0")
    q4 = quantize(clean, tmp_path / "clean-Q4_K_M.gguf", "Q4_K_M")
    assert read_gguf(q8).meta["general.file_type"] == 7 and read_gguf(q4).meta["general.file_type"] == 15
    assert not list(tmp_path.glob(".*.part"))
    question = [{"role": "user", "content": "What is the capital of France?"}]
    answer = _llama(q8).create_chat_completion(question, max_tokens=24, temperature=0)["choices"][0]["message"]["content"]
    assert "Paris" in answer or "France" in answer  # on topic (this 135M model answers in French here)
    answer = _llama(q4).create_chat_completion(question, max_tokens=24, temperature=0)["choices"][0]["message"]["content"]
    assert len(answer.split()) >= 3 and answer.isprintable()
