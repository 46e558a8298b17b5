"""Chat compare with the real embedded model in both panes, streaming at the same time."""

from __future__ import annotations

from gui_helpers import GapMeter
from PySide6.QtCore import Qt

from ilabdesk.gui.chat_compare import ModelChoice, word_diff


def test_both_panes_stream_tokens_and_ui_stays_responsive(window, qtbot):
    chat = window.chat
    window.center.setCurrentWidget(chat)
    chat.params.update(max_tokens=24, temperature=0.0, seed=1)
    qtbot.waitUntil(lambda: chat.original.picker.count() > 1)
    assert chat.original.choice() == ModelChoice("smollm2-135m-instruct (embedded)", None)
    chat.tuned.select(chat.original.choice())
    # Loading a model (dlopen of llama.cpp, reading the GGUF) happens once, before streaming.
    for pane in chat.panes:
        pane.ensure_loaded()
    qtbot.waitUntil(lambda: all("loaded" in p.status.text() for p in chat.panes), timeout=60_000)
    meter = GapMeter()
    meter.start()
    qtbot.keyClicks(chat.prompt, "What is the capital of France?")
    qtbot.mouseClick(chat.send_button, Qt.MouseButton.LeftButton)
    assert not chat.send_button.isEnabled() and chat.stop_button.isEnabled()
    # Both panes receive tokens before either has finished: they stream at the same time.
    qtbot.waitUntil(lambda: all(p.tokens_seen >= 2 for p in chat.panes), timeout=60_000)
    assert chat.busy()
    qtbot.waitUntil(lambda: not chat.busy(), timeout=60_000)
    meter.stop()
    for pane in chat.panes:
        answer = pane.last_answer()
        assert answer.strip(), pane.status.text()
        assert pane.tokens_seen > 3
        assert answer in pane.transcript.toPlainText().replace("\u2029", "\n") or answer.split()[0] in pane.transcript.toPlainText()
        assert "tok/s" in pane.status.text()
    assert "Paris" in chat.original.last_answer()
    meter.assert_responsive(0.1)

    # Same model, same seed, greedy: no differences to show.
    chat.diff_toggle.setChecked(True)
    assert chat.original.highlight == set() and chat.tuned.highlight == set()

    # A second turn keeps the conversation; Stop ends a long answer early.
    chat.params.update(max_tokens=400)
    qtbot.keyClicks(chat.prompt, "Write a long story about it.")
    qtbot.keyClick(chat.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: all(p.tokens_seen >= 3 for p in chat.panes), timeout=60_000)
    qtbot.mouseClick(chat.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not chat.busy(), timeout=30_000)
    assert all(len(p.history) == 4 for p in chat.panes)
    assert all("stopped" in p.status.text() for p in chat.panes)
    assert all(p.tokens_seen < 400 for p in chat.panes)
    qtbot.mouseClick(chat.new_button, Qt.MouseButton.LeftButton)
    assert all(p.history == [] for p in chat.panes)


def test_word_diff_marks_only_changed_words(qtbot):
    only_a, only_b = word_diff("The capital is Paris.", "The capital is Lyon, I think.")
    assert only_a == {3}
    assert only_b == {3, 4, 5}
    from ilabdesk.gui.chat_compare import ChatPane

    pane = ChatPane("tuned")
    qtbot.addWidget(pane)
    pane.history = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "The capital is Lyon, I think."}]
    pane.highlight = only_b
    pane.render()
    assert pane.transcript.toHtml().count("background-color") >= 3
    pane.shutdown()


def test_run_folder_offers_base_plus_adapter_and_fused(tmp_path):
    import json

    from ilabdesk.gui.chat_compare import run_choices

    run = tmp_path / "run-1"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"base_gguf": "/models/base.gguf"}))
    (run / "adapter.gguf").write_bytes(b"x")
    (run / "model-Q4_K_M.gguf").write_bytes(b"x")
    choices = run_choices(run)
    assert choices[0] == ModelChoice("run-1: base + adapter", "/models/base.gguf", str(run / "adapter.gguf"))
    assert choices[1] == ModelChoice("run-1: fused Q4_K_M", str(run / "model-Q4_K_M.gguf"))
