"""`ilabdesk chat` as a user runs it: one question, an interactive session, bad input."""

from __future__ import annotations

import io
import json

from ilabdesk.chat.transcript import load_transcript
from ilabdesk.cli import main


def test_question_prints_the_answer(capsys):
    assert main(["chat", "-q", "What is the capital of France?", "--max-tokens", "16", "--threads", "1"]) == 0
    captured = capsys.readouterr()
    assert "Paris" in captured.out
    assert captured.err == ""


def test_interactive_session_saves_transcripts(tmp_path, monkeypatch, capsys, app_home):
    script = "\n".join([
        "What is the capital of France?",
        f"/s {tmp_path / 'talk.json'}",
        "/m",
        "Say hello",
        "in one word.",
        "/end",
        "/x",
        "/n",
        "/q",
    ]) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    assert main(["chat", "--max-tokens", "8", "--temperature", "0", "--system", "Be brief.", "--threads", "1"]) == 0
    err = capsys.readouterr().err
    assert "saved to" in err and "unknown command /x" in err and "new conversation" in err

    saved = load_transcript(tmp_path / "talk.json")
    assert [m["role"] for m in saved.messages] == ["system", "user", "assistant"]
    assert saved.messages[0]["content"] == "Be brief."
    assert saved.params["temperature"] == 0.0

    autosaved = sorted((app_home / "data" / "chats").glob("chat-*.json"))
    assert len(autosaved) == 1  # the /n autosave; the empty new conversation is not saved
    data = json.loads(autosaved[0].read_text())
    assert data["messages"][3]["content"] == "Say hello\nin one word."
    assert len(data["messages"]) == 5


def test_bad_adapter_is_a_clean_error(tmp_path, capsys):
    junk = tmp_path / "adapter.gguf"
    junk.write_bytes(b"\x00" * 64)
    assert main(["chat", "--adapter", str(junk), "-q", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "adapter.gguf: not a GGUF file" in err
    assert "Traceback" not in err


def test_bad_sampling_values_are_rejected(capsys):
    assert main(["chat", "--top-p", "0", "-q", "hi"]) == 1
    assert "--top-p" in capsys.readouterr().err
