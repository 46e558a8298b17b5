"""GGUF -> trainable HF model: ilabdesk's importer vs transformers' own GGUF loader.

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
        theirs = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        theirs_total = time.perf_counter() - started

        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        ids = torch.tensor([tokenizer("The capital of France is")["input_ids"]])
        with torch.no_grad():
            diff = (ours(ids).logits - theirs(ids).logits).abs().max().item()
    print(f"{'loader':<28} {'seconds':>8}")
    print(f"{'transformers gguf_file=':<28} {theirs_total:>8.2f}")
    print(f"{'ilabdesk convert + load':<28} {ours_total:>8.2f}   (convert alone {converted:.2f} s)")
    print(f"{'ilabdesk cached':<28} {cached_s:>8.3f}")
    print(f"ratio ilabdesk / transformers: {ours_total / theirs_total:.2f}x; max logit difference {diff:.2e}")


if __name__ == "__main__":
    main()
