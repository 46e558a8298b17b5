"""Logits of one prompt from torch (a base folder with its LoRA) and from llama.cpp (a GGUF, with or
without an adapter GGUF): the conversion tests hold them against each other."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def prompt_ids(hf_dir: Path) -> list[int]:
    """A chat prompt as the folder's own tokenizer and template make it."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(hf_dir))
    text = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of Quillon?"}],
                                         tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def torch_logits(hf_dir: Path, adapter_dir: Path, ids: list[int]) -> np.ndarray:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(hf_dir), dtype=torch.float32)
    model = PeftModel.from_pretrained(model, str(adapter_dir)).eval()
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].numpy()


def llama_logits(path: Path, ids: list[int], **kw) -> np.ndarray:
    import llama_cpp

    from ilabdesk.chat.llama import no_amx_weights

    with no_amx_weights():  # as the app loads models: llama.cpp's AMX kernels crash on some CPUs
        llm = llama_cpp.Llama(str(path), n_ctx=128, n_threads=1, logits_all=True, verbose=False, **kw)
    llm.eval(ids)
    return np.array(llm.scores[: len(ids)])
