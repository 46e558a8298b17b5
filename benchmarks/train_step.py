"""Training step time: ilabdesk's torch trainer vs an ordinary PEFT loop, same data, same settings.

Data: benchmarks/data/quellmoor, a real SDG dataset as the product trains on
(104 samples of the sample knowledge leaf, all with the chat system prompt;
half are short questions without context, ~40-60 tokens, half carry the
source passage as context, ~110-200 tokens).

Settings: TrainConfig's defaults (batch 4, LoRA rank 16 / alpha 32 on all
linear layers, AdamW lr 1e-3, gradient clipping at 1.0) for both.

The ordinary loop is the way a PEFT fine-tuning script is usually written:
batches drawn at random (a shuffling DataLoader), padded to the longest sample
of the batch with an attention mask, labels -100 outside the assistant turns,
`model(input_ids, attention_mask, labels=labels).loss` (full logits over the
49k vocabulary at every position, HF's own shifted loss). ilabdesk runs its own
plan (batches of similar length), packs rows at the cheapest width and runs the
LM head only where there is a target.

Two comparisons, each interleaved step by step (ordinary, then ilabdesk) so
load from other programs hits both alike:
- `same batches`: both get ilabdesk's planned batches: the compute per step;
- `own batching`: each batches the data its own way: what a user waits for.
  Steps hold different samples here, so the ratio is of time per real token.
Times are CPU seconds of this process (see `timed`).

The ordinary loop computes in float32, as such scripts do unless told
otherwise; ilabdesk uses its configured precision (auto: bf16 where the
processor multiplies it natively). `--precision fp32` shows what the rest of
its work is worth on its own.

    .venv/bin/python benchmarks/train_step.py [--steps 6] [--threads N] [--precision auto|fp32|bf16] [--data DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path(__file__).resolve().parent / "data" / "quellmoor"


class OrdinaryLoop:
    """The plain PEFT training loop, on the same tokens and targets as ilabdesk's samples."""

    def __init__(self, hf_dir: Path, config, pad_id: int) -> None:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM

        self.torch = torch
        self.pad_id = pad_id
        torch.manual_seed(config.seed)
        model = AutoModelForCausalLM.from_pretrained(str(hf_dir), dtype=torch.float32)
        lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                          target_modules=list(config.target_modules), task_type="CAUSAL_LM")
        self.model = get_peft_model(model, lora)
        self.model.train()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=config.learning_rate, weight_decay=config.weight_decay)

    def step(self, batch) -> float:
        torch = self.torch
        width = max(len(s.input_ids) for s in batch)
        ids = torch.full((len(batch), width), self.pad_id)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        labels = torch.full((len(batch), width), -100)
        for row, s in enumerate(batch):
            n = len(s.input_ids)
            ids[row, :n] = torch.tensor(s.input_ids)
            mask[row, :n] = 1
            labels[row, 1:n] = torch.tensor(s.targets[: n - 1])  # HF shifts: label[t] is predicted at t-1
        loss = self.model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimizer.step()
        self.optimizer.zero_grad()
        return float(loss.detach())


def timed(fn, *args) -> float:
    """CPU seconds the step used: on a busy laptop wall time mostly measures the other programs.

    With one thread this is the step's own work; with more, threads waiting at
    a barrier spin and count too, so compare at --threads 1 when the machine is loaded.
    """
    started = time.process_time()
    fn(*args)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6, help="timed steps per comparison (+1 warm-up)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: what ilabdesk picks)")
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"), help="ilabdesk's precision")
    parser.add_argument("--data", type=Path, default=DATA, help="an SDG dataset folder")
    opts = parser.parse_args()

    import torch
    from transformers import AutoTokenizer

    from ilabdesk.cpu import free_cores
    from ilabdesk.training.base import resolve_base
    from ilabdesk.training.config import TrainConfig
    from ilabdesk.training.data import load_dataset
    from ilabdesk.training.torch_backend import TorchTrainer

    base = resolve_base(None)
    config = TrainConfig(threads=opts.threads or free_cores(), precision=opts.precision)
    tokenizer = AutoTokenizer.from_pretrained(str(base.hf_dir))
    dataset = load_dataset(opts.data, tokenizer, config)
    samples = dataset.samples
    ours = TorchTrainer(base.hf_dir, config)
    torch.set_num_threads(config.threads)
    plain = OrdinaryLoop(base.hf_dir, config, ours.pad_id)
    lengths = sorted(len(s.input_ids) for s in samples)
    print(f"{opts.data.name}: {len(samples)} samples, {lengths[0]}-{lengths[-1]} tokens (median {lengths[len(lengths) // 2]}); "
          f"threads {config.threads}, batch {config.batch_size}, rank {config.rank}, ilabdesk in {ours.precision} "
          f"(ordinary loop in fp32), {opts.steps} timed steps (+1 warm-up)", flush=True)

    planned = [dataset.batch(i) for i in range(opts.steps + 1)]
    shuffled = list(range(len(samples)))
    random.Random(config.seed).shuffle(shuffled)
    b = config.batch_size
    drawn = [[samples[i] for i in shuffled[j : j + b]] for j in range(0, b * (opts.steps + 1), b)]

    def tokens(batches) -> int:
        return sum(len(s.input_ids) for batch in batches for s in batch)

    print(f"{'comparison':<14} {'ordinary cpu-s/step':>20} {'ilabdesk cpu-s/step':>20} {'ordinary ms/ktok':>17} "
          f"{'ilabdesk ms/ktok':>17} {'ratio':>7}")
    for name, theirs in (("same batches", planned), ("own batching", drawn)):
        times_plain, times_ours = [], []
        for i, (p_batch, o_batch) in enumerate(zip(theirs, planned)):
            times_plain.append(timed(plain.step, p_batch))
            times_ours.append(timed(ours.step, o_batch, config.learning_rate, i))
        p_rate = 1000 * sum(times_plain[1:]) / (tokens(theirs[1:]) / 1000)
        o_rate = 1000 * sum(times_ours[1:]) / (tokens(planned[1:]) / 1000)
        print(f"{name:<14} {statistics.median(times_plain[1:]):>20.2f} {statistics.median(times_ours[1:]):>20.2f} "
              f"{p_rate:>17.0f} {o_rate:>17.0f} {o_rate / p_rate:>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
