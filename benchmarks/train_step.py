"""Training step time: ilabdesk's torch trainer vs a plain PEFT loop, same data, same settings.

Both train the same LoRA (rank 16, all linear layers) on the embedded 135M
model with the same batches of conversations. The plain loop is what a
straightforward script does: pad each batch to its longest sample, labels -100
outside assistant turns, `model(input_ids, attention_mask, labels=...)` (full
logits over the 49k vocabulary at every position). ilabdesk packs the batch,
runs the LM head only at target positions. Both get the very same (shuffled) batches.

Two datasets: uniform short Q&A (made-up facts), and a mixed-length set like
SDG output (short answers plus answers grounded in longer passages).

    .venv/bin/python benchmarks/train_step.py [--steps 4] [--threads N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def mixed_dataset(folder: Path) -> Path:
    import json

    from tests.training.facts import FACTS, write_dataset

    write_dataset(folder, system="You are a helpful assistant.")
    rng = random.Random(0)
    with open(folder / "train_facts.jsonl", "a", encoding="utf-8") as fh:
        for key, questions, answer, _ in FACTS:
            passage = " ".join(f"{answer} Records from the archive mention it again in entry {rng.randint(1, 999)}."
                               for _ in range(rng.randint(2, 12)))
            messages = [{"role": "system", "content": "You are a helpful assistant."},
                        {"role": "user", "content": f"Read this and answer. {passage}\n\n{questions[0]}"},
                        {"role": "assistant", "content": f"{answer} {passage[: rng.randint(40, 400)]}"}]
            fh.write(json.dumps({"messages": messages}) + "\n")
    return folder


def plain_peft_steps(hf_dir: Path, batches, config, threads: int) -> list[float]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(str(hf_dir), dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=config.rank, lora_alpha=config.alpha, target_modules=config.target_modules))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    model.train()
    times = []
    for batch in batches:
        width = max(len(s.input_ids) for s in batch)
        ids = torch.full((len(batch), width), 2)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        labels = torch.full((len(batch), width), -100)
        for row, s in enumerate(batch):
            n = len(s.input_ids)
            ids[row, :n] = torch.tensor(s.input_ids)
            mask[row, :n] = 1
            # HF shifts labels itself: label[t] = token t where it is a target of position t-1
            labels[row, 1:n] = torch.tensor([t if t != -100 else -100 for t in s.targets[: n - 1]])
        started = time.perf_counter()
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        times.append(time.perf_counter() - started)
    return times


def ours_steps(hf_dir: Path, batches, config) -> list[float]:
    from ilabdesk.training.torch_backend import TorchTrainer

    trainer = TorchTrainer(hf_dir, config)
    times = []
    for i, batch in enumerate(batches):
        started = time.perf_counter()
        trainer.step(batch, config.learning_rate, i)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: what ilabdesk picks)")
    opts = parser.parse_args()

    from transformers import AutoTokenizer

    from ilabdesk.training.base import resolve_base
    from ilabdesk.training.config import TrainConfig
    from ilabdesk.training.data import load_dataset
    from ilabdesk.cpu import free_cores
    from tests.training.facts import write_dataset

    threads = opts.threads or free_cores()
    base = resolve_base(None)
    tokenizer = AutoTokenizer.from_pretrained(str(base.hf_dir))
    config = TrainConfig(batch_size=8, rank=16, alpha=32, threads=threads, epochs=1)
    print(f"threads {threads}, batch {config.batch_size}, rank {config.rank}, {opts.steps} timed steps (+1 warm-up)")
    print(f"{'dataset':<10} {'plain PEFT s/step':>18} {'ilabdesk s/step':>16} {'ratio':>7} {'tokens/step':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder in (("uniform", write_dataset(Path(tmp) / "u", system="You are a helpful assistant.")),
                             ("mixed", mixed_dataset(Path(tmp) / "m"))):
            dataset = load_dataset(folder, tokenizer, config)
            rng = random.Random(1)
            order = list(range(len(dataset.samples)))
            rng.shuffle(order)
            batches = [[dataset.samples[i] for i in order[j : j + 8]] for j in range(0, 8 * (opts.steps + 1), 8)]
            plain = plain_peft_steps(base.hf_dir, batches, config, threads)[1:]
            ours = ours_steps(base.hf_dir, batches, config)[1:]
            tokens = statistics.mean(sum(len(s.input_ids) for s in b) for b in batches[1:])
            p, o = statistics.median(plain), statistics.median(ours)
            print(f"{name:<10} {p:>18.2f} {o:>16.2f} {o / p:>6.2f}x {tokens:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
