"""`ilabdesk train` and `ilabdesk convert` end to end on the tiny model, as a script would call them."""

from __future__ import annotations

import json

from ilabdesk.cli import main


def _events(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_train_then_convert_from_the_command_line(tiny, facts_data, tmp_path, capsys):
    run_dir = tmp_path / "run"
    code = main(["train", "--data", str(facts_data), "--output", str(run_dir), "--base", str(tiny["gguf"]),
                 "--iters", "2", "--rank", "4", "--lr", "0.005", "--batch-size", "4", "--max-seq-len", "256",
                 "--seed", "3", "--json"])
    events = _events(capsys)
    assert code == 0 and events[-1]["type"] == "done"
    assert [e["done"] for e in events if e["type"] == "progress"] == [1, 2]
    config = (run_dir / "config.yaml").read_text()
    assert "rank: 4" in config and "max_seq_len: 256" in config and "seed: 3" in config

    out = tmp_path / "final.gguf"
    code = main(["convert", str(run_dir), "--quantize", "none", "--output", str(out), "--json"])
    events = _events(capsys)
    assert code == 0 and events[-1]["data"]["model"] == str(out) and out.is_file()
    assert (run_dir / "adapter.gguf").is_file()


def test_user_mistakes_exit_1_without_traceback(tmp_path, capsys):
    assert main(["convert", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no finished training run" in err and "Traceback" not in err


def test_cli_modules_import_no_engines():
    """`ilabdesk --help` and the GUI import these modules: heavy engines load only inside functions."""
    import importlib.util

    for module in ("ilabdesk.cli.train", "ilabdesk.cli.convert", "ilabdesk.training", "ilabdesk.gguf"):
        source = importlib.util.find_spec(module).origin
        text = open(source, encoding="utf-8").read()
        top = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
        assert not any(engine in line for line in top for engine in ("torch", "transformers", "llama_cpp", "mlx"))
