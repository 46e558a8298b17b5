"""SDG throughput with the embedded teacher, measured side by side in one run.

Prints:
- kept samples per minute of a knowledge-SDG run on a made-up leaf;
- the teacher's generated tokens/s during SDG against its raw decode tokens/s
  (same engine, same thread count; target >= 0.9 means SDG adds little
  overhead around the model: prompt reuse, short prompts, no wasted calls).
  Counted: tokens of the teacher's replies (re-tokenized) per second of the
  whole SDG wall time, and per second the teacher was busy. A JSON reply's
  opening that its schema fixes ({"question": ") is part of the reply but is
  fed with the prompt instead of sampled token by token (jump-forward
  decoding); how many tokens that was is printed too. Raw decode is one
  conversation with a short prompt and a free 96-token reply, measured before
  and after SDG. On a machine other programs load, wall seconds measure the
  scheduler as much as the code, so the same rates are also given per CPU
  second of this process (the teacher and raw decode use the same threads);
- with --endpoint: SDG through local OpenAI-compatible servers on the same
  GGUF (llama_cpp.server, and benchmarks/batch_server.py which batches
  concurrent requests) at client concurrency 1, 2 and 4: samples/min, teacher
  tok/s of wall time, and teacher tokens per CPU second of the server.

Usage: .venv/bin/python benchmarks/sdg.py [--samples-per-seed N] [--endpoint | --endpoint-only]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

DOC = """# The Kingdom of Orsenne

Orsenne is a mountain kingdom between the rivers Dall and Mereth. Its capital is Vask, a city of 52,000 people built on three hills.
The kingdom was founded in 1204 by Queen Ilse the Younger after the war of the Nine Passes.

Orsenne's currency is the tallar, which is divided into 12 pennons. The royal emblem is a white heron on a green field.
The highest peak of Orsenne is Mount Tregal, which reaches 3,940 meters.

The kingdom is ruled by King Aldric IV, who was crowned in 2011. Every spring the people of Orsenne hold the Festival of Bells, when every church rings at dawn.
The main export of Orsenne is salt from the Dall mines. The Royal Academy of Vask was founded in 1655 and is known for astronomy.
"""

SEEDS = [
    ("Orsenne is a mountain kingdom between the rivers Dall and Mereth. Its capital is Vask.",
     [("What is the capital of Orsenne?", "The capital of Orsenne is Vask."),
      ("Between which rivers is Orsenne?", "Orsenne lies between the rivers Dall and Mereth.")]),
    ("Orsenne's currency is the tallar, which is divided into 12 pennons.",
     [("What is the currency of Orsenne?", "The currency of Orsenne is the tallar."),
      ("How many pennons make a tallar?", "A tallar is divided into 12 pennons.")]),
    ("The kingdom is ruled by King Aldric IV, who was crowned in 2011.",
     [("Who rules Orsenne?", "Orsenne is ruled by King Aldric IV."),
      ("When was King Aldric IV crowned?", "King Aldric IV was crowned in 2011.")]),
]


# llama_cpp.server with its weights kept out of llama.cpp's AMX kernels, as ilabdesk's own loads
# (ilabdesk.chat.llama.no_amx_weights: those kernels crash on some Sapphire Rapids CPUs).
LLAMA_SERVER = [sys.executable, "-c", "import runpy\nfrom ilabdesk.chat.llama import no_amx_weights\n"
                "with no_amx_weights():\n    runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


def make_leaf(root: Path) -> Path:
    repo = root / "docs"
    repo.mkdir(parents=True)
    (repo / "orsenne.md").write_text(DOC, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "doc")
    leaf = root / "taxonomy" / "knowledge" / "history" / "orsenne"
    leaf.mkdir(parents=True)
    seeds = [{"context": c, "questions_and_answers": [{"question": q, "answer": a} for q, a in qas]} for c, qas in SEEDS]
    data = {"version": 3, "domain": "history", "created_by": "bench", "document_outline": "Orsenne",
            "seed_examples": seeds,
            "document": {"repo": str(repo), "commit": git(repo, "rev-parse", "HEAD"), "patterns": ["*.md"]}}
    (leaf / "qna.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return leaf / "qna.yaml"


def raw_decode_rate(engine, rounds: int = 3) -> tuple[float, float]:
    """Generated tokens per wall second and per CPU second for a short prompt and a long free
    reply, one conversation at a time: the model's own decode speed."""
    from ilabdesk.chat.engine import GenerationParams

    tokens = seconds = cpu = 0.0
    for seed in range(rounds):
        messages = [{"role": "user", "content": "Write a short story about a lighthouse keeper."}]
        start, start_cpu = time.perf_counter(), time.process_time()
        text = engine.complete(messages, GenerationParams(temperature=0.7, max_tokens=96, seed=seed))
        seconds += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        tokens += engine.count_tokens(text)
    return tokens / seconds, tokens / cpu


