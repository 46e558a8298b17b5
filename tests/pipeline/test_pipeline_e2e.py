"""`ilabdesk run` end to end with the real jobs and the embedded model, on tiny settings.

The sample's knowledge leaf, one synthetic question per seed and source, no
teacher judging, two training steps: the point is that every real stage hands the next what it needs (the
dataset, the run folder, the GGUF files), that report.json names them, and
that a second run skips every stage. The quality targets are measured by
benchmarks/pipeline.py, which takes minutes.
"""

import json
import time
from pathlib import Path

import pytest

from ilabdesk.pipeline.sample import SAMPLE_KNOWLEDGE_LEAF, install_sample

# Minutes even on an idle laptop (real SDG, training and conversion): excluded with -m "not slow".
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

TINY = {
    "generate": {"samples_per_seed": 1, "paraphrases": 0, "seed_paraphrases": 0, "replay": 2, "judge": False,
                 "questions_per_fact": 1, "retries": 0, "document_questions": 2, "skill_inputs": 2},
    "train": {"iters": 2, "batch_size": 2, "max_seq_len": 128, "checkpoint_every": 1},
    "evaluate": {"general": 1, "choice_limit": 1, "max_tokens": 16},
}


def test_run_all_stages_then_skip_them(tmp_path):
    from ilabdesk.jobs.events import Cancel
    from ilabdesk.pipeline import run

    taxonomy = install_sample(tmp_path / "sample")
    out = tmp_path / "out"
    args = {"taxonomy": str(taxonomy), "output": str(out), "leaves": [SAMPLE_KNOWLEDGE_LEAF], "judge": "none", **TINY}
    events = list(run(args, Cancel()))
    assert events[-1].type == "done", [e.message for e in events if e.type in ("error", "log")][-5:]
    report = json.loads((out / "report.json").read_text())
    for key in ("base_model", "tuned_model", "adapter", "dataset"):
        assert Path(report[key]).exists(), key
    assert report["tuned_model"].endswith("model-Q4_K_M.gguf") and report["adapter"].endswith("adapter.gguf")
    assert set(report["stages"]) == {"validate", "generate", "train", "export", "evaluate"}
    assert report["evaluation"]["summary"]["tuned"]["general"]["total"] == 1
    assert list(Path(report["dataset"]).glob("train_*.jsonl"))

    # Everything is done: a re-run only reads the markers.
    started = time.monotonic()
    again = list(run(args, Cancel()))
    assert [e.message for e in again if e.type == "stage"] == [
        f"stage {i}/5: {name} (already done, skipped)" for i, name in enumerate(report["stages"], 1)
    ]
    assert again[-1].type == "done" and time.monotonic() - started < 30
