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


def test_skill_test_items_have_no_facts(tmp_path):
    (tmp_path / "test_compositional_skills_notes.jsonl").write_text(
        _row("Write a note.", "Dear Ann, thank you.", leaf="compositional_skills/notes", kind="freeform_skill") + "\n",
        encoding="utf-8",
    )
    [item] = load_test_items(tmp_path)
    assert (item.source, item.facts, item.reference) == ("skill", [], "Dear Ann, thank you.")


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
