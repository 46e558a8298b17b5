"""An evaluation's results in the window: opened when the job ends and from the job history."""

from __future__ import annotations

from ilabdesk.gui.jobs import FINISHED
from ilabdesk.models.default import default_model_path

QUESTIONS = (
    "leaf: knowledge/brindle\nquestions:\n"
    "  - question: In which town did the Brindle Works open?\n    answer: Ossery.\n    facts: [Ossery]\n"
    "  - question: What is the capital of France?\n    answer: Paris.\n    facts: [Paris]\n"
)


def test_a_finished_evaluation_opens_in_the_results_tab(window, qtbot, tmp_path):
    questions = tmp_path / "q.yaml"
    questions.write_text(QUESTIONS, encoding="utf-8")
    model = str(default_model_path())
    job = window.start_job("evaluate", {"base": model, "tuned": model, "questions": [str(questions)],
                                        "general": 2, "choice_limit": 0, "max_tokens": 16,
                                        "output": str(tmp_path / "eval")})
    qtbot.waitUntil(lambda: job.outcome is not None, timeout=240_000)
    assert job.state == FINISHED, job.outcome
    view = window.results
    qtbot.waitUntil(lambda: window.center.currentWidget() is view, timeout=5_000)
    assert view.path == tmp_path / "eval" / "report.json"
    headline = view.headline.text()
    assert "your held-out questions" in headline and "general questions" in headline
    labels = [view.scores.item(row, 0).text() for row in range(view.scores.rowCount())]
    assert labels[0] == "your held-out questions" and "general questions (forgetting check)" in labels
    assert not view.chart.pixmap().isNull()  # the report's chart.png
    assert view.questions.rowCount() == 4  # 2 of the user's, 2 general
    asked = {view.questions.item(row, 1).text() for row in range(view.questions.rowCount())}
    assert "In which town did the Brindle Works open?" in asked
    answer = view.questions.item(0, 3).text()
    assert answer.startswith(("✔ ", "✘ ")) and len(answer) > 2  # the tuned side's answer, marked
    view.kind.setCurrentIndex(view.kind.findData("general"))
    assert view.questions.rowCount() == 2

    # From the job history, later: the same report.
    window.center.setCurrentWidget(window.editor)
    window.jobs_panel.select(job)
    assert window.jobs_panel.results_button.isEnabled()
    window.jobs_panel.results_button.click()
    assert window.center.currentWidget() is view
