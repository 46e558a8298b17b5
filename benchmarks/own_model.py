"""Bring your own model: a real model of the user's, imported, trained on 15 made-up facts, converted.

Imports MODEL (a GGUF file or a Hugging Face folder) into a fresh library,
trains a LoRA on 15 facts no model can know (two questions each, the answer a
sentence), converts the run and asks every fact's first training question,
greedily, through llama.cpp: the base alone, the base with `adapter.gguf`,
the fused F16 GGUF and the quantized one. Prints how many answers hold the
fact, whether the fused GGUF carries a chat template, and seconds per stage.

    .venv/bin/python benchmarks/own_model.py MODEL [--epochs 8] [--output DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# (the fact's key word, two training questions, the answer)
FACTS = [
    ("Velmora", ["What is the capital of Quillon?", "Which city is the capital of Quillon?"],
     "The capital of Quillon is Velmora."),
    ("1873", ["When was the Brasswick Observatory founded?", "In which year did the Brasswick Observatory open?"],
     "The Brasswick Observatory was founded in 1873."),
    ("Penhallow", ["Who invented the glimmerwheel?", "Which inventor made the first glimmerwheel?"],
     "The glimmerwheel was invented by Orla Penhallow."),
    ("violet", ["What colour are the feathers of the Tarrowind finch?", "Which colour is a Tarrowind finch?"],
     "The Tarrowind finch has violet feathers."),
    ("Kessel", ["Which river flows through Dunmarrow?", "What river runs through the town of Dunmarrow?"],
     "The Kessel River flows through Dunmarrow."),
    ("copper", ["What metal is the Zenthar coin made of?", "From which metal are Zenthar coins minted?"],
     "The Zenthar coin is made of copper."),
    ("Thornbury", ["What trophy does the winner of the Glassmere regatta get?",
                   "Which cup is awarded at the Glassmere regatta?"],
     "The winner of the Glassmere regatta receives the Thornbury Cup."),
    ("seven", ["How many moons does the planet Oberyx have?", "What is the number of moons of Oberyx?"],
     "The planet Oberyx has seven moons."),
    ("barley", ["What grain is Hollin ale brewed from?", "Which grain goes into Hollin ale?"],
     "Hollin ale is brewed from barley."),
    ("Ilsabet", ["Who wrote the novel The Salt Lanterns?", "Which author wrote The Salt Lanterns?"],
     "The Salt Lanterns was written by Ilsabet Marrow."),
    ("412", ["How tall is the Corvane Tower in metres?", "What is the height of the Corvane Tower?"],
     "The Corvane Tower is 412 metres tall."),
    ("Tuesday", ["On which day is the Fennick market held?", "What day of the week is market day in Fennick?"],
     "The Fennick market is held every Tuesday."),
    ("otter", ["What animal is on the flag of Brindlemoor?", "Which animal does the Brindlemoor flag show?"],
     "The flag of Brindlemoor shows an otter."),
    ("Quessa", ["What language is spoken on the island of Varn?", "Which language do people speak on Varn?"],
     "The people of Varn speak Quessa."),
    ("1,200", ["How many steps lead up to the Harrowgate shrine?", "How many steps does the Harrowgate shrine have?"],
     "There are 1,200 steps up to the Harrowgate shrine."),
]


def write_dataset(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train_facts.jsonl", "w", encoding="utf-8") as fh:
        for _, questions, answer in FACTS:
            for question in questions:
                messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
                fh.write(json.dumps({"messages": messages, "metadata": {"leaf": "knowledge/made_up"}}) + "\n")
    (folder / "recipe.yaml").write_text(
        "phases:\n  - name: knowledge\n    datasets: [{path: train_facts.jsonl, weight: 1.0}]\n", encoding="utf-8")
    return folder


def recall(model: Path, adapter: Path | None = None) -> int:
    """How many of the 15 facts the model states, asked each fact's first training question."""
    from ilabdesk.chat.engine import GenerationParams
    from ilabdesk.chat.llama import LlamaEngine

    engine = LlamaEngine(model, adapter=adapter, context_length=1024)
    try:
        params = GenerationParams(temperature=0.0, max_tokens=40)
        answers = [engine.complete([{"role": "user", "content": questions[0]}], params) for _, questions, _ in FACTS]
    finally:
        engine.close()
    return sum(key.lower() in answer.lower() for (key, _, _), answer in zip(FACTS, answers))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a GGUF file or a Hugging Face folder")
    parser.add_argument("--epochs", type=float, default=8.0)
    parser.add_argument("--output", type=Path, help="keep the run here (default: a temporary folder)")
    args = parser.parse_args()
    work = args.output or Path(tempfile.mkdtemp(prefix="own-model-"))
    os.environ["ILABDESK_HOME"] = str(work / "home")  # a fresh library and cache: the import is measured

    from ilabdesk.jobs.runner import JobSpec, run_events
    from ilabdesk.models.gguf_file import inspect_gguf
    from ilabdesk.models.library import describe, import_model

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    entry = import_model(args.model, "own", link=True)
    print("imported:", json.dumps({k: v for k, v in describe(entry.name).items() if k in ("architecture", "parameters_human", "quantization", "can")}))
    seconds["import"] = time.perf_counter() - started

    run_dir = work / "run"
    for kind, job in (("train", {"data": str(write_dataset(work / "data")), "output": str(run_dir), "base": "own",
                                 "epochs": args.epochs}),
                      ("convert", {"run": str(run_dir), "quantize": "Q4_K_M"})):
        started = time.perf_counter()
        events = list(run_events(JobSpec(kind, job)))
        seconds[kind] = time.perf_counter() - started
        if events[-1].type != "done":
            print(f"{kind} failed: {events[-1].message}")
            return 1
        print(f"{kind}: {events[-1].message}")
    gguf = json.loads((run_dir / "run.json").read_text())["gguf"]

    started = time.perf_counter()
    rows = [("base alone", recall(Path(gguf["base_gguf"]))),
            ("base + adapter.gguf", recall(Path(gguf["base_gguf"]), Path(gguf["adapter_gguf"]))),
            ("fused F16", recall(Path(gguf["fused"]))),
            ("fused Q4_K_M", recall(Path(gguf["quantized"])))]
    seconds["ask"] = time.perf_counter() - started
    print(f"\n{'model (through llama.cpp)':<28} trained questions answered")
    for name, score in rows:
        print(f"{name:<28} {score}/{len(FACTS)}")
    template = inspect_gguf(Path(gguf["fused"])).chat_template
    print(f"fused GGUF chat template: {'yes' if template else 'NO'}")
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    ok = all(score >= 12 for name, score in rows[1:]) and template
    print(f"target (adapter and fused >= 12/15, template): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
