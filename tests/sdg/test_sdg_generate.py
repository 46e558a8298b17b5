"""SDG end to end with the real embedded GGUF teacher: dataset contract, resume after SIGKILL, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import yaml

from ilabdesk.errors import UserError
from ilabdesk.jobs.events import Event
from ilabdesk.settings import DEFAULTS
from ilabdesk.sdg.text import answer_candidates
from sdghelpers import DOC, SEEDS, make_leaf, read_jsonl, run_generate


@pytest.fixture(scope="module")
def engine():
    from ilabdesk.chat.factory import open_engine
    from ilabdesk.cpu import free_cores

    with open_engine(None, threads=free_cores()) as teacher:
        yield teacher


def test_dataset_contract(tmp_path, engine):
    leaf = make_leaf(tmp_path)
    out = tmp_path / "data"
    events = run_generate(leaf, out, engine, paraphrases=1, replay=3)
    assert events[-1].type == "done", events[-1]
    progress = [e for e in events if e.type == "progress"]
    # 1 chunk x 2 seeds + 2 seed contexts + the document questions + the replay
    assert progress[-1].done == progress[-1].total == 6
    assert {"kept", "dropped"} <= set(progress[-1].data)

    plain = read_jsonl(out / "train_knowledge_maritime_orlin.jsonl")
    context = read_jsonl(out / "train_knowledge_maritime_orlin_context.jsonl")
    train = plain + context
    assert any(s["metadata"]["origin"] != "seed" for s in train), "the embedded teacher kept nothing"
    assert len({json.dumps(s, sort_keys=True) for s in train}) == len(train)
    seed_answers = {qa["answer"] for s in SEEDS for qa in s["questions_and_answers"]}
    source = " ".join((DOC + " ".join(s["context"] for s in SEEDS)).split())
    # a sentence that opens with "It" is taught with what it stands for ("The Orlin lighthouse was built ...")
    sentences = set(answer_candidates(DOC))
    assert "The Orlin lighthouse was built in 1871 by the harbor guild of Semmet." in sentences
    for sample in train:
        meta = sample["metadata"]
        assert meta["leaf"] == "knowledge_maritime_orlin" and meta["kind"] == "knowledge"
        assert {"chunk", "seed", "unit", "with_context", "question", "origin"} <= set(meta)
        system, user, answer = (m["content"] for m in sample["messages"])
        assert system == DEFAULTS["chat"]["system_prompt"]  # the prompt the tuned model is chatted with
        assert answer in source or answer in sentences or answer in seed_answers  # extractive: the document's, or the seed's
        assert user.endswith(meta["question"]) and meta["question"].endswith("?")
        assert meta["with_context"] == (sample in context) == (user != meta["question"])
    # the user's own Q&A are taught as written
    taught = {(s["metadata"]["question"], s["messages"][-1]["content"]) for s in plain if s["metadata"]["origin"] == "seed"}
    assert taught == {(qa["question"], qa["answer"]) for s in SEEDS for qa in s["questions_and_answers"]}

    replay = read_jsonl(out / "train_replay.jsonl")
    assert 1 <= len(replay) <= 3
    assert all(r["messages"][0]["content"] == DEFAULTS["chat"]["system_prompt"] and r["messages"][-1]["content"]
               for r in replay)

    test = read_jsonl(out / "test_knowledge_maritime_orlin.jsonl")
    assert [t["messages"][-2]["content"] for t in test] == ["Who built the Orlin lighthouse?", "Who kept the Orlin lighthouse?"]
    assert test[1]["metadata"]["facts"] == ["Ada Voss", "40"]
    assert test[1]["metadata"]["leaf"] == "knowledge_maritime_orlin"
    assert test[1]["metadata"]["leaf_path"] == "knowledge/maritime/orlin"

    summary = json.loads((out / "summary.json").read_text())
    assert summary["samples"] == len(train) + len(replay) and summary["units"] == 5
    assert summary["generated"] == summary["kept"] + sum(summary["dropped"].values())
    leaf_summary = summary["leaves"]["knowledge_maritime_orlin"]
    assert leaf_summary["samples"] == len(train)
    # coverage: every fact-bearing sentence of the document, taught by enough questions or listed with why
    from ilabdesk.sdg.text import similarity

    coverage = leaf_summary["coverage"]
    assert coverage["facts_found"] == len(answer_candidates(DOC)) == 4
    assert coverage["facts_taught"] + len(coverage["untaught"]) == coverage["facts_found"]
    asked = {}
    for sample in plain:
        asked.setdefault(sample["metadata"]["fact"], set()).add(sample["metadata"]["question"])
    for fact in answer_candidates(DOC):
        untaught = [u for u in coverage["untaught"] if u["fact"] == fact]
        assert len(asked.get(fact, ())) >= 2 or (untaught and untaught[0]["why"])
    # document questions for the evaluation: about a fact of the document, never trained on, worded apart
    held = read_jsonl(out / "eval_knowledge_maritime_orlin.jsonl")
    assert held and leaf_summary["document_questions"] == len(held) <= 3
    questions = {s["metadata"]["question"] for s in train}
    for row in held:
        question, meta = row["messages"][-2]["content"], row["metadata"]
        assert question not in questions and max(similarity(question, q) for q in questions) < 0.6
        assert meta["kind"] == "document" and meta["facts"][0] in meta["sentence"] and meta["facts"][0] not in question
    recipe = yaml.safe_load((out / "recipe.yaml").read_text())
    datasets = recipe["phases"][0]["datasets"]
    assert datasets[:2] == [{"path": "train_knowledge_maritime_orlin.jsonl", "weight": 1.0, "min_per_answer": 3,
                             "max_per_answer": 12},
                            {"path": "train_knowledge_maritime_orlin_context.jsonl", "weight": 0.1}]
    # the student's replay answers make about a quarter of the phase, however large the leaf
    assert datasets[2]["path"] == "train_replay.jsonl"
    share = len(replay) * datasets[2]["weight"] / (len(plain) + 0.1 * len(context) + len(replay) * datasets[2]["weight"])
    assert datasets[2]["weight"] == 1.0 or 0.2 <= share <= 0.3

    # a finished run re-run does nothing and changes nothing
    before = (out / "train_knowledge_maritime_orlin.jsonl").read_bytes()
    again = run_generate(leaf, out, engine, paraphrases=1, replay=3)
    assert any(e.type == "log" and "6 of 6 units were already done" in e.message for e in again)
    assert not [e for e in again if e.type == "progress"]
    assert (out / "train_knowledge_maritime_orlin.jsonl").read_bytes() == before


def test_resume_after_sigkill(tmp_path, engine):
    leaf = make_leaf(tmp_path)
    out = tmp_path / "data"
    command = [sys.executable, "-m", "ilabdesk", "generate", "--leaf", str(leaf), "--output", str(out),
               "--samples-per-seed", "1", "--paraphrases", "0", "--seed-paraphrases", "1",
               "--questions-per-answer", "1", "--questions-per-fact", "2", "--retries", "1",
               "--document-questions", "3", "--replay", "0", "--json"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))
    try:
        for line in child.stdout:
            event = Event.from_json(line)
            assert event.type != "error", event.message
            if event.type == "progress" and event.done >= 2:  # the document questions, then a unit
                break
        child.send_signal(signal.SIGKILL)  # somewhere in the second unit
    finally:
        child.kill()
        child.wait()
    paths = [out / "train_knowledge_maritime_orlin.jsonl", out / "train_knowledge_maritime_orlin_context.jsonl"]
    journal = read_jsonl(out / ".sdg" / "journal.jsonl")
    finished_before = {r["unit"] for r in journal}
    assert 1 <= len(finished_before) < 4
    kept_before = [line for path in paths if path.exists() for line in path.read_text().splitlines()
                   if line.strip() and json.loads(line)["metadata"]["unit"] in finished_before]

    events = run_generate(leaf, out, engine)  # the same settings as the command line above
    assert events[-1].type == "done", events[-1]
    assert any(e.type == "log" and "resuming" in e.message for e in events)
    journal = read_jsonl(out / ".sdg" / "journal.jsonl")
    units = [r["unit"] for r in journal]
    assert sorted(units) == sorted(set(units)) and len(units) == 4  # every unit once
    lines = [line for path in paths for line in path.read_text().splitlines()]
    assert len(lines) == len(set(lines)) == sum(r["samples"] for r in journal)  # no duplicate
    assert all(line in lines for line in kept_before)  # nothing lost


def test_teacher_output_that_does_not_parse_is_counted(engine):
    from ilabdesk.sdg.knowledge import QUESTION
    from ilabdesk.sdg.teacher import Teacher

    teacher = Teacher(engine)
    messages = [{"role": "user", "content": "Write a question about lighthouses."}]
    assert teacher.json([messages, messages], QUESTION, seed=3, max_tokens=3) == [None, None]  # cut-off JSON
    assert teacher.calls == 2


def test_no_usable_facts_is_an_error_not_an_empty_dataset(tmp_path, engine):
    leaf = make_leaf(tmp_path, doc="# Orlin\n\n## Notes\n\nShort.\n", seeds=[
        {"context": "Tiny.", "questions_and_answers": [{"question": "What?", "answer": "Tiny."}]}])
    with pytest.raises(UserError, match="the teacher's samples were all dropped"):
        run_generate(leaf, tmp_path / "data", engine)
    summary = json.loads((tmp_path / "data" / "summary.json").read_text())
    assert summary["kept"] == 0 and summary["samples"] == 2  # only the seed itself, with and without its context


def test_a_seed_context_found_in_a_chunk_is_shown_as_that_chunk_right_after_it(tmp_path, engine):
    """Its unit then shares the chunk units' prompts (passage and seed shots) in llama.cpp's cache."""
    from ilabdesk.sdg.plan import plan_leaf
    from ilabdesk.sdg.knowledge import KnowledgeGenerator
    from ilabdesk.sdg.prompts import load_prompts

    plan = plan_leaf(make_leaf(tmp_path), engine, chunk_tokens=500)
    # the second seed's context is a sentence of the document, the first one's is reworded
    assert [unit_id for unit_id, _ in plan.units] == ["d0c0/s0", "d0c0/s1", "ctx1/s1", "ctx0/s0"]
    units = dict(plan.units)
    assert units["ctx1/s1"].source.shown == units["d0c0/s1"].source.text
    assert units["ctx0/s0"].source.shown is None
    generator = KnowledgeGenerator(load_prompts("smollm"), plan.name)
    asks = {unit_id: next(generator.steps(units[unit_id], 1)) for unit_id in ("d0c0/s1", "ctx1/s1")}
    chunk_prompt, context_prompt = (asks[u].conversations[0] for u in ("d0c0/s1", "ctx1/s1"))
    assert context_prompt[:-1] == chunk_prompt[:-1]  # the same system message and shots
    assert "Ada Voss" in context_prompt[-1]["content"]  # asked about its own sentences
