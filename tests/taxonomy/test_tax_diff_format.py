"""`taxonomy diff` against real git histories, and `taxonomy format` keeping data identical."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from taxonomy.taxgit import git

from ilabdesk.errors import UserError
from ilabdesk.taxonomy.diff import changed_leaves, diff_taxonomy
from ilabdesk.taxonomy.format import format_file
from ilabdesk.taxonomy.leaf import load_leaf, new_leaf, save_leaf
from ilabdesk.taxonomy.validate import find_qna_files
from ilabdesk.taxonomy.yamlstyle import same_data

DATA = Path(__file__).resolve().parents[1] / "data" / "taxonomy"


def _rels(root: Path, leaves: list[Path]) -> list[str]:
    return [p.relative_to(root.resolve()).as_posix() for p in leaves]


def test_diff_lists_committed_staged_modified_and_untracked_leaves(taxonomy_repo: Path) -> None:
    root = taxonomy_repo
    assert changed_leaves(root) == []
    new_leaf(root, "history/greece", "knowledge")  # untracked
    git(root, "checkout", "-q", "-b", "my-work")
    new_leaf(root, "writing/limerick", "skill")
    git(root, "add", "-A", "compositional_skills/writing/limerick")
    git(root, "commit", "-q", "-m", "limerick")  # committed on the branch
    rome = load_leaf(root / "knowledge" / "history" / "rome")
    rome.data["domain"] = "Roman history"
    save_leaf(rome)  # modified, not staged
    git(root, "rm", "-q", "-r", "compositional_skills/writing/haiku")  # deleted: not listed
    (root / "knowledge" / "history" / "sparta").mkdir()
    (root / "knowledge" / "history" / "sparta" / "qna.yml").write_text("x: 1\n")
    (root / "foundational_skills").mkdir()
    new_leaf(root, "reasoning/x", "foundational")  # ilab only looks at knowledge/ and compositional_skills/
    expected = [
        "compositional_skills/writing/limerick/qna.yaml",
        "knowledge/history/greece/qna.yaml",
        "knowledge/history/rome/qna.yaml",
    ]
    for base in ("origin/main", "main"):
        diff = diff_taxonomy(root, base)
        assert _rels(root, diff.leaves) == expected
        assert _rels(root, diff.misnamed) == ["knowledge/history/sparta/qna.yml"]
    # a commit as base: everything since it, here only the working-tree changes after "limerick"
    assert _rels(root, changed_leaves(root, "HEAD")) == expected[1:]
    assert len(changed_leaves(root, "empty")) == 3  # greece, rome, limerick (haiku deleted)


def test_diff_base_found_on_first_parent_line_after_upstream_moves(taxonomy_repo: Path, tmp_path: Path) -> None:
    root = taxonomy_repo
    git(root, "checkout", "-q", "-b", "feature")
    new_leaf(root, "history/carthage", "knowledge")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "carthage")
    upstream = tmp_path / "upstream"  # upstream gets a new leaf later: not ours, so not listed
    new_leaf(upstream, "history/egypt", "knowledge")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "egypt")
    git(root, "fetch", "-q", "origin")
    assert _rels(root, changed_leaves(root, "origin/main")) == ["knowledge/history/carthage/qna.yaml"]


def test_missing_base_names_the_ref_and_suggests_empty(taxonomy_repo: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        changed_leaves(taxonomy_repo, "upstream/main")
    assert '"upstream/main" does not exist' in str(info.value) and "--base" in str(info.value)
    assert "empty" in str(info.value)
    with pytest.raises(UserError, match='"v9.9" does not exist'):
        changed_leaves(taxonomy_repo, "v9.9")
    plain = tmp_path / "plain"
    shutil.copytree(taxonomy_repo / "knowledge", plain / "knowledge")
    with pytest.raises(UserError, match="not a git repository"):
        changed_leaves(plain)
    assert _rels(plain, changed_leaves(plain, "empty")) == ["knowledge/history/rome/qna.yaml"]


def test_format_keeps_data_identical_on_every_corpus_file(tmp_path: Path) -> None:
    from ilabdesk.taxonomy.validate import lint
    from ilabdesk.taxonomy.yamlstyle import dump_yaml

    formatted = 0
    for src in find_qna_files([DATA]):
        dst = tmp_path / src.relative_to(DATA)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        before = dst.read_bytes()
        result = format_file(dst, drop_comments=True)
        if result.error:
            assert dst.read_bytes() == before, dst  # untouched, byte for byte
            continue
        formatted += 1
        text = dst.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        old = yaml.safe_load(before.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"))
        assert same_data(data, old), dst  # same data: so also the same schema verdict
        assert dump_yaml(data) == text  # idempotent
        assert lint(text) == [], dst  # canonical output passes strict yamllint
    assert formatted > 60


def test_format_refuses_what_it_cannot_keep(tmp_path: Path) -> None:
    leaf = tmp_path / "qna.yaml"
    leaf.write_text("version: 3  # keep me\ncreated_by:   me\n")
    result = format_file(leaf)
    assert "comment" in result.error and leaf.read_text() == "version: 3  # keep me\ncreated_by:   me\n"
    assert format_file(leaf, check=True, drop_comments=True).changed and "   me" in leaf.read_text()
    assert format_file(leaf, drop_comments=True).changed and leaf.read_text() == "version: 3\ncreated_by: me\n"
    leaf.write_text("a: 1\na: 2\n")
    assert "duplicate key 'a'" in format_file(leaf).error and leaf.read_text() == "a: 1\na: 2\n"
    leaf.write_bytes(b"a: '\xff\n")
    assert "not UTF-8" in format_file(leaf).error and leaf.read_bytes() == b"a: '\xff\n"
