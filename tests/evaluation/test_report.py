"""Scores, per-leaf verdicts, the headline, the forgetting check and the written report."""

import json

from ilabdesk.evaluation.questions import EvalItem
from ilabdesk.evaluation.report import build_report, chart_values, score_answer, summary_line, write_report


def _row(item, base, tuned):
    return {"item": item.to_dict(), "base": score_answer(item, base), "tuned": score_answer(item, tuned)}


def _rows():
    q1 = EvalItem("user", "knowledge/island", "When settled?", "In 1673.", ["1673"])
    d1 = EvalItem("document", "knowledge/island", "Which engineer built the lighthouse?", "Oskoven built it.", ["Oskoven"])
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
        _row(d1, "A man.", "Mirela Oskoven."),  # improved
        _row(q2, "Dunwarrick", "Dunwarrick, of course"),  # unchanged
        _row(q3, "saltglass pottery", "fish"),  # regressed
        _row(mc, "A) 1891", "B) 1673"),
        _row(g1, "Paris.", "Paris!"),
        _row(g2, "It is 4.", "five"),  # forgotten
        _row(g3, "wax", "honey"),  # base did not know it, the tuned model does
    ]


def test_summary_leaves_headline_and_forgetting():
    report = build_report(_rows(), {"base": "b.gguf", "tuned": "t.gguf"})
    base, tuned = report["summary"]["base"], report["summary"]["tuned"]
    assert base["heldout"] == {"correct": 0, "total": 1, "rate": 0.0}
    assert tuned["heldout"] == {"correct": 1, "total": 1, "rate": 1.0}
    assert (base["choice"]["correct"], tuned["choice"]["correct"]) == (0, 1)
    leaf = report["leaves"]["knowledge/island"]
    assert (leaf["improved"], leaf["regressed"], leaf["unchanged"]) == (3, 1, 1)
    # the headline is the questions never trained on, not the seed Q&A
    assert report["headline"]["line"] == "document questions 0/1 -> 1/1"
    forgetting = report["forgetting"]
    assert (forgetting["base"], forgetting["tuned"], forgetting["total"]) == (2, 2, 3)
    assert forgetting["lost"] == ["2 + 2?"] and forgetting["passed"]  # 2 of the base's 2: 100%
    assert forgetting["line"] == "general questions 2/3 -> 2/3 (100% of the base's)"
    line = summary_line(report)
    assert line.startswith("document questions 0/1 -> 1/1") and "seed Q&A (taught) 2/2 -> 1/2" in line
    assert line.endswith(forgetting["line"])
    assert report["leaves"]["compositional_skills/notes"]["improved"] == 1
    assert tuned["skill_rouge_l"] > base["skill_rouge_l"] and base["test"]["total"] == 2


def test_written_report_has_json_markdown_and_chart(tmp_path):
    report = build_report(_rows(), {"base": "b.gguf", "tuned": "t.gguf"})
    written = write_report(report, tmp_path)
    written_json = json.loads(written["json"].read_text())
    assert written_json["forgetting"]["lost"] == ["2 + 2?"]
    markdown = written["markdown"].read_text()
    assert "**document questions 0/1 -> 1/1** (questions never trained on)" in markdown
    assert "| your held-out questions | 0/1 | 1/1 |" in markdown and "| seed Q&A (taught) | 2/2 | 1/2 |" in markdown
    assert "![base vs tuned](chart.png)" in markdown and "Forgotten: 2 + 2?" in markdown
    # the forgetting number reads the same in report.json and report.md
    assert written_json["forgetting"]["line"] + "." in markdown
    assert written["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    names = [name for name, _, _ in chart_values(report)]
    assert names[0] == "document questions" and "judge /10" not in names  # no judge ran
    assert not list(tmp_path.glob("*.part"))
