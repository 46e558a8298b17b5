"""The `ilabdesk taxonomy` commands, run in-process on real checkouts made with git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from taxonomy.taxgit import git

from ilabdesk.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "taxonomy"


def test_validate_corpus_exit_code_and_json(capsys) -> None:
    assert main(["taxonomy", "validate", str(DATA / "corpus" / "knowledge" / "valid")]) == 0
    assert "2 file(s) checked: valid" in capsys.readouterr().err
    assert main(["taxonomy", "validate", "--json", str(DATA / "corpus" / "compositional_skills" / "invalid")]) == 1
    reports = json.loads(capsys.readouterr().out)
    assert {tuple(sorted(r)) for r in reports} == {("errors", "path", "warnings")}
    by_name = {Path(r["path"]).parent.name: r for r in reports}
    assert by_name["misnamed"]["path"].endswith("qna.yml")
    assert by_name["v3_trailing_spaces"]["errors"][0].endswith(":2:28: trailing spaces (trailing-spaces)")
    assert all(r["errors"] for r in reports)


def test_validate_bad_arguments_are_user_errors(capsys, tmp_path: Path) -> None:
    assert main(["taxonomy", "validate", str(tmp_path / "missing")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["taxonomy", "validate", str(tmp_path)]) == 1
    assert "no qna.yaml files" in capsys.readouterr().err


def test_new_diff_format_contribute_as_a_user_would(taxonomy_repo: Path, tmp_path: Path, capsys) -> None:
    tax = ["--taxonomy", str(taxonomy_repo)]
    assert main(["taxonomy", "new", "knowledge", "history/greece", *tax, "--created-by", "ada", "--domain", "history"]) == 0
    created = Path(capsys.readouterr().out.strip())
    assert created == taxonomy_repo / "knowledge" / "history" / "greece" / "qna.yaml"

    assert main(["taxonomy", "diff", *tax]) == 0  # remote docs repo: warning only, offline
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "knowledge/history/greece/qna.yaml"
    assert "(warning)" in captured.out and "0 error(s), 1 warning(s)" in captured.err
    assert main(["taxonomy", "diff", *tax, "--base", "nope"]) == 1
    assert '"nope" does not exist' in capsys.readouterr().err

    created.write_text(created.read_text().replace("domain: history", "domain:   history"))
    assert main(["taxonomy", "diff", *tax, "--quiet"]) == 1
    assert "too many spaces after colon (colons)" in capsys.readouterr().out
    assert main(["taxonomy", "format", "--check", str(created)]) == 1
    assert main(["taxonomy", "format", str(created.parent)]) == 0
    assert "reformatted" in capsys.readouterr().out and "domain: history\n" in created.read_text()

    patch = tmp_path / "greece.patch"
    args = ["taxonomy", "contribute", str(created.parent), *tax, "--branch", "greece", "-m", "Add Greece"]
    assert main([*args, "--patch", str(patch), "--push"]) == 0
    assert "pushed greece to origin" in capsys.readouterr().out
    assert patch.read_text().count("+++ b/knowledge/history/greece/qna.yaml") == 1
    assert git(tmp_path / "upstream", "branch", "--list", "greece").strip().endswith("greece")
    assert git(taxonomy_repo, "status", "--porcelain") == "?? knowledge/history/greece/"


def test_mv_and_tree(taxonomy_repo: Path, capsys) -> None:
    rome = taxonomy_repo / "knowledge" / "history" / "rome"
    assert main(["taxonomy", "mv", str(rome), "knowledge/history/roman_empire"]) == 0
    assert capsys.readouterr().out.strip().endswith("knowledge/history/roman_empire/qna.yaml")
    assert main(["taxonomy", "tree", "--taxonomy", str(taxonomy_repo)]) == 0
    assert "    roman_empire  [leaf]" in capsys.readouterr().out.splitlines()


def test_ingest_hands_the_documented_args_to_the_ingest_job(taxonomy_repo: Path, tmp_path: Path, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr("ilabdesk.jobs.console.run_in_terminal", lambda kind, args, json_lines=False: calls.append((kind, args, json_lines)) or 0)
    doc = tmp_path / "rome.md"
    doc.write_text("# Rome\n")
    leaf = taxonomy_repo / "knowledge" / "history" / "rome"
    assert main(["taxonomy", "ingest", "--leaf", str(leaf), str(doc), "--draft-seeds", "--teacher", "m.gguf",
                 "--on-clash", "keep-both", "--json"]) == 0
    assert calls == [("ingest", {"leaf": str(leaf), "files": [str(doc)], "draft_seeds": True, "teacher": "m.gguf",
                                 "on_clash": "keep-both"}, True)]
    with pytest.raises(SystemExit):
        main(["taxonomy", "ingest", str(doc)])  # --leaf is required: argparse usage error
