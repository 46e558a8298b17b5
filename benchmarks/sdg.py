"""SDG throughput with the embedded teacher, measured side by side in one run.

Prints:
- kept samples per minute of a knowledge-SDG run on a made-up leaf;
- the teacher's generated tokens/s during SDG against its raw decode tokens/s
  (same engine, same thread count; target >= 0.9 means SDG adds little
  overhead around the model: prompt reuse, short prompts, no wasted calls);
- with --endpoint: kept samples/minute through a local OpenAI-compatible
  server (llama_cpp.server with the same GGUF) at concurrency 1, 2 and 4.

Usage: .venv/bin/python benchmarks/sdg.py [--samples-per-seed N] [--endpoint]
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


def raw_decode_rate(engine, rounds: int = 3) -> float:
    """Generated tokens/s for a short prompt and a long free reply: the model's own decode speed."""
    from ilabdesk.chat.engine import GenerationParams

    tokens = seconds = 0.0
    for seed in range(rounds):
        messages = [{"role": "user", "content": "Write a short story about a lighthouse keeper."}]
        start = time.perf_counter()
        text = engine.complete(messages, GenerationParams(temperature=0.7, max_tokens=96, seed=seed))
        seconds += time.perf_counter() - start
        tokens += engine.count_tokens(text)
    return tokens / seconds


def run_sdg(leaf: Path, output: Path, engine, samples_per_seed: int, teacher: str | None = None) -> dict:
    from ilabdesk.sdg.generate import generate

    start = time.perf_counter()
    for event in generate([leaf], output, engine=engine, teacher=teacher, samples_per_seed=samples_per_seed,
                          answer_mode="extractive", judge=False):
        if event.type == "error":
            raise SystemExit(event.message)
    wall = time.perf_counter() - start
    summary = json.loads((output / "summary.json").read_text())
    summary["wall_s"] = wall
    return summary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def endpoint_scaling(leaf: Path, root: Path, samples_per_seed: int, threads: int) -> list[tuple[int, float]]:
    from ilabdesk.chat.factory import open_engine
    from ilabdesk.models.default import default_model_path

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--model_alias", "smol",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", str(threads),
         "--verbose", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/models", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("llama_cpp.server did not start")
                time.sleep(0.5)
        results = []
        for concurrency in (1, 2, 4):
            engine = open_engine(f"{url}#smol", concurrency=concurrency)
            summary = run_sdg(leaf, root / f"endpoint-{concurrency}", engine, samples_per_seed, teacher="smollm-endpoint")
            results.append((concurrency, summary["samples"] / summary["wall_s"] * 60))
            engine.close()
        return results
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples-per-seed", type=int, default=5)
    parser.add_argument("--endpoint", action="store_true", help="also measure a local llama_cpp.server at concurrency 1/2/4")
    args = parser.parse_args()

    os.environ.setdefault("ILABDESK_HOME", tempfile.mkdtemp(prefix="ilabdesk-bench-"))
    from ilabdesk.chat.factory import open_engine
    from ilabdesk.cpu import free_cores

    threads = free_cores()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; teacher threads: {threads}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        leaf = make_leaf(root)
        engine = open_engine(None, threads=threads)
        raw_before = raw_decode_rate(engine)
        summary = run_sdg(leaf, root / "embedded", engine, args.samples_per_seed)
        raw_after = raw_decode_rate(engine)
        engine.close()
        raw = (raw_before + raw_after) / 2
        sdg_rate = summary["teacher_tokens"] / summary["teacher_seconds"]
        print(f"{'measure':42} {'value':>10}")
        print(f"{'kept samples':42} {summary['samples']:>10}")
        print(f"{'kept Q&A pairs / generated':42} {summary['kept']:>5} / {summary['generated']}")
        print(f"{'SDG wall time (s)':42} {summary['wall_s']:>10.1f}")
        print(f"{'kept samples per minute':42} {summary['samples'] / summary['wall_s'] * 60:>10.1f}")
        print(f"{'raw decode tok/s (before, after)':42} {raw_before:>5.1f}, {raw_after:.1f}")
        print(f"{'teacher tok/s during SDG':42} {sdg_rate:>10.1f}")
        print(f"{'ratio SDG / raw (target >= 0.9)':42} {sdg_rate / raw:>10.2f}")
        print(f"{'teacher busy share of SDG wall time':42} {summary['teacher_seconds'] / summary['wall_s']:>10.2f}")
        print(f"{'dropped by reason':42} {json.dumps(summary['dropped'])}")
        if args.endpoint:
            for concurrency, per_minute in endpoint_scaling(leaf, root, args.samples_per_seed, threads):
                print(f"{f'endpoint, concurrency {concurrency}: samples/min':42} {per_minute:>10.1f}")


if __name__ == "__main__":
    main()
