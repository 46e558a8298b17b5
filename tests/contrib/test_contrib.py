"""Contributing leaves: branch via a private index, patch, bundle, push — user's work untouched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ilabdesk.contrib.branch import contribute
from ilabdesk.contrib.export import export_bundle, export_patch, push_branch
from ilabdesk.errors import UserError
from ilabdesk.taxonomy.leaf import load_leaf, new_leaf, save_leaf


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _user_state(repo: Path) -> tuple[str, str, str, dict[str, bytes]]:
    files = {p.relative_to(repo).as_posix(): p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    return git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain"), git(repo, "diff", "--cached"), files


def _work_in_progress(repo: Path) -> Path:
    """A new leaf to contribute plus unrelated uncommitted and staged edits that must survive."""
    leaf = new_leaf(repo, "history/carthage", "knowledge", attribution="Title of work: Carthage\n")
    (repo / "README.md").write_text("draft notes\n")  # untracked, unrelated
    haiku = load_leaf(repo / "compositional_skills" / "writing" / "haiku")
    haiku.data["task_description"] = "Half-finished edit."
    save_leaf(haiku)
    git(repo, "add", "compositional_skills/writing/haiku/qna.yaml")  # staged, unrelated
    rome = repo / "knowledge" / "history" / "rome" / "qna.yaml"
    rome.write_text(rome.read_text().replace("domain: ", "domain: unsaved "))  # modified, unrelated
    return leaf.dir


def test_contribute_commits_only_the_chosen_leaf_and_leaves_the_work_tree_alone(checkout: Path) -> None:
    leaf_dir = _work_in_progress(checkout)
    before = _user_state(checkout)
    result = contribute(checkout, [leaf_dir], "add-carthage", "Add Carthage knowledge\n\nSigned-off-by: me")
    assert _user_state(checkout) == before
    assert result.files == ["knowledge/history/carthage/qna.yaml", "knowledge/history/carthage/attribution.txt"]
    changed = git(checkout, "diff", "--name-status", "main", "add-carthage").splitlines()
    assert changed == ["A\tknowledge/history/carthage/attribution.txt", "A\tknowledge/history/carthage/qna.yaml"]
    assert git(checkout, "show", "add-carthage:knowledge/history/carthage/qna.yaml") + "\n" == (
        leaf_dir / "qna.yaml"
    ).read_text()
    assert git(checkout, "log", "-1", "--format=%s", "add-carthage") == "Add Carthage knowledge"
    assert git(checkout, "rev-parse", "add-carthage^") == git(checkout, "rev-parse", "HEAD")
    with pytest.raises(UserError, match="already exists"):
        contribute(checkout, [leaf_dir], "add-carthage", "again")


def test_patch_and_bundle_apply_in_another_clone(checkout: Path, tmp_path: Path) -> None:
    leaf_dir = _work_in_progress(checkout)
    contribute(checkout, [leaf_dir], "add-carthage", "Add Carthage")
    patch = export_patch(checkout, "add-carthage", tmp_path / "out" / "carthage.patch")
    bundle = export_bundle(checkout, "add-carthage", tmp_path / "out" / "carthage.bundle", base="main")
    assert [p.name for p in sorted((tmp_path / "out").iterdir())] == ["carthage.bundle", "carthage.patch"]

    reviewer = tmp_path / "reviewer"
    git(tmp_path, "clone", "-q", str(tmp_path / "fork.git"), str(reviewer))
    git(reviewer, "am", "-q", str(patch))
    assert (reviewer / "knowledge" / "history" / "carthage" / "qna.yaml").read_bytes() == (leaf_dir / "qna.yaml").read_bytes()
    git(reviewer, "fetch", "-q", str(bundle), "add-carthage:from-bundle")
    assert git(reviewer, "rev-parse", "from-bundle") == git(checkout, "rev-parse", "add-carthage")


def test_push_to_configured_remote_and_clear_error_without_one(checkout: Path, tmp_path: Path) -> None:
    leaf_dir = _work_in_progress(checkout)
    contribute(checkout, [leaf_dir], "add-carthage", "Add Carthage")
    assert push_branch(checkout, "add-carthage") == "origin"
    assert git(tmp_path / "fork.git", "rev-parse", "add-carthage") == git(checkout, "rev-parse", "add-carthage")
    git(checkout, "remote", "remove", "origin")
    with pytest.raises(UserError, match="no git remote configured"):
        push_branch(checkout, "add-carthage")


def test_refuses_invalid_leaves_bad_names_and_no_changes(checkout: Path) -> None:
    broken = new_leaf(checkout, "writing/broken", "skill")
    broken.data["seed_examples"] = broken.data["seed_examples"][:2]
    save_leaf(broken)
    with pytest.raises(UserError, match="Value must have at least 5 items"):
        contribute(checkout, [broken.dir], "broken", "Broken")
    assert contribute(checkout, [broken.dir], "broken", "Broken", allow_invalid=True).files
    with pytest.raises(UserError, match="not a valid git branch name"):
        contribute(checkout, [broken.dir], "bad name..", "x")
    with pytest.raises(UserError, match="nothing to contribute"):
        contribute(checkout, [checkout / "compositional_skills" / "writing" / "haiku"], "same", "x")
    assert "refs/heads/same" not in git(checkout, "for-each-ref")