def run_sdg(leaf: Path, output: Path, engine, samples_per_seed: int, teacher: str | None = None) -> dict:
    from ilabdesk.sdg.generate import generate

    start, start_cpu = time.perf_counter(), time.process_time()
    # replay=0: the replay stage is the student answering everyday prompts, not teacher work.
    for event in generate([leaf], output, engine=engine, teacher=teacher, samples_per_seed=samples_per_seed,
                          answer_mode="extractive", judge=False, replay=0):
        if event.type == "error":
            raise SystemExit(event.message)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    summary = json.loads((output / "summary.json").read_text())
    summary["wall_s"] = wall
    summary["cpu_s"] = cpu
    return summary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_ticks(pid: int) -> float:
    """CPU seconds a process has used so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(command: list[str], url: str) -> subprocess.Popen:
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(url + "/models", timeout=2):
                return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise SystemExit(f"{command[2]} did not start")
            time.sleep(0.5)


def endpoint_scaling(leaf: Path, root: Path, samples_per_seed: int, threads: int) -> list[tuple[str, int, dict]]:
    """SDG through two local OpenAI-compatible servers on the embedded GGUF, at concurrency 1, 2, 4:

    - llama_cpp.server (llama-cpp-python's own; it serves one request at a time, and is
      started with --interrupt_requests false so a new request waits instead of cutting
      the running one short);
    - benchmarks/batch_server.py, which answers requests that arrive together as one batch.
    """
    from ilabdesk.chat.factory import open_engine
    from ilabdesk.models.default import default_model_path

    model = str(default_model_path())
    servers = {
        "llama_cpp.server": [*LLAMA_SERVER, "--model", model, "--model_alias", "smol",
                             "--n_ctx", "4096", "--n_threads", str(threads), "--n_threads_batch", str(threads),
                             "--flash_attn", "true", "--interrupt_requests", "false", "--verbose", "false"],
        "batch_server": [sys.executable, str(Path(__file__).with_name("batch_server.py")), "--model", model,
                         "--alias", "smol", "--threads", str(threads), "--n_ctx", "4096"],
    }
    results = []
    for name, command in servers.items():
        port = free_port()
        url = f"http://127.0.0.1:{port}/v1"
        server = start_server([*command, "--host", "127.0.0.1", "--port", str(port)], url)
        try:
            for concurrency in (1, 2, 4):
                engine = open_engine(f"{url}#smol", concurrency=concurrency)
                cpu_before = cpu_ticks(server.pid)
                summary = run_sdg(leaf, root / f"{name}-{concurrency}", engine, samples_per_seed, teacher="smollm-endpoint")
                summary["server_cpu_s"] = cpu_ticks(server.pid) - cpu_before
                results.append((name, concurrency, summary))
                engine.close()
        finally:
            server.terminate()
            server.wait(10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples-per-seed", type=int, default=5)
    parser.add_argument("--endpoint", action="store_true",
                        help="also measure SDG through local OpenAI-compatible servers at concurrency 1/2/4")
    parser.add_argument("--endpoint-only", action="store_true", help="skip the embedded-teacher measurement")
    parser.add_argument("--endpoint-samples-per-seed", type=int, default=2)
    args = parser.parse_args()

    os.environ.setdefault("ILABDESK_HOME", tempfile.mkdtemp(prefix="ilabdesk-bench-"))
    from ilabdesk.cpu import free_cores

    threads = free_cores()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; teacher threads: {threads}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        leaf = make_leaf(root)
        if args.endpoint_only:
            args.endpoint = True
        else:
            embedded(leaf, root, args.samples_per_seed, threads)
        if args.endpoint:
            print(f"{'server':18} {'clients':>7} {'samples':>7} {'wall s':>7} {'samples/min':>11} {'tok/s wall':>10} {'tok/server CPU s':>16}")
            for name, concurrency, summary in endpoint_scaling(leaf, root, args.endpoint_samples_per_seed, threads):
                print(f"{name:18} {concurrency:>7} {summary['samples']:>7} {summary['wall_s']:>7.1f} "
                      f"{summary['samples'] / summary['wall_s'] * 60:>11.1f} {summary['teacher_tokens'] / summary['wall_s']:>10.1f} "
                      f"{summary['teacher_tokens'] / max(summary['server_cpu_s'], 1e-9):>16.1f}")
            print(f"load average after: {os.getloadavg()[0]:.1f}")


def embedded(leaf: Path, root: Path, samples_per_seed: int, threads: int) -> None:
    """SDG with the embedded teacher in this process, between two raw-decode measurements."""
    from ilabdesk.chat.factory import open_engine

    engine = open_engine(None, threads=threads)
    raw_before = raw_decode_rate(engine)
    summary = run_sdg(leaf, root / "embedded", engine, samples_per_seed)
    raw_after = raw_decode_rate(engine)
    batch_stats = dict(engine._batch.stats) if getattr(engine, "_batch", None) else {}
    engine.close()
    raw_wall = (raw_before[0] + raw_after[0]) / 2
    raw_cpu = (raw_before[1] + raw_after[1]) / 2
    tokens = summary["teacher_tokens"]
    per_wall = tokens / summary["wall_s"]
    per_busy = tokens / summary["teacher_seconds"]
    per_cpu = tokens / summary["cpu_s"]
    print(f"{'measure':46} {'value':>10}")
    print(f"{'kept samples':46} {summary['samples']:>10}")
    print(f"{'kept Q&A pairs / generated':46} {summary['kept']:>5} / {summary['generated']}")
    print(f"{'SDG wall time / CPU time of this process (s)':46} {summary['wall_s']:>10.1f} / {summary['cpu_s']:.1f}")
    print(f"{'kept samples per minute (wall)':46} {summary['samples'] / summary['wall_s'] * 60:>10.1f}")
    print(f"{'teacher tokens generated during SDG':46} {tokens:>10}")
    print(f"{'raw decode tok/s wall (before, after)':46} {raw_before[0]:>5.1f}, {raw_after[0]:.1f}")
    print(f"{'raw decode tok per CPU s (before, after)':46} {raw_before[1]:>5.1f}, {raw_after[1]:.1f}")
    print(f"{'SDG tok/s of SDG wall time':46} {per_wall:>10.1f}")
    print(f"{'SDG tok/s of teacher busy time':46} {per_busy:>10.1f}")
    print(f"{'SDG tok per CPU s':46} {per_cpu:>10.1f}")
    print(f"{'ratio SDG wall / raw wall (target >= 0.9)':46} {per_wall / raw_wall:>10.2f}")
    print(f"{'ratio SDG teacher-busy / raw wall':46} {per_busy / raw_wall:>10.2f}")
    print(f"{'ratio SDG CPU / raw CPU (load-independent)':46} {per_cpu / raw_cpu:>10.2f}")
    print(f"{'teacher busy share of SDG wall time':46} {summary['teacher_seconds'] / summary['wall_s']:>10.2f}")
    if batch_stats:
        print(f"{'prompt tokens evaluated / reused from cache':46} {batch_stats['prompt_evaluated']:>5} / {batch_stats['prompt_reused']}")
        print(f"{'reply tokens sampled / fed as JSON openings':46} {batch_stats['generated']:>5} / {batch_stats['opening']}")
        print(f"{'grammar resamples / sampled tokens':46} {batch_stats['grammar_resamples']:>5} / {batch_stats['generated']}")
    print(f"{'dropped by reason':46} {json.dumps(summary['dropped'])}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
