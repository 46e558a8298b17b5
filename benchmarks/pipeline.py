"""Benchmark `ilabdesk run`: seconds per stage and held-out recall, base vs tuned, in one run.

    .venv/bin/python benchmarks/pipeline.py [--source DIR] [--output DIR] [--fresh]

SOURCE is a folder laid out like resources/sample (taxonomy/, documents/,
heldout.yaml); the default is the bundled sample, and tests/pipeline/data/tolvan
is a second made-up leaf to check nothing is tuned to the sample. The held-out
questions are paraphrases the pipeline never sees; an answer counts when it
contains the fact. Targets (issue 6): base <= 1/10, tuned (fused quantized
GGUF) >= 9/10, whole run <= 600 s on a 2-core laptop CPU.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ilabdesk.bundle import resource_path  # noqa: E402
from ilabdesk.jobs.console import ConsoleReporter  # noqa: E402
from ilabdesk.jobs.runner import JobSpec, run_events  # noqa: E402
from ilabdesk.pipeline.sample import install_sample  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=resource_path("sample"), help="folder like resources/sample")
    parser.add_argument("--output", type=Path, help="pipeline folder (default: a new temp folder)")
    parser.add_argument("--fresh", action="store_true", help="delete OUTPUT first instead of resuming")
    parser.add_argument("--leaf", action="append", help="only these leaves (default: every leaf of the source)")
    parser.add_argument("--base", help="base model (default: embedded)")
    parser.add_argument("--teacher", help="teacher (default: embedded)")
    parser.add_argument("--judge", default="none", help="evaluation judge (default none: recall is what is measured)")
    parser.add_argument("--json", action="store_true", help="print raw job events")
    args = parser.parse_args()

    output = (args.output or Path(tempfile.mkdtemp(prefix="ilabdesk-bench-"))).resolve()
    if args.fresh and output.exists():
        shutil.rmtree(output)
    taxonomy = install_sample(output / "sample", args.source)
    heldout = args.source / "heldout.yaml"
    job_args = {
        "taxonomy": str(taxonomy),
        "output": str(output / "run"),
        "leaves": args.leaf,
        "base": args.base,
        "teacher": args.teacher,
        "judge": args.judge,
        "questions": [str(heldout)] if heldout.exists() else [],
    }
    started = time.monotonic()
    ok, result = ConsoleReporter(json_lines=args.json).run(run_events(JobSpec("pipeline", job_args)))
    wall = time.monotonic() - started
    if not ok:
        print("the pipeline failed; see the error above", file=sys.stderr)
        return 1
    report = json.loads((output / "run" / "report.json").read_text(encoding="utf-8"))
    summary = report["evaluation"]["summary"]

    print(f"\n{args.source.name}: pipeline folder {output / 'run'}")
    print(f"{'stage':<12}{'seconds':>10}")
    for stage, seconds in report["stages"].items():
        print(f"{stage:<12}{seconds:>10.1f}")
    print(f"{'total':<12}{report['total_seconds']:>10.1f}   (this process: {wall:.1f} s; target <= 600 s)")
    print(f"\n{'metric':<28}{'base':>8}{'tuned':>8}")
    for key, label in (("heldout", "held-out recall"), ("test", "seed Q&A (taught)"), ("choice", "multiple choice"), ("general", "general questions")):
        base, tuned = summary["base"][key], summary["tuned"][key]
        if base["total"]:
            print(f"{label:<28}{base['correct']:>5}/{base['total']:<2}{tuned['correct']:>5}/{tuned['total']:<2}")
    held_b, held_t = summary["base"]["heldout"], summary["tuned"]["heldout"]
    if held_t["total"]:
        targets = held_b["correct"] * 10 <= held_t["total"] and held_t["correct"] * 10 >= 9 * held_t["total"]
        print(f"\nrecall target (base <= 1/10, tuned >= 9/10): {'met' if targets else 'NOT met'}; "
              f"time target: {'met' if report['total_seconds'] <= 600 else 'NOT met'}")
    print(f"report: {report['evaluation']['markdown']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
