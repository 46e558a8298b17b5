"""The pipeline's stage machinery: order, markers, resume after a crash, invalidation, validation stop.

SDG, training and export take minutes with real models, so this module runs
the orchestration with quick stand-in job functions that write the same files
the real jobs write; the real jobs are run end to end by
test_pipeline_e2e.py and benchmarks/pipeline.py.
"""

import json
from pathlib import Path

import pytest

from ilabdesk.errors import UserError
from ilabdesk.jobs.events import Cancel, Event
from ilabdesk.pipeline import install_sample
from ilabdesk.pipeline import run as run_pipeline
from ilabdesk.pipeline.sample import SAMPLE_KNOWLEDGE_LEAF


class StandIns:
    def __init__(self):
        self.calls: dict[str, int] = {}
        self.args: dict[str, dict] = {}
        self.crash_in: str | None = None

    def resolve(self, kind):
        def job(args, cancel):
            self.calls[kind] = self.calls.get(kind, 0) + 1
            self.args[kind] = args
            yield Event("progress", "working", stage=kind, done=1, total=2)
            if self.crash_in == kind:
                self.crash_in = None
                raise RuntimeError(f"{kind} crashed")
            yield from getattr(self, kind)(args)

        return job

    def generate(self, args):
        out = Path(args["output"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "train_x.jsonl").write_text("{}\n")
        yield Event.finished("generated", kept=1)

    def train(self, args):
        out = Path(args["output"])
        out.mkdir(parents=True, exist_ok=True)
        yield Event.finished("trained", base_gguf="/models/base.gguf", run=str(out))

    def convert(self, args):
        run = Path(args["run"])
        (run / "adapter.gguf").write_bytes(b"GGUF")
        (run / f"model-{args['quantize']}.gguf").write_bytes(b"GGUF")
        yield Event.finished("converted")

    def evaluate(self, args):
        yield Event.finished("evaluated", summary={"tuned": {"heldout": {"correct": 9, "total": 10}}}, report="r.json")


@pytest.fixture
def stand_ins(monkeypatch):
    fakes = StandIns()
    monkeypatch.setattr("ilabdesk.jobs.registry.resolve", fakes.resolve)
    return fakes


def _run(args):
    return list(run_pipeline(args, Cancel()))


def test_full_run_writes_report_and_forwards_events(tmp_path, stand_ins):
    taxonomy = install_sample(tmp_path / "sample")
    out = tmp_path / "out"
    events = _run({"taxonomy": str(taxonomy), "output": str(out)})
    assert stand_ins.calls == {"generate": 1, "train": 1, "convert": 1, "evaluate": 1}
    report = json.loads((out / "report.json").read_text())
    assert report["base_model"] == "/models/base.gguf"
    assert report["tuned_model"] == str(out / "train" / "model-Q4_K_M.gguf")
    assert report["adapter"] == str(out / "train" / "adapter.gguf")
    assert report["dataset"] == str(out / "dataset")
    assert list(report["stages"]) == ["validate", "generate", "train", "export", "evaluate"]
    assert report["evaluation"]["summary"]["tuned"]["heldout"]["correct"] == 9
    # sub-job progress comes through under the pipeline's stage names
    progress = [e.stage for e in events if e.type == "progress"]
    assert progress == ["generate", "train", "export", "evaluate"]
    assert events[-1].type == "done"
    # the evaluation gets the base GGUF, the fused quantized GGUF and the dataset (its document questions)
    eval_args = stand_ins.args["evaluate"]
    assert eval_args["tuned"] == report["tuned_model"] and eval_args["base"] == "/models/base.gguf"
    assert eval_args["data"] == str(out / "dataset") and "documents" not in eval_args
    assert eval_args["judge"] == "default"  # the teacher, which is the embedded model by default


def test_rerun_after_a_crash_continues_at_the_failed_stage(tmp_path, stand_ins):
    taxonomy = install_sample(tmp_path / "sample")
    args = {"taxonomy": str(taxonomy), "output": str(tmp_path / "out")}
    stand_ins.crash_in = "train"
    with pytest.raises(RuntimeError):
        _run(args)
    assert not (tmp_path / "out" / "report.json").exists()
    events = _run(args)
    assert stand_ins.calls == {"generate": 1, "train": 2, "convert": 1, "evaluate": 1}
    skipped = [e.message for e in events if e.type == "stage" and "skipped" in e.message]
    assert skipped == ["stage 1/5: validate (already done, skipped)", "stage 2/5: generate (already done, skipped)"]
    # a third run has nothing left to do
    _run(args)
    assert stand_ins.calls == {"generate": 1, "train": 2, "convert": 1, "evaluate": 1}


def test_a_deleted_stage_output_reruns_that_stage_and_the_later_ones(tmp_path, stand_ins):
    import shutil

    taxonomy = install_sample(tmp_path / "sample")
    args = {"taxonomy": str(taxonomy), "output": str(tmp_path / "out")}
    _run(args)
    shutil.rmtree(tmp_path / "out" / "train")
    _run(args)
    assert stand_ins.calls == {"generate": 1, "train": 2, "convert": 2, "evaluate": 2}


def test_editing_a_leaf_reruns_everything_after_validate(tmp_path, stand_ins):
    taxonomy = install_sample(tmp_path / "sample")
    args = {"taxonomy": str(taxonomy), "output": str(tmp_path / "out")}
    _run(args)
    qna = taxonomy / SAMPLE_KNOWLEDGE_LEAF / "qna.yaml"
    qna.write_text(qna.read_text().replace("domain: geography", "domain: islands"))
    _run(args)
    assert stand_ins.calls == {"generate": 2, "train": 2, "convert": 2, "evaluate": 2}


def test_settings_change_reruns_from_that_stage(tmp_path, stand_ins):
    taxonomy = install_sample(tmp_path / "sample")
    args = {"taxonomy": str(taxonomy), "output": str(tmp_path / "out")}
    _run(args)
    _run({**args, "quantize": "Q8_0"})
    assert stand_ins.calls == {"generate": 1, "train": 1, "convert": 2, "evaluate": 2}
    assert json.loads((tmp_path / "out" / "report.json").read_text())["tuned_model"].endswith("model-Q8_0.gguf")


def test_invalid_leaf_stops_before_generating(tmp_path, stand_ins):
    taxonomy = install_sample(tmp_path / "sample")
    qna = taxonomy / SAMPLE_KNOWLEDGE_LEAF / "qna.yaml"
    qna.write_text(qna.read_text().replace("created_by: ilabdesk-sample\n", ""))
    with pytest.raises(UserError) as caught:
        _run({"taxonomy": str(taxonomy), "output": str(tmp_path / "out"), "leaves": [SAMPLE_KNOWLEDGE_LEAF]})
    assert "qna.yaml:1:1" in str(caught.value) and "created_by" in str(caught.value)
    assert stand_ins.calls == {}


def test_sub_job_error_event_stops_the_pipeline(tmp_path, stand_ins, monkeypatch):
    taxonomy = install_sample(tmp_path / "sample")

    def failing_generate(args):
        yield Event("error", "the teacher produced nothing usable")

    monkeypatch.setattr(stand_ins, "generate", failing_generate)
    with pytest.raises(UserError, match="the generate stage failed: the teacher produced nothing usable"):
        _run({"taxonomy": str(taxonomy), "output": str(tmp_path / "out")})
    assert "train" not in stand_ins.calls
