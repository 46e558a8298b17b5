"""Reading, writing, creating and moving leaves."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from taxonomy.taxgit import git

from ilabdesk.errors import UserError
from ilabdesk.taxonomy.leaf import load_leaf, move_leaf, new_leaf, save_leaf
from ilabdesk.taxonomy.tree import scan
from ilabdesk.taxonomy.validate import validate_file
from ilabdesk.taxonomy.yamlstyle import dump_yaml, same_data

DATA = Path(__file__).resolve().parents[1] / "data" / "taxonomy"


def test_templates_are_schema_valid_and_lint_clean(tmp_path: Path) -> None:
    knowledge = new_leaf(tmp_path, "science/phoenix", "knowledge", created_by="ada", domain="astronomy")
    grounded = new_leaf(tmp_path, "compositional_skills/writing/summary", "skill", grounded=True)
    freeform = new_leaf(tmp_path, "reasoning/odd", "foundational")
    assert knowledge.rel == "knowledge/science/phoenix" and knowledge.kind == "knowledge" and knowledge.grounded
    assert grounded.kind == "compositional_skills" and grounded.grounded
    assert freeform.kind == "foundational_skills" and not freeform.grounded
    for leaf in (knowledge, grounded, freeform):
        report = validate_file(leaf.path, check_documents=False)
        assert report.ok and not report.warnings, report.errors
    with pytest.raises(UserError, match="already exists"):
        new_leaf(tmp_path, "science/phoenix", "knowledge")


def test_load_save_round_trip_keeps_data_and_key_order(tmp_path: Path) -> None:
    src = DATA / "public" / "knowledge" / "science" / "astronomy" / "constellations" / "phoenix" / "qna.yaml"
    leaf_dir = tmp_path / "knowledge" / "astronomy" / "phoenix"
    leaf_dir.mkdir(parents=True)
    (leaf_dir / "qna.yaml").write_bytes(src.read_bytes())
    leaf = load_leaf(leaf_dir)
    assert leaf.rel == "knowledge/astronomy/phoenix" and leaf.root == tmp_path
    assert list(leaf.data) == ["version", "domain", "created_by", "seed_examples", "document_outline", "document"]
    leaf.data["seed_examples"][0]["questions_and_answers"][0]["answer"] = "Line one.\nLine two.\n"
    save_leaf(leaf)
    text = leaf.path.read_text(encoding="utf-8")
    assert "answer: |\n          Line one.\n          Line two.\n" in text
    assert same_data(yaml.safe_load(text), leaf.data)
    assert validate_file(leaf.path, check_documents=False).ok
    # the real file is already in canonical style: saving it unchanged is byte-identical
    (leaf_dir / "qna.yaml").write_bytes(src.read_bytes())
    save_leaf(load_leaf(leaf_dir))
    assert (leaf_dir / "qna.yaml").read_bytes() == src.read_bytes()


@pytest.mark.parametrize(
    "value",
    ["trailing space \nnext", "a\n\n\n\n\nb", "ends with blank lines\n\n\n", "  leading\nindent\n", "tab\tin\nit",
     "yes", "1.0", "null", "", "# not a comment", "- not a list", "ünïcödé ✓\n", "\ufeffbom", "x: y\n"],
)
def test_canonical_writer_round_trips_awkward_strings_and_stays_lint_clean(value: str) -> None:
    from ilabdesk.taxonomy.validate import lint

    data = {"version": 3, "task_description": value, "seed_examples": [{"question": value, "answer": "ok"}]}
    text = dump_yaml(data)
    assert same_data(yaml.safe_load(text), data)
    assert lint(text) == []


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"version: 3\ntask: 'open\n", r"qna.yaml:3:1: not valid YAML"),
        (b"- a\n- b\n", r"qna.yaml:1:1: the top level is a list"),
        (b"version: 7\ncreated_by: x\n", r"qna.yaml:1:1: unknown taxonomy schema version 7"),
        (b"created_by: x\nversion: '3'\n", r"qna.yaml:2:1: unknown taxonomy schema version '3'"),
        (b"created_by: caf\xe9\n", r"qna.yaml:1:16: not UTF-8"),
        (b"", r"qna.yaml:1:1: the file is empty"),
    ],
)
def test_bad_files_give_positioned_user_errors(tmp_path: Path, content: bytes, match: str) -> None:
    (tmp_path / "qna.yaml").write_bytes(content)
    with pytest.raises(UserError, match=match):
        load_leaf(tmp_path)


def test_qna_yml_is_refused_with_the_rename_command(tmp_path: Path) -> None:
    (tmp_path / "qna.yml").write_text("version: 3\n")
    with pytest.raises(UserError) as info:
        load_leaf(tmp_path)
    assert "only reads files named qna.yaml" in str(info.value) and "git mv" in str(info.value)


def test_move_leaf_git_mv_keeps_attribution_and_refuses_overwrite(taxonomy_repo: Path) -> None:
    leaf = load_leaf(taxonomy_repo / "knowledge" / "history" / "rome")
    moved = move_leaf(leaf, "knowledge/history/ancient/rome")
    assert moved.path == taxonomy_repo / "knowledge" / "history" / "ancient" / "rome" / "qna.yaml"
    assert (moved.dir / "attribution.txt").read_text() == "Title of work: Rome\n"
    assert not (taxonomy_repo / "knowledge" / "history" / "rome").exists()
    status = git(taxonomy_repo, "status", "--porcelain")
    assert "R  knowledge/history/rome/qna.yaml -> knowledge/history/ancient/rome/qna.yaml" in status
    assert "R  knowledge/history/rome/attribution.txt -> knowledge/history/ancient/rome/attribution.txt" in status
    haiku = move_leaf(load_leaf(taxonomy_repo / "compositional_skills" / "writing" / "haiku"), "writing/short_poems")
    assert haiku.rel == "compositional_skills/writing/short_poems"
    before = moved.path.read_bytes()
    with pytest.raises(UserError, match="not overwriting"):
        move_leaf(haiku, "knowledge/history/ancient/rome")
    assert moved.path.read_bytes() == before and haiku.path.exists()


def test_scan_builds_the_tree_and_lists_misnamed_files(taxonomy_repo: Path) -> None:
    (taxonomy_repo / "knowledge" / "history" / "greece").mkdir()
    (taxonomy_repo / "knowledge" / "history" / "greece" / "qna.yml").write_text("x: 1\n")
    tree = scan(taxonomy_repo)
    assert [p.relative_to(taxonomy_repo).as_posix() for p in tree.leaves()] == [
        "knowledge/history/rome/qna.yaml",
        "compositional_skills/writing/haiku/qna.yaml",
    ]
    assert tree.find("knowledge/history").children.keys() == {"rome", "greece"}
    assert tree.find("knowledge/history/rome").is_leaf
    assert tree.misnamed == [taxonomy_repo / "knowledge" / "history" / "greece" / "qna.yml"]
    with pytest.raises(UserError, match="not a taxonomy checkout"):
        scan(taxonomy_repo / "knowledge" / "history" / "rome")


def test_template_text_left_in_a_new_leaf_is_reported_at_its_line(tmp_path):
    from ilabdesk.taxonomy.leaf import new_leaf
    from ilabdesk.taxonomy.placeholders import unfinished

    leaf = new_leaf(tmp_path, "geography/new_island", "knowledge", created_by="ada")
    text = leaf.path.read_text(encoding="utf-8")
    found = unfinished(text)
    # 5 contexts, 15 questions, 15 answers, domain, outline, repo, commit: all still the template's
    assert len(found) == 39
    lines = text.splitlines()
    marked = [lines[line - 1].lstrip() for line, _, _ in found]
    assert sum(m.startswith("domain:") for m in marked) == 1 and sum("context:" in m for m in marked) == 5
    finished = text.replace("Describe the domain in a few words", "islands")
    assert len(unfinished(finished)) == 38
    skill = new_leaf(tmp_path, "writing/poems", "skill", grounded=True, created_by="ada")
    assert len(unfinished(skill.path.read_text(encoding="utf-8"))) == 16  # 5 x (context, question, answer) + task
    sample = Path(__file__).resolve().parents[2] / "resources" / "sample"
    for qna in sample.rglob("qna.yaml"):
        assert unfinished(qna.read_text(encoding="utf-8")) == []
