"""The knowledge `document:` block: local repos offline, commits, patterns, materialising files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ilabdesk.errors import UserError
from ilabdesk.settings import paths
from ilabdesk.taxonomy.documents import glob_match, resolve_documents
from ilabdesk.taxonomy.leaf import load_leaf, new_leaf, save_leaf
from ilabdesk.taxonomy.validate import validate_file


def _leaf(root: Path, repo: str, commit: str, patterns: list[str]):
    return new_leaf(root, "science/phoenix", "knowledge", repo=repo, commit=commit, patterns=patterns)


@pytest.mark.parametrize("form", ["path", "file_url"])
def test_local_repo_validates_offline_and_resolves_into_the_cache(tmp_path: Path, docs_repo, form: str) -> None:
    repo, sha = docs_repo
    leaf = _leaf(tmp_path / "tax", str(repo) if form == "path" else repo.as_uri(), sha[:10], ["*.md", "sub/*.pdf"])
    assert validate_file(leaf.path).errors == [] and validate_file(leaf.path).warnings == []
    files = resolve_documents(leaf.path)
    assert [f.name for f in files] == ["phoenix.md", "guide.pdf"]
    assert all(paths().cache in f.parents and sha in f.parts for f in files)
    assert files[0].read_text() == "# Phoenix\n\nPhoenix is a constellation.\n"
    (repo / "phoenix.md").write_text("changed after the commit\n")  # the commit, not the work tree, counts
    assert resolve_documents(leaf)[0].read_text().startswith("# Phoenix")


def test_relative_repo_path_is_taken_from_the_leaf_folder(tmp_path: Path, docs_repo) -> None:
    repo, sha = docs_repo
    leaf = _leaf(tmp_path / "tax", "../../../../docs", sha, ["phoenix.md"])
    assert (leaf.dir / "../../../../docs").resolve() == repo.resolve()
    assert validate_file(leaf.path).ok


@pytest.mark.parametrize(
    ("patterns", "commit", "message"),
    [
        (["*.md"], "deadbeef" * 5, "document commit 'deadbeefdeadbeef"),
        (["*.rst"], None, "match no .md or .pdf file"),
        (["*.txt", "*.md"], None, "unsupported files (only .md and .pdf are read): notes.txt"),
        (["**/*.md"], None, "match no .md or .pdf file"),  # `**` is one folder level, as in glob.glob
    ],
)
def test_document_problems_are_errors_on_the_document_line(tmp_path, docs_repo, patterns, commit, message) -> None:
    repo, sha = docs_repo
    leaf = _leaf(tmp_path / "tax", str(repo), commit or sha, patterns)
    [error] = validate_file(leaf.path).errors
    key = "commit" if commit else "patterns"
    lines = leaf.path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith(f"  {key}:"))
    col = 11 if key == "commit" else 5  # the value: "  commit: <sha>" / "  patterns:\n    - ..."
    assert error.startswith(f"{leaf.path}:{line + (key == 'patterns')}:{col}: ") and message in error


def test_missing_repo_and_non_git_folder(tmp_path: Path) -> None:
    leaf = _leaf(tmp_path / "tax", str(tmp_path / "nowhere"), "abc1234", ["*.md"])
    assert "not found" in validate_file(leaf.path).errors[0]
    (tmp_path / "plain").mkdir()
    leaf.data["document"]["repo"] = str(tmp_path / "plain")
    save_leaf(leaf)
    assert "is not a git repository" in validate_file(leaf.path).errors[0]
    with pytest.raises(UserError, match="not a git repository"):
        resolve_documents(load_leaf(leaf.path))


def test_remote_repo_is_a_warning_without_network(tmp_path: Path) -> None:
    leaf = _leaf(tmp_path / "tax", "https://github.com/example/docs", "abc1234", ["*.md"])
    report = validate_file(leaf.path)
    assert report.ok and len(report.warnings) == 1 and "not checked" in report.warnings[0]


def test_glob_semantics_match_python_glob() -> None:
    assert glob_match("*.md", "a.md") and not glob_match("*.md", "d/a.md")
    assert glob_match("d/*.md", "d/a.md") and glob_match("d/a.md", "d/a.md")
    assert not glob_match("*.md", ".hidden.md") and glob_match(".*.md", ".hidden.md")
    assert glob_match("**/*.pdf", "sub/guide.pdf") and not glob_match("**/*.pdf", "guide.pdf")
    assert glob_match("[ab].md", "a.md") and not glob_match("*.MD", "a.md")


def test_fetch_failure_of_a_remote_repo_is_a_clear_error(tmp_path: Path) -> None:
    leaf = _leaf(tmp_path / "tax", "http://127.0.0.1:9/nothing/here.git", "abc1234", ["*.md"])
    [error] = validate_file(leaf.path, fetch=True).errors
    assert "could not fetch document repo http://127.0.0.1:9/nothing/here.git" in error
    with pytest.raises(UserError, match="could not fetch document repo"):
        resolve_documents(leaf)
