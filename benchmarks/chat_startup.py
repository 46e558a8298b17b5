"""Whole-command time of `ilabdesk chat -q` against a bare llama-cpp-python script, side by side.

Both are fresh processes answering the same question with the same GGUF,
threads, context, flash attention and greedy sampling, up to the same number
of tokens (200 by default), start-up and model load included. Runs alternate
A/B. Target: ratio <= 1.15.

    python benchmarks/chat_startup.py [--tokens 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "Write a long story about a dragon who learns to bake bread."
SYSTEM = "You are a helpful assistant."

BARE = """
import sys, llama_cpp
model, threads, n_ctx, tokens, system, question = sys.argv[1:7]
if b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info():  # as ilabdesk.chat.llama.no_amx_weights
    default = llama_cpp.llama_cpp.llama_model_default_params
    def params():
        values = default()
        values.use_extra_bufts = False
        return values
    llama_cpp.llama_cpp.llama_model_default_params = params
llm = llama_cpp.Llama(model, n_ctx=int(n_ctx), n_threads=int(threads), n_threads_batch=int(threads),
                      flash_attn=True, verbose=False)
messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
for chunk in llm.create_chat_completion(messages, temperature=0.0, max_tokens=int(tokens), stream=True):
    text = chunk["choices"][0]["delta"].get("content")
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
print()
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0: physical cores")
    args = parser.parse_args()

    from ilabdesk.cpu import physical_cores
    from ilabdesk.models.default import default_model_path

    model = str(default_model_path())
    threads = args.threads or physical_cores()
    n_ctx = 4096  # ilabdesk's default context_length
    home = tempfile.mkdtemp(prefix="ilabdesk-bench-")
    env = {**os.environ, "ILABDESK_HOME": home}
    ilabdesk_bin = Path(sys.executable).with_name("ilabdesk")
    entry = [str(ilabdesk_bin)] if ilabdesk_bin.exists() else [sys.executable, "-m", "ilabdesk"]
    ours = entry + ["chat", "-q", QUESTION, "--system", SYSTEM, "--max-tokens", str(args.tokens),
                    "--threads", str(threads)]
    bare = [sys.executable, "-c", BARE, model, str(threads), str(n_ctx), str(args.tokens), SYSTEM, QUESTION]
    try:
        timed(bare, env), timed(ours, env)  # warm the page cache for both
        bare_times, our_times = [], []
        for _ in range(args.rounds):
            t, bare_out = timed(bare, env)
            bare_times.append(t)
            t, our_out = timed(ours, env)
            our_times.append(t)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    same = "same answer" if bare_out.strip() == our_out.strip() else "ANSWERS DIFFER"
    b, o = statistics.median(bare_times), statistics.median(our_times)
    print(f"answer: {len(our_out.split())} words, {same}")
    print(f"{'bare llama-cpp-python':24} {b:6.2f} s   runs {', '.join(f'{x:.2f}' for x in bare_times)}")
    print(f"{'ilabdesk chat -q':24} {o:6.2f} s   runs {', '.join(f'{x:.2f}' for x in our_times)}")
    print(f"ratio ilabdesk/bare      {o / b:6.3f}   (target <= 1.15)")


if __name__ == "__main__":
    main()
