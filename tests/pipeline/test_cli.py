"""`ilabdesk run` and `ilabdesk evaluate` on the command line: user mistakes end in a message, not a traceback."""

from ilabdesk.cli import main as cli_main


def test_evaluate_needs_something_to_compare(tmp_path, capsys):
    assert cli_main(["evaluate", "--output", str(tmp_path)]) == 1
    assert "nothing to compare against the base" in capsys.readouterr().err


def test_evaluate_needs_questions(tmp_path, capsys):
    assert cli_main(["evaluate", "--tuned", "tuned.gguf", "--output", str(tmp_path / "out")]) == 1
    assert "nothing to evaluate" in capsys.readouterr().err


def test_run_with_a_missing_taxonomy(tmp_path, capsys):
    assert cli_main(["run", "--taxonomy", str(tmp_path / "nope"), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "no such taxonomy folder" in err and "Traceback" not in err


def test_run_stops_on_an_invalid_leaf_with_its_line(tmp_path, capsys):
    from ilabdesk.pipeline.sample import SAMPLE_KNOWLEDGE_LEAF, install_sample

    taxonomy = install_sample(tmp_path / "s")
    qna = taxonomy / SAMPLE_KNOWLEDGE_LEAF / "qna.yaml"
    qna.write_text(qna.read_text().replace("version: 3", "version: 3\nversion: 3"))
    code = cli_main(["run", "--taxonomy", str(taxonomy), "--leaf", SAMPLE_KNOWLEDGE_LEAF, "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{qna}:2:1" in err and "duplication of key" in err
    assert not (tmp_path / "o" / "dataset").exists()
