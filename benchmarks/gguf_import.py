"""GGUF -> trainable HF model: ilabdesk's importer vs transformers' own GGUF loader (when the
`gguf` distribution it asks for is installed) and vs gguf-py's own dequantization of every tensor.

Both start from the embedded SmolLM2-135M Q4_1 GGUF and end with a float32
torch model; ilabdesk's time includes writing the cached folder and loading it.
Also prints the largest logit difference between the two models.

    .venv/bin/python benchmarks/gguf_import.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import torch
    from gguf import GGUFReader
    from gguf.quants import dequantize
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ilabdesk.gguf.dequantize import hf_dir_for_gguf
    from ilabdesk.models.default import default_model_path

    gguf = default_model_path()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ILABDESK_HOME"] = tmp  # empty cache: measure the real conversion
        started = time.perf_counter()
        folder = hf_dir_for_gguf(gguf)
        converted = time.perf_counter() - started
        ours = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
        ours_total = time.perf_counter() - started
        started = time.perf_counter()
        cached = hf_dir_for_gguf(gguf)
        cached_s = time.perf_counter() - started
        assert cached == folder

        started = time.perf_counter()
        for tensor in GGUFReader(gguf).tensors:
            dequantize(tensor.data, tensor.tensor_type)
        plain = time.perf_counter() - started

        started = time.perf_counter()
        try:
            theirs = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        except ImportError as exc:  # it asks for the `gguf` distribution; ilabdesk has llama.cpp's converter's copy
            theirs, unavailable = None, str(exc)
        theirs_total = time.perf_counter() - started
        if theirs is not None:
            tokenizer = AutoTokenizer.from_pretrained(str(folder))
            ids = torch.tensor([tokenizer("The capital of France is")["input_ids"]])
            with torch.no_grad():
                diff = (ours(ids).logits - theirs(ids).logits).abs().max().item()
    print(f"{'loader':<28} {'seconds':>8}")
    if theirs is not None:
        print(f"{'transformers gguf_file=':<28} {theirs_total:>8.2f}")
    print(f"{'ilabdesk convert + load':<28} {ours_total:>8.2f}   (convert alone {converted:.2f} s; target <= 5)")
    print(f"{'ilabdesk cached':<28} {cached_s:>8.3f}")
    print(f"{'gguf-py dequantize only':<28} {plain:>8.2f}   (ratio ilabdesk convert / it: {converted / plain:.2f}x)")
    if theirs is not None:
        print(f"ratio ilabdesk / transformers: {ours_total / theirs_total:.2f}x; max logit difference {diff:.2e}")
    else:
        print(f"transformers' GGUF loader could not run here: {unavailable}")


if __name__ == "__main__":
    main()
