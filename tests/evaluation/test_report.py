"""Scores, per-leaf verdicts, the regression check and the written report."""

import json

from ilabdesk.evaluation.questions import EvalItem
from ilabdesk.evaluation.report import build_report, chart_values, score_answer, write_report


def _row(item, base, tuned):
    return {"item": item.to_dict(), "base": score_answer(item, base), "tuned": score_answer(item, tuned)}


def _rows():
    q1 = EvalItem("user", "knowledge/island", "When settled?", "In 1673.", ["1673"])
    q2 = EvalItem("test", "knowledge/island", "Capital?", "Dunwarrick.", ["Dunwarrick"])
    q3 = EvalItem("test", "knowledge/island", "Export?", "Saltglass.", ["saltglass"])
    mc = EvalItem("choice", "knowledge/island", "Which?", "1673", ["1673"], ["1891", "1673", "1902"], 1, context="s")
    g1 = EvalItem("general", "general", "Capital of France?", "Paris", ["Paris"])
    g2 = EvalItem("general", "general", "2 + 2?", "4", ["4"])
    g3 = EvalItem("general", "general", "Bees make?", "honey", ["honey"])
    sk = EvalItem("skill", "compositional_skills/notes", "Write a note.", "Dear Ann, thank you for the scarf.")
    return [
        _row(sk, "Hello.", "Dear Ann, thank you so much for the scarf."),  # improved by wording
        _row(q1, "In 1900.", "It was settled in 1673."),  # improved
        _row(q2, "Dunwarrick", "Dunwarrick, of course"),  # unchanged
        _row(q3, "saltglass pottery", "fish"),  # regressed
        _row(mc, "A) 1891", "B) 1673"),
        _row(g1, "Paris.", "Paris!"),
        _row(g2, "It is 4.", "five"),  # forgotten
        _row(g3, "wax", "honey"),  # base did not know it: not part of the regression check
    ]


def test_summary_leaves_and_regression():
    report = build_report(_rows(), {"base": "b.gguf", "tuned": "t.gguf"})
    base, tuned = report["summary"]["base"], report["summary"]["tuned"]
    assert base["heldout"] == {"correct": 0, "total": 1, "rate": 0.0}
    assert tuned["heldout"] == {"correct": 1, "total": 1, "rate": 1.0}
    assert (base["choice"]["correct"], tuned["choice"]["correct"]) == (0, 1)
    leaf = report["leaves"]["knowledge/island"]
    assert (leaf["improved"], leaf["regressed"], leaf["unchanged"]) == (2, 1, 1)
    assert report["regression"] == {"checked": 2, "kept": 1, "lost": ["2 + 2?"], "passed": False}
    assert report["leaves"]["compositional_skills/notes"]["improved"] == 1
    assert tuned["skill_rouge_l"] > base["skill_rouge_l"] and base["test"]["total"] == 2


def test_written_report_has_json_markdown_and_chart(tmp_path):
    report = build_report(_rows(), {"base": "b.gguf", "tuned": "t.gguf"})
    written = write_report(report, tmp_path)
    assert json.loads(written["json"].read_text())["regression"]["lost"] == ["2 + 2?"]
    markdown = written["markdown"].read_text()
    assert "| held-out questions answered | 0/1 | 1/1 |" in markdown
    assert "![base vs tuned](chart.png)" in markdown and "Forgotten: 2 + 2?" in markdown
    assert written["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    names = [name for name, _, _ in chart_values(report)]
    assert "held-out" in names and "judge /10" not in names  # no judge ran
    assert not list(tmp_path.glob("*.part"))
