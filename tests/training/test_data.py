"""Dataset reading, recipe weights, assistant-only targets, packing and the step plan."""

from __future__ import annotations

import json

import pytest

from ilabdesk.errors import UserError
from ilabdesk.training.config import TrainConfig
from ilabdesk.training.data import IGNORE, load_dataset, make_plan, read_recipe, tokenize_conversation


@pytest.fixture(scope="module")
def tokenizer(tiny):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny["hf"]))


def test_only_assistant_tokens_are_learned(tokenizer):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of Quillon?"},
        {"role": "assistant", "content": "Velmora."},
        {"role": "user", "content": "And its river?"},
        {"role": "assistant", "content": "The Kessel."},
    ]
    sample = tokenize_conversation(tokenizer, messages, 512)
    learned = [t for t in sample.targets if t != IGNORE]
    text = tokenizer.decode(learned)
    assert "Velmora.<|im_end|>" in text and "The Kessel.<|im_end|>" in text
    assert "Quillon" not in text and "Be brief" not in text and "river" not in text
    # targets are the next tokens: shifted by one against input_ids
    for t, target in enumerate(sample.targets[:-1]):
        if target != IGNORE:
            assert target == sample.input_ids[t + 1]


def test_too_long_conversations_are_cut_and_empty_ones_dropped(tokenizer):
    messages = [{"role": "user", "content": "word " * 200}, {"role": "assistant", "content": "ok"}]
    assert tokenize_conversation(tokenizer, messages, 64) is None  # the answer falls beyond the cut
    short = tokenize_conversation(tokenizer, messages, 1024)
    assert short is not None and len(short.input_ids) < 1024


def test_recipe_weights_and_phases(tmp_path, tokenizer):
    rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]} for i in range(10)]
    for name in ("train_k.jsonl", "train_s.jsonl"):
        (tmp_path / name).write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "recipe.yaml").write_text(
        "phases:\n"
        "  - name: knowledge\n    datasets: [{path: train_k.jsonl, weight: 2.0}]\n"
        "  - name: empty\n    datasets: []\n"
        "  - name: skills\n    datasets: [{path: train_s.jsonl, weight: 1.0}, {path: train_k.jsonl, weight: 0.5}]\n"
    )
    phases = read_recipe(tmp_path)
    assert [p.name for p in phases] == ["knowledge", "skills"]
    ds = load_dataset(tmp_path, tokenizer, TrainConfig(batch_size=5, epochs=1))
    per_phase = {0: 0, 1: 0}
    for phase, batch in ds.plan.steps:
        per_phase[phase] += len(batch)
    assert per_phase == {0: 20, 1: 15}  # 2.0 x 10, then 1.0 x 10 + 0.5 x 10
    assert [p for p, _ in ds.plan.steps] == sorted(p for p, _ in ds.plan.steps)  # knowledge first
    again = load_dataset(tmp_path, tokenizer, TrainConfig(batch_size=5, epochs=1))
    assert again.plan.steps == ds.plan.steps  # same seed, same plan: resume relies on it


def test_a_phase_may_use_only_the_first_samples_of_a_file(tmp_path, tokenizer):
    # replay answers: a knowledge phase draws on all ten, a skill phase on the first four only
    rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]} for i in range(10)]
    (tmp_path / "train_replay.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "recipe.yaml").write_text(
        "phases:\n"
        "  - name: knowledge\n    datasets: [{path: train_replay.jsonl}]\n"
        "  - name: skills\n    datasets: [{path: train_replay.jsonl, weight: 2.0, first: 4}]\n")
    ds = load_dataset(tmp_path, tokenizer, TrainConfig(batch_size=1, epochs=1))
    seen = {0: [], 1: []}
    for phase, batch in ds.plan.steps:
        seen[phase].extend(ds.samples[i].answer for i in batch)
    assert sorted(seen[0]) == sorted(f"a{i}" for i in range(10))
    assert sorted(seen[1]) == sorted(2 * [f"a{i}" for i in range(4)])
    (tmp_path / "recipe.yaml").write_text("phases:\n  - name: skills\n    datasets: [{path: train_replay.jsonl, first: 0}]\n")
    with pytest.raises(UserError, match="first 0"):
        read_recipe(tmp_path)


