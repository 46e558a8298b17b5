"""A whole run's stages folded from its events: each with its own progress, in order."""

from __future__ import annotations

from ilabdesk.jobs.events import Event
from ilabdesk.jobs.stages import StagePlan

STAGES = ["validate", "generate", "train", "export", "evaluate"]


def stage(name: str, skipped: bool = False) -> Event:
    return Event("stage", f"stage: {name}", stage=name, data={"stages": STAGES, **({"skipped": True} if skipped else {})})


def test_each_stage_keeps_its_own_progress():
    first = stage("validate", skipped=True)
    plan = StagePlan.of(first)
    assert StagePlan.of(Event.begin("train", "phase skills")) is None  # a stage inside a stage: not a plan
    for event in (first, stage("generate"), Event("progress", done=93, total=100, eta_s=4.0),
                  stage("train"), Event.begin("train", "phase skills"), Event("progress", done=23, total=150, eta_s=60.0)):
        plan.apply(event)
    states = {s.name: s.state for s in plan.stages}
    assert states == {"validate": "skipped", "generate": "done", "train": "running", "export": "next", "evaluate": "next"}
    generate, train = plan.stages[1], plan.stages[2]
    assert (generate.done, generate.total, generate.eta_s) == (93, 100, None) and generate.seconds is not None
    assert (train.done, train.total) == (23, 150)  # not generate's 93%
    assert plan.position() == "3/5 train"
    assert plan.overall_eta() == (60.0, ["export", "evaluate"])
    plan.apply(Event("error", "cancelled", data={"cancelled": True}))
    assert plan.stages[2].state == "stopped" and plan.current is None and plan.position() == ""
