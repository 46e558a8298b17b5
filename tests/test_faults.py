"""Fault injection: damaged files, outputs in the way, bad numbers and secrets in URLs reach the user
as one clear message naming the file and what to do, never a traceback, and nothing is overwritten."""

from __future__ import annotations

import errno
import json
import random
import struct
from pathlib import Path

import pytest

from ilabdesk.cli import main
from ilabdesk.errors import UserError, from_os_error
from ilabdesk.models.default import default_model_path

LEAF = Path(__file__).parent / "data" / "taxonomy" / "corpus" / "knowledge" / "valid" / "v3" / "qna.yaml"


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return default_model_path().read_bytes()


def test_damaged_gguf_headers_are_user_errors_in_both_readers(model_bytes, tmp_path):
    """Random damage to the header (values, lengths, counts) gives a UserError from the chat-side
    inspection and from the reader training and export use, never OverflowError or the like."""
    from ilabdesk.gguf.reader import read_gguf
    from ilabdesk.models.gguf_file import inspect_gguf, read_header

    header_end = read_header(default_model_path())[2]
    rnd = random.Random(7)
    path = tmp_path / "damaged.gguf"
    for _ in range(12):
        data = bytearray(model_bytes[: header_end + 4096])
        for _ in range(rnd.choice([1, 2, 4])):
            at = rnd.randrange(4, header_end)
            data[at : at + 8] = rnd.randbytes(8)
        path.write_bytes(bytes(data))
        for read in (inspect_gguf, read_gguf):
            try:
                read(path)
            except UserError as exc:
                assert str(path) in str(exc)


def test_a_huge_string_length_and_a_truncated_file_read_the_same_everywhere(model_bytes, tmp_path, capsys):
    from ilabdesk.gguf.reader import read_gguf

    huge = bytearray(model_bytes)
    struct.pack_into("<Q", huge, 24, 2**63 + 5)  # the first key's length: the OverflowError of the issue
    (tmp_path / "huge.gguf").write_bytes(bytes(huge))
    (tmp_path / "cut.gguf").write_bytes(model_bytes[: len(model_bytes) // 2])
    for name, words in (("huge.gguf", "damaged"), ("cut.gguf", "truncated")):
        path = tmp_path / name
        with pytest.raises(UserError, match=words):
            read_gguf(path)  # train and convert read the base with this
        code, out = run_cli(capsys, "model", "info", str(path))
        assert code == 1 and words in out and str(path) in out and "Traceback" not in out


def test_os_errors_name_the_path_and_what_to_do():
    full = from_os_error(OSError(errno.ENOSPC, "No space left on device", "/data/run/model.gguf"))
    assert "/data/run/model.gguf: the disk is full" in str(full) and "free some space" in full.hint
    denied = from_os_error(PermissionError(errno.EACCES, "Permission denied", "/srv/out"))
    assert "/srv/out: permission denied" in str(denied)
    in_the_way = from_os_error(FileExistsError(errno.EEXIST, "File exists", "/tmp/x"))
    assert "a file is in the way" in str(in_the_way)


def test_an_output_that_is_a_file_is_refused_and_kept(tmp_path, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_bytes(b"the user's notes\n")
    data = tmp_path / "data"
    data.mkdir()
    for argv in (["train", "--data", str(data), "--output", str(blocker)],
                 ["evaluate", "--questions", str(blocker), "--tuned", str(default_model_path()), "--output", str(blocker)],
                 ["generate", "--leaf", str(LEAF), "--output", str(blocker)]):
        code, out = run_cli(capsys, *argv)
        assert code == 1 and str(blocker) in out and "Traceback" not in out, (argv, out)
    assert blocker.read_bytes() == b"the user's notes\n"


def test_convert_checks_its_output_before_any_work(tmp_path, capsys):
    run = tmp_path / "run"
    (run / "adapter").mkdir(parents=True)
    (run / "adapter" / "adapter_model.safetensors").write_bytes(b"")  # exporting this would fail
    (run / "run.json").write_text(json.dumps({"complete": True, "base_gguf": str(default_model_path()),
                                              "base_hf": str(tmp_path)}))
    folder = tmp_path / "models"
    folder.mkdir()
    code, out = run_cli(capsys, "convert", str(run), "--output", str(folder))
    assert code == 1 and f"{folder}: this is a folder" in out and "Traceback" not in out
    assert not (run / "adapter.gguf").exists()
    read_only = tmp_path / "model.gguf"
    read_only.write_bytes(b"kept")
    read_only.chmod(0o444)
    code, out = run_cli(capsys, "convert", str(run), "--output", str(read_only))
    assert code == 1 and "read-only" in out and read_only.read_bytes() == b"kept"


def test_a_key_inside_an_endpoint_url_is_never_printed(capsys):
    from ilabdesk.chat.factory import open_engine

    with pytest.raises(UserError) as caught:
        open_engine("http://ada:SECRET-KEY-123@127.0.0.1:9/v1#m")
    assert "SECRET-KEY-123" not in str(caught.value) and "keyring" in str(caught.value)
    with pytest.raises(UserError) as caught:
        open_engine("http://127.0.0.1:9/v1?api_key=SECRET-KEY-123#m")
    assert "SECRET-KEY-123" not in str(caught.value)


def test_a_scale_that_is_not_a_number_is_refused():
    from ilabdesk.chat.factory import open_engine

    with pytest.raises(UserError, match="not a number"):
        open_engine(None, adapter_scale=float("nan"))


def test_a_missing_leaf_says_so(tmp_path, capsys):
    code, out = run_cli(capsys, "generate", "--taxonomy", str(tmp_path), "--leaf", "knowledge/nope",
                        "--output", str(tmp_path / "out"))
    assert code == 1 and "no such leaf" in out and "must be named" not in out


def test_evaluate_refuses_a_missing_tuned_model_before_answering(tmp_path, capsys):
    questions = tmp_path / "q.yaml"
    questions.write_text("questions:\n  - question: What is 2 + 2?\n    answer: '4'\n")
    missing = tmp_path / "gone" / "model-Q4_K_M.gguf"
    code, out = run_cli(capsys, "evaluate", "--questions", str(questions), "--tuned", str(missing),
                        "--no-general", "--output", str(tmp_path / "eval"))
    assert code == 1 and str(missing) in out and "not found" in out
    assert not (tmp_path / "eval" / "answers.jsonl").exists()  # the base answered nothing


def test_format_keeps_an_edit_saved_while_it_worked(tmp_path, monkeypatch):
    from ilabdesk.taxonomy import format as formatting

    leaf = tmp_path / "qna.yaml"
    leaf.write_text(LEAF.read_text() + "\n\n\n")  # trailing blank lines: format would rewrite it
    edit = LEAF.read_text().replace("version: 3", "version: 3\n# saved by the user meanwhile", 1)
    original = formatting.canonical_text

    def slow_canonical_text(path, **kwargs):
        result = original(path, **kwargs)
        path.write_text(edit)  # the editor saves while format works on a big leaf
        return result

    monkeypatch.setattr(formatting, "canonical_text", slow_canonical_text)
    result = formatting.format_file(leaf)
    assert result.error and "changed on disk since it was read" in result.error
    assert leaf.read_text() == edit