def test_iters_are_shared_among_phases():
    from pathlib import Path

    from ilabdesk.training.data import Phase

    pools = [{Path("a"): list(range(30))}, {Path("b"): list(range(30, 40))}]
    phases = [Phase("k", [(Path("a"), 1.0)]), Phase("s", [(Path("b"), 1.0)])]
    plan = make_plan(phases, pools, [5] * 40, 5, 0, 1.0, iters=16)
    assert len(plan.steps) == 16
    assert sum(1 for p, _ in plan.steps if p == 0) == 12


def test_bad_lines_name_file_and_line(tmp_path, tokenizer):
    (tmp_path / "train_x.jsonl").write_text('{"messages": [{"role": "user", "content": "q"}]}\n{oops\n')
    with pytest.raises(UserError, match=r"train_x.jsonl:1: .*no assistant"):
        load_dataset(tmp_path, tokenizer, TrainConfig())
    (tmp_path / "train_x.jsonl").write_text('{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n{oops\n')
    with pytest.raises(UserError, match=r"train_x.jsonl:2: not valid JSON"):
        load_dataset(tmp_path, tokenizer, TrainConfig())
    (tmp_path / "recipe.yaml").write_text("phases: [\n")
    with pytest.raises(UserError, match=r"recipe.yaml:\d+: not valid YAML"):
        read_recipe(tmp_path)


def test_every_answer_is_seen_at_least_min_per_answer_times(tmp_path, tokenizer):
    # the fact "Velmora" was asked about four ways, "Kessel" once
    asked = [("Capital of Quillon?", "Velmora."), ("Quillon's capital?", "Velmora."), ("Seat of Quillon?", "Velmora."),
             ("Main city of Quillon?", "Velmora."), ("River of Quillon?", "The Kessel.")]
    rows = [{"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]} for q, a in asked]
    (tmp_path / "train_k.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "recipe.yaml").write_text(
        "phases:\n  - name: knowledge\n    datasets: [{path: train_k.jsonl, weight: 1.0, min_per_answer: 3}]\n")
    ds = load_dataset(tmp_path, tokenizer, TrainConfig(batch_size=1, epochs=1))
    seen = [ds.samples[i].answer for _, batch in ds.plan.steps for i in batch]
    assert sorted(seen) == ["The Kessel."] * 3 + ["Velmora."] * 4  # the rare fact is cycled, the frequent one kept
    # with a ceiling the frequent fact is seen no more often than that, from questions spread over its own
    (tmp_path / "recipe.yaml").write_text("phases:\n  - name: knowledge\n    datasets: "
                                          "[{path: train_k.jsonl, weight: 1.0, min_per_answer: 3, max_per_answer: 3}]\n")
    ds = load_dataset(tmp_path, tokenizer, TrainConfig(batch_size=1, epochs=1))
    seen = [ds.samples[i].answer for _, batch in ds.plan.steps for i in batch]
    assert sorted(seen) == ["The Kessel."] * 3 + ["Velmora."] * 3
    (tmp_path / "recipe.yaml").write_text(
        "phases:\n  - name: knowledge\n    datasets: [{path: train_k.jsonl, min_per_answer: 0}]\n")
    with pytest.raises(UserError, match="min_per_answer"):
        read_recipe(tmp_path)
    (tmp_path / "recipe.yaml").write_text(
        "phases:\n  - name: knowledge\n    datasets: [{path: train_k.jsonl, min_per_answer: 3, max_per_answer: 2}]\n")
    with pytest.raises(UserError, match="max_per_answer"):
        read_recipe(tmp_path)
