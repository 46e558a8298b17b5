"""Loading test samples, user questions and the sample's held-out file."""

import json

import pytest

from ilabdesk.bundle import resource_path
from ilabdesk.errors import UserError
from ilabdesk.evaluation.questions import dataset_system_prompt, general_items, load_test_items, load_user_items
from ilabdesk.evaluation.scoring import contains_fact


def _row(q, a, **meta):
    return json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}], "metadata": meta})


def test_test_items_use_metadata_facts_or_key_facts(tmp_path):
    (tmp_path / "test_knowledge_x.jsonl").write_text(
        _row("When?", "In 1673.", leaf="knowledge/x", facts=["1673"]) + "\n"
        + _row("Who designed it?", "Mirela Oskoven designed it.") + "\n",
        encoding="utf-8",
    )
    items = load_test_items(tmp_path)
    assert [i.facts for i in items] == [["1673"], ["Mirela", "Oskoven"]]
    assert items[0].leaf == "knowledge/x" and items[1].leaf == "knowledge_x"
    assert len({i.id for i in items}) == 2


def test_skill_seeds_are_taught_items_without_facts(tmp_path):
    (tmp_path / "test_compositional_skills_notes.jsonl").write_text(
        _row("Write a note.", "Dear Ann, thank you.", leaf="compositional_skills/notes", kind="freeform_skill") + "\n",
        encoding="utf-8",
    )
    [item] = load_test_items(tmp_path)
    assert (item.source, item.facts, item.reference) == ("skill_seed", [], "Dear Ann, thank you.")


def test_held_out_skill_inputs_and_document_questions_with_their_choices(tmp_path):
    import json

    from ilabdesk.evaluation.questions import load_document_items
    from ilabdesk.evaluation.report import score_answer
    from ilabdesk.sdg.shape import infer_shape

    shape = infer_shape(['{"event": "Fair", "date": "2025-07-19"}', '{"event": "Quiz", "date": "2024-02-03"}'])
    rows = [
        {"messages": [{"role": "user", "content": "Book Swap on 8 March 2025.\n\nGive it as JSON."},
                      {"role": "assistant", "content": ""}],
         "metadata": {"leaf": "skills_events", "kind": "skill", "question": "Give it as JSON.",
                      "context": "Book Swap on 8 March 2025.", "shape": shape.to_dict(), "task_opening": ""}},
        {"messages": [{"role": "user", "content": "How tall is the lighthouse?"},
                      {"role": "assistant", "content": "The lighthouse is 46 metres tall."}],
         "metadata": {"leaf": "knowledge_x", "kind": "document", "facts": ["46"], "options": ["46", "38", "811"]}},
    ]
    (tmp_path / "eval_x.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    skill, document, choice = load_document_items(tmp_path)
    assert (skill.source, document.source, choice.source) == ("skill", "document", "choice")
    assert score_answer(skill, '{"event": "Book Swap", "date": "2025-03-08"}')["correct"]
    assert score_answer(skill, '{"event": "Book Swap", "date": "2025-03-09"}')["why"] == "answer_not_grounded"
    assert score_answer(document, "It is 46 metres tall.")["correct"]
    assert choice.question.startswith("How tall is the lighthouse?\n\nA) 46") and choice.answer_index == 0


def test_broken_jsonl_names_the_line(tmp_path):
    (tmp_path / "test_a.jsonl").write_text(_row("q", "a") + "\n{oops\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"test_a.jsonl:2"):
        load_test_items(tmp_path)


def test_dataset_system_prompt(tmp_path):
    row = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    (tmp_path / "train_a.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert dataset_system_prompt(tmp_path) == "Be brief."


def test_sample_heldout_questions_are_answerable_from_the_document():
    items = load_user_items(resource_path("sample", "heldout.yaml"))
    assert len(items) == 10
    document = resource_path("sample", "documents", "quellmoor_island.md").read_text(encoding="utf-8")
    for item in items:
        assert all(contains_fact(document, fact) for fact in item.facts), item.question
        assert all(contains_fact(item.reference, fact) for fact in item.facts), item.question


def test_user_questions_without_checkable_facts_are_refused(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("questions:\n  - question: Why?\n    answer: so it is\n", encoding="utf-8")
    with pytest.raises(UserError, match="question #1"):
        load_user_items(path)


def test_general_items_have_one_fact_each():
    items = general_items()
    assert len(items) >= 10 and all(len(i.facts) == 1 for i in items)


def test_the_replay_prompts_ask_none_of_the_general_questions():
    """Replay trains on the student's answers to its prompts: one that asked a general question
    would report training data as retention."""
    from ilabdesk.sdg.replay import replay_prompts
    from ilabdesk.sdg.text import similarity

    prompts = replay_prompts(10_000)
    assert len(prompts) == len(set(prompts)) >= 100
    for item in general_items():
        assert all(similarity(item.question, p) < 0.8 for p in prompts), item.question
