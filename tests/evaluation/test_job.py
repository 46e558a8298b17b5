"""The evaluate job with the real embedded GGUF: answers, judge, report, resume."""

import json

import pytest

from ilabdesk.errors import UserError
from ilabdesk.evaluation.job import run
from ilabdesk.jobs.events import Cancel
from ilabdesk.models.default import default_model_path

DOC = """# Brindle Works

The Brindle Works opened in 1912 in the town of Ossery.
A second mill followed in 1931 near the river Tamsel.
In 1955 the company was sold to Carrow Holdings.
The last loom stopped in 1987, after 75 years of work.
"""


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """One evaluation of the embedded model against itself (kept small: each answer is real inference)."""
    root = tmp_path_factory.mktemp("eval")
    (root / "doc.md").write_text(DOC, encoding="utf-8")
    (root / "q.yaml").write_text(
        "leaf: knowledge/brindle\nquestions:\n"
        "  - question: In which town did the Brindle Works open?\n    answer: Ossery.\n    facts: [Ossery]\n"
        "  - question: When did the last loom stop?\n    answer: The last loom stopped in 1987.\n    facts: ['1987']\n",
        encoding="utf-8",
    )
    model = str(default_model_path())
    args = {
        "base": model,
        "tuned": model,
        "questions": [str(root / "q.yaml")],
        "documents": [{"leaf": "knowledge/brindle", "path": str(root / "doc.md")}],
        "choice_limit": 2,
        "general": 2,
        "judge": "default",
        "judge_limit": 2,
        "max_tokens": 24,
        "output": str(root / "out"),
    }
    events = list(run(args, Cancel()))
    return args, events, root / "out"


def test_report_compares_both_sides(evaluated):
    args, events, out = evaluated
    done = events[-1]
    assert done.type == "done"
    report = json.loads((out / "report.json").read_text())
    sources = [row["item"]["source"] for row in report["items"]]
    assert sources.count("user") == 2 and sources.count("choice") == 2 and sources.count("general") == 2
    for row in report["items"]:
        if row["item"]["source"] == "choice":  # a real question, options of one kind
            assert row["item"]["question"].split("\n")[0].endswith("?")
            assert all(o.isdigit() for o in row["item"]["options"]) or not any(o.isdigit() for o in row["item"]["options"])
    # The same model, greedy: both sides answer alike, so nothing improves or regresses.
    for row in report["items"]:
        assert row["base"]["answer"] == row["tuned"]["answer"]
    assert all(leaf["improved"] == leaf["regressed"] == 0 for leaf in report["leaves"].values())
    assert report["forgetting"]["passed"] and report["forgetting"]["base"] >= 1  # "capital of France" is known
    assert report["forgetting"]["line"] in done.message
    # the judge was first checked on control pairs: each reference against a wrong answer to its question
    judge = report["judge"]
    assert judge["controls"] and all(c["reference"] != c["wrong"] for c in judge["controls"])
    able = all(c["wrong_score"] is not None and c["reference_score"] is not None
               and c["wrong_score"] < c["reference_score"] for c in judge["controls"])
    assert judge["able"] == able
    user_row = next(r for r in report["items"] if r["item"]["source"] == "user")
    if able:  # it rated both sides and left its reasons
        assert "judge_reason" in user_row["base"] and "judge" in user_row["tuned"]
    else:  # reported as unable, with no scores
        assert "judge" not in user_row["base"] and "judge: unable to judge" in done.message
        assert "bigger judge" in judge["hint"] and "unable to judge" in (out / "report.md").read_text()
    assert (out / "report.md").read_text().startswith("# Evaluation: base vs tuned")
    assert (out / "chart.png").stat().st_size > 1000


def test_rerun_resumes_from_the_journal(evaluated):
    args, events, out = evaluated
    before = (out / "report.json").read_text()
    again = list(run(args, Cancel()))
    assert not [e for e in again if e.type == "stage"]  # no model was loaded
    assert again[-1].type == "done"
    assert json.loads((out / "report.json").read_text())["items"] == json.loads(before)["items"]


def test_judge_none_rates_nothing(evaluated):
    args, events, out = evaluated
    again = list(run({**args, "judge": "none"}, Cancel()))
    assert not [e for e in again if e.type == "stage"]  # answers journaled, and no judge is loaded
    user_row = next(r for r in json.loads((out / "report.json").read_text())["items"] if r["item"]["source"] == "user")
    assert "judge" not in user_row["base"]


def test_control_pairs_swap_a_fact_for_one_of_the_same_shape():
    from ilabdesk.evaluation.job import control_pairs
    from ilabdesk.evaluation.questions import EvalItem

    items = [EvalItem("user", "x", "When was it built?", "It was built in 1891.", ["1891"]),
             EvalItem("user", "x", "Who designed it?", "Mirela Oskoven designed it.", ["Mirela Oskoven"]),
             EvalItem("user", "x", "How tall is it?", "It is 46 metres tall.", ["46"])]
    pairs = dict((item.question, wrong) for item, wrong in control_pairs(items))
    assert pairs["When was it built?"] == "It was built in 46."  # a number for a number
    assert pairs["How tall is it?"] == "It is 1891 metres tall."
    assert pairs["Who designed it?"] == "It was built in 1891."  # no other name: another question's answer


def test_nothing_to_ask_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="nothing to evaluate"):
        list(run({"output": str(tmp_path), "tuned": "x.gguf"}, Cancel()))


def test_general_answers_do_not_depend_on_the_questions_asked_before_them(tmp_path):
    """Each kind of question is answered from a clean prompt cache: reused cells keep, in their last
    bits, the batch shapes that computed them, and the base model answered 21 of the 48 general
    questions in other words after another leaf's questions (its score moved by up to 5 of 48
    between runs), so the forgetting check compared noise."""
    from ilabdesk.chat.engine import GenerationParams
    from ilabdesk.evaluation.job import Journal, _answer_side, side_identity
    from ilabdesk.evaluation.questions import EvalItem, general_items
    from ilabdesk.jobs.events import ProgressTracker

    before = {
        "a": ["When did the Brindle Works open?", "Where is the second mill?", "Who bought the company in 1955?",
              "When did the last loom stop?", "How many years did the works run?", "What is Ossery?",
              "Which river is near the second mill?", "What did Carrow Holdings buy?"],
        "b": ["How much does an adult ticket for the viewing night cost?", "Who found the comet in 1911?",
              "How many wheels does the dome turn on?", "In which month is the Meteor Watch held?",
              "How many members does the society have?", "What is in the small west dome?",
              "When did the observatory open to the public?", "How wide is the lens of the main telescope?"],
    }
    general = general_items()[:12]
    model, system = str(default_model_path()), "You are a helpful assistant."
    params = GenerationParams(temperature=0.0, top_p=1.0, max_tokens=64, seed=0)
    identity = side_identity(model, None, params, system)
    answers = {}
    for name, questions in before.items():
        items = [EvalItem("user", "brindle", q) for q in questions] + general
        journal = Journal(tmp_path / name / "answers.jsonl")
        tracker = ProgressTracker(len(items), 0, stage="evaluate")
        list(_answer_side("base", model, None, items, journal, params, system, tracker, Cancel()))
        answers[name] = [journal.get(f"base:{identity}:{item.id}")["answer"] for item in general]
        journal.close()
    assert answers["a"] == answers["b"]
