"""Quantize time: ilabdesk.gguf.export.quantize vs a direct llama_cpp.llama_model_quantize call.

Input: the embedded 135M model re-exported as F16 GGUF. Runs alternate, the
best of `--repeat` is compared, per quantization type.

    .venv/bin/python benchmarks/quantize.py [--types Q4_K_M Q8_0] [--repeat 2]
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--types", nargs="+", default=["Q4_K_M", "Q8_0"])
    parser.add_argument("--repeat", type=int, default=2)
    opts = parser.parse_args()

    import llama_cpp

    from ilabdesk.gguf.export import export_fused, quantize
    from ilabdesk.training.base import resolve_base

    base = resolve_base(None)
    with tempfile.TemporaryDirectory() as tmp:
        f16 = export_fused(base.hf_dir, None, base.gguf, Path(tmp) / "model-f16.gguf")
        print(f"{'type':<8} {'direct s':>9} {'ilabdesk s':>11} {'ratio':>7}")
        for qtype in opts.types:
            direct, ours = [], []
            for i in range(opts.repeat):
                params = llama_cpp.llama_model_quantize_default_params()
                params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{qtype}")
                started = time.perf_counter()
                status = llama_cpp.llama_model_quantize(str(f16).encode(), str(Path(tmp) / f"d{i}.gguf").encode(),
                                                        ctypes.byref(params))
                direct.append(time.perf_counter() - started)
                assert status == 0
                started = time.perf_counter()
                quantize(f16, Path(tmp) / f"o{i}.gguf", qtype)
                ours.append(time.perf_counter() - started)
            print(f"{qtype:<8} {min(direct):>9.2f} {min(ours):>11.2f} {min(ours) / min(direct):>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
