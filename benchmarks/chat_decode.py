"""Decode speed of ilabdesk's llama.cpp engine against a bare `llama_cpp.Llama`, side by side.

Same GGUF (the embedded default unless --model), same context, threads,
flash attention and greedy sampling, same prompt; runs alternate A/B so load
on the machine hits both alike. Decode tokens/s is measured from the first
streamed token to the last (prompt processing excluded). Target: ratio >= 0.97.

    python benchmarks/chat_decode.py [--model FILE] [--tokens 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Write a long story about a dragon who learns to bake bread."},
]


def decode_rate(chunks) -> tuple[int, float]:
    """(tokens, tokens per second after the first token) of a stream of text chunks."""
    first = last = None
    count = 0
    for _ in chunks:
        now = time.perf_counter()
        first = first or now
        last = now
        count += 1
    if count < 2:
        return count, 0.0
    return count, (count - 1) / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="GGUF file (default: the embedded SmolLM2)")
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0: physical cores")
    args = parser.parse_args()

    import llama_cpp

    from ilabdesk.chat.engine import GenerationParams
    from ilabdesk.chat.llama import LlamaEngine, no_amx_weights
    from ilabdesk.cpu import physical_cores
    from ilabdesk.models.default import default_model_path

    model = args.model or str(default_model_path())
    threads = args.threads or physical_cores()
    n_ctx = 2048

    with no_amx_weights():  # the same weights layout as the engine's (llama.cpp's AMX kernels crash on some CPUs)
        bare = llama_cpp.Llama(model, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, flash_attn=True,
                               verbose=False)
    engine = LlamaEngine(model, threads=threads, context_length=n_ctx)
    params = GenerationParams(temperature=0.0, max_tokens=args.tokens, seed=0)

    def run_bare() -> tuple[int, float]:
        stream = bare.create_chat_completion(MESSAGES, temperature=0.0, top_p=params.top_p, max_tokens=args.tokens, stream=True, seed=0)
        return decode_rate(c for c in stream if c["choices"][0]["delta"].get("content"))

    def run_engine() -> tuple[int, float]:
        return decode_rate(engine.stream(MESSAGES, params))

    run_bare(), run_engine()  # warm-up: page in weights, build graphs
    bare_rates, engine_rates = [], []
    for _ in range(args.rounds):
        tokens_b, rate_b = run_bare()
        tokens_e, rate_e = run_engine()
        bare_rates.append(rate_b)
        engine_rates.append(rate_e)
    b, e = statistics.median(bare_rates), statistics.median(engine_rates)
    print(f"model {model}  threads {threads}  tokens bare {tokens_b} / engine {tokens_e}")
    print(f"{'bare llama_cpp.Llama':24} {b:7.1f} tok/s   runs {', '.join(f'{r:.1f}' for r in bare_rates)}")
    print(f"{'ilabdesk LlamaEngine':24} {e:7.1f} tok/s   runs {', '.join(f'{r:.1f}' for r in engine_rates)}")
    print(f"ratio engine/bare        {e / b:7.3f}   (target >= 0.97)")


if __name__ == "__main__":
    main()
