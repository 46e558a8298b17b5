"""The bundled sample: installs as two real git repos and validates like a user's new leaves."""

import subprocess

from ilabdesk.pipeline.sample import SAMPLE_KNOWLEDGE_LEAF, SAMPLE_SKILL_LEAF, install_sample
from ilabdesk.taxonomy.diff import changed_leaves
from ilabdesk.taxonomy.documents import resolve_documents
from ilabdesk.taxonomy.leaf import load_leaf
from ilabdesk.taxonomy.validate import validate_file


def test_install_sample(tmp_path):
    root = install_sample(tmp_path / "try")
    knowledge = root / SAMPLE_KNOWLEDGE_LEAF / "qna.yaml"
    skill = root / SAMPLE_SKILL_LEAF / "qna.yaml"
    # The leaves are "new" against origin/main, as in a fresh clone with a contribution.
    assert sorted(changed_leaves(root)) == sorted([knowledge, skill])
    for qna in (knowledge, skill):
        report = validate_file(qna)
        assert report.errors == [] and report.warnings == []
    leaf = load_leaf(knowledge)
    assert leaf.kind == "knowledge" and len(leaf.data["seed_examples"]) == 5
    assert all(len(s["questions_and_answers"]) == 3 for s in leaf.data["seed_examples"])
    docs = resolve_documents(leaf)
    assert [d.name for d in docs] == ["quellmoor_island.md"]
    assert "Harrowgate Lighthouse" in docs[0].read_text(encoding="utf-8")
    commit = leaf.data["document"]["commit"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path / "try" / "documents", capture_output=True, text=True)
    assert head.stdout.strip() == commit
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True)
    assert status.stdout == ""  # everything committed
    # Installing again returns the same checkout untouched.
    assert install_sample(tmp_path / "try") == root
    assert load_leaf(knowledge).data["document"]["commit"] == commit
    assert not list((tmp_path / "try").glob(".*.part"))
