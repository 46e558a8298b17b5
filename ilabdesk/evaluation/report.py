"""Turn answers into scores and a report: report.json, report.md and a bar chart.

Scores per item and side (base, tuned) are computed here from the raw
answers, so the report can always be rebuilt from the answer journal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ilabdesk.evaluation.choice import picked_option
from ilabdesk.evaluation.questions import EvalItem
from ilabdesk.evaluation.scoring import fact_recall, rouge_l
from ilabdesk.fileio import atomic_path, atomic_write_text

SIDES = ("base", "tuned")
KNOWLEDGE_SOURCES = ("document", "test", "user")
JUDGED_SOURCES = ("document", "user", "skill", "test", "skill_seed")  # in the order the judge gets to them
SKILL_SOURCES = ("skill", "skill_seed")
# The tuned model keeps at least this share of the general questions the base answered.
RETENTION_TARGET = 0.95


def score_answer(item: EvalItem, answer: str) -> dict[str, Any]:
    """Reference scores of one answer: fact recall, correct, ROUGE-L (or the picked option)."""
    if item.source == "choice":
        picked = picked_option(answer, item.options)
        correct = picked == item.answer_index
        return {"answer": answer, "picked": picked, "correct": correct, "recall": float(correct)}
    if item.source in SKILL_SOURCES:
        from ilabdesk.sdg.shape import Shape

        scores = {"answer": answer, "correct": False, "why": "no shape to check"}
        if item.shape:
            context = item.context or None
            if item.source == "skill":
                ok, why = Shape.from_dict(item.shape).score(item.task, answer, context, item.task_opening)
            else:
                ok, why = Shape.from_dict(item.shape).check(answer, context)
            scores.update(correct=ok, why=why)
        if item.reference:
            scores["rouge_l"] = round(rouge_l(item.reference, answer), 4)
        return scores
    recall = fact_recall(answer, item.facts)
    scores = {"answer": answer, "recall": recall, "correct": recall == 1.0}
    if item.reference and item.source in JUDGED_SOURCES:
        scores["rouge_l"] = round(rouge_l(item.reference, answer), 4)
    return scores


def _ratio(part: int, whole: int) -> dict[str, Any]:
    return {"correct": part, "total": whole, "rate": round(part / whole, 4) if whole else None}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarize(rows: list[dict[str, Any]], side: str) -> dict[str, Any]:
    """Aggregate scores of one side over rows ({item, base, tuned})."""

    def pick(source: str | tuple[str, ...]) -> list[dict[str, Any]]:
        sources = (source,) if isinstance(source, str) else source
        return [row[side] for row in rows if row["item"]["source"] in sources and side in row]

    knowledge = pick(KNOWLEDGE_SOURCES)
    judged = [s["judge"] for s in knowledge if s.get("judge") is not None]
    return {
        "document": _ratio(sum(s["correct"] for s in pick("document")), len(pick("document"))),
        "heldout": _ratio(sum(s["correct"] for s in pick("user")), len(pick("user"))),
        "test": _ratio(sum(s["correct"] for s in pick("test")), len(pick("test"))),
        "fact_recall": _mean([s["recall"] for s in knowledge if s.get("recall") is not None]),
        "rouge_l": _mean([s["rouge_l"] for s in knowledge if "rouge_l" in s]),
        "judge": _mean([float(j) for j in judged]),
        "judge_unscored": sum(1 for s in knowledge if "judge" in s and s["judge"] is None),
        "skill": _ratio(sum(s["correct"] for s in pick("skill")), len(pick("skill"))),
        "skill_seed": _ratio(sum(s["correct"] for s in pick("skill_seed")), len(pick("skill_seed"))),
        "skill_rouge_l": _mean([s["rouge_l"] for s in pick(SKILL_SOURCES) if "rouge_l" in s]),
        "skill_judge": _mean([float(s["judge"]) for s in pick(SKILL_SOURCES) if s.get("judge") is not None]),
        "choice": _ratio(sum(s["correct"] for s in pick("choice")), len(pick("choice"))),
        "general": _ratio(sum(s["correct"] for s in pick("general")), len(pick("general"))),
    }


def per_leaf(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For each leaf: how many questions improved, regressed or did not change.

    Knowledge compares fact recall, then the judge; skills the judge, then ROUGE-L.
    """
    leaves: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not all(side in row for side in SIDES):
            continue
        leaf = leaves.setdefault(
            row["item"]["leaf"], {"questions": 0, "improved": 0, "regressed": 0, "unchanged": 0, "base_correct": 0, "tuned_correct": 0}
        )
        base, tuned = row["base"], row["tuned"]
        if row["item"]["source"] in SKILL_SOURCES:  # no facts: the shape, the judge, then wording
            key_b = (bool(base["correct"]), base.get("judge") or 0, base.get("rouge_l") or 0.0)
            key_t = (bool(tuned["correct"]), tuned.get("judge") or 0, tuned.get("rouge_l") or 0.0)
        else:
            key_b = (base.get("recall") or 0.0, base.get("judge") or 0)
            key_t = (tuned.get("recall") or 0.0, tuned.get("judge") or 0)
        leaf["questions"] += 1
        leaf["base_correct"] += bool(base["correct"])
        leaf["tuned_correct"] += bool(tuned["correct"])
        leaf["improved" if key_t > key_b else "regressed" if key_t < key_b else "unchanged"] += 1
    return leaves


def forgetting(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The general questions: how many each side answers, and the share of the base's that the tuned
    model keeps. `line` is the one wording of that number for the log, the reports and the window."""
    general = [r for r in rows if r["item"]["source"] == "general" and "base" in r and "tuned" in r]
    base = sum(1 for r in general if r["base"]["correct"])
    tuned = sum(1 for r in general if r["tuned"]["correct"])
    lost = [r["item"]["question"] for r in general if r["base"]["correct"] and not r["tuned"]["correct"]]
    retained = round(tuned / base, 4) if base else None
    line = (f"general questions {base}/{len(general)} -> {tuned}/{len(general)}"
            + (f" ({retained:.0%} of the base's)" if retained is not None else ""))
    return {"total": len(general), "base": base, "tuned": tuned, "retained": retained, "lost": lost,
            "passed": retained is None or retained >= RETENTION_TARGET, "line": line}


def headline(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The result a report leads with: document questions never trained on, else the user's own;
    never the seed Q&A, which were trained on."""
    for key, label in (("document", "document questions"), ("skill", "new skill inputs"),
                       ("heldout", "your held-out questions")):
        base, tuned = summary["base"][key], summary["tuned"][key]
        if tuned["total"]:
            return {"metric": key, "label": label, "base": base["correct"], "tuned": tuned["correct"],
                    "total": tuned["total"], "line": f"{label} {base['correct']}/{base['total']} -> "
                                                     f"{tuned['correct']}/{tuned['total']}"}
    return None


def build_report(rows: list[dict[str, Any]], models: dict[str, Any], judge: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole report as a JSON-able dict; `judge` is the judge's control check (evaluation.job)."""
    summary = {side: summarize(rows, side) for side in SIDES}
    return {
        "models": models,
        "headline": headline(summary),
        "summary": summary,
        "leaves": per_leaf(rows),
        "forgetting": forgetting(rows),
        "judge": judge,
        "items": rows,
    }


def summary_line(report: dict[str, Any]) -> str:
    """One line for the log and the window: the headline first, the seed Q&A marked as taught."""
    summary = report["summary"]
    parts = [report["headline"]["line"]] if report["headline"] else []
    for key, label in (("skill", "new skill inputs"), ("heldout", "your held-out questions"),
                       ("test", "seed Q&A (taught)"), ("skill_seed", "skill seeds (taught)"), ("choice", "multiple choice")):
        base, tuned = summary["base"][key], summary["tuned"][key]
        if tuned["total"] and not (report["headline"] and report["headline"]["metric"] == key):
            parts.append(f"{label} {base['correct']}/{base['total']} -> {tuned['correct']}/{tuned['total']}")
    if report["forgetting"]["total"]:
        parts.append(report["forgetting"]["line"])
    if report.get("judge") and not report["judge"]["able"]:
        parts.append("judge: unable to judge")
    return ", ".join(parts)


# --- rendering ------------------------------------------------------------------

_CHART_METRICS = (
    ("document questions", lambda s: s["document"]["rate"]),
    ("new skill inputs", lambda s: s["skill"]["rate"]),
    ("your questions", lambda s: s["heldout"]["rate"]),
    ("seed Q&A (taught)", lambda s: s["test"]["rate"]),
    ("fact recall", lambda s: s["fact_recall"]),
    ("ROUGE-L", lambda s: s["rouge_l"]),
    ("judge /10", lambda s: s["judge"] / 10 if s["judge"] is not None else None),
    ("skill ROUGE-L", lambda s: s["skill_rouge_l"]),
    ("multiple choice", lambda s: s["choice"]["rate"]),
    ("general", lambda s: s["general"]["rate"]),
)


def chart_values(report: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(metric, base, tuned) for every metric both sides have."""
    values = []
    for name, get in _CHART_METRICS:
        base, tuned = get(report["summary"]["base"]), get(report["summary"]["tuned"])
        if base is not None and tuned is not None:
            values.append((name, base, tuned))
    return values


def write_chart(report: dict[str, Any], path: Path) -> Path | None:
    """A grouped bar chart (PNG) of base vs tuned; None when there is nothing to draw."""
    values = chart_values(report)
    if not values:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(max(5.0, 1.3 * len(values)), 3.6), dpi=110)
    axes = figure.add_subplot()
    positions = range(len(values))
    width = 0.38
    axes.bar([p - width / 2 for p in positions], [v[1] for v in values], width, label="base", color="#9aa5b1")
    axes.bar([p + width / 2 for p in positions], [v[2] for v in values], width, label="tuned", color="#2f7bbf")
    axes.set_xticks(list(positions), [v[0] for v in values], fontsize=8)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("score (0-1)")
    axes.set_title("Base vs tuned")
    axes.legend(fontsize=8)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    return path


def _fmt(value: Any) -> str:
    if isinstance(value, dict) and "correct" in value:
        return f"{value['correct']}/{value['total']}" if value["total"] else "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return "-" if value is None else str(value)


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_markdown(report: dict[str, Any], chart_name: str | None) -> str:
    """The human-readable report."""
    models = report["models"]
    base, tuned = report["summary"]["base"], report["summary"]["tuned"]
    lines = ["# Evaluation: base vs tuned", ""]
    for side in ("base", "tuned", "judge"):
        if models.get(side):
            lines.append(f"- **{side}**: `{models[side]}`" + (f" + adapter `{models.get(side + '_adapter')}`" if models.get(side + "_adapter") else ""))
    if report["headline"]:
        lines += ["", f"**{report['headline']['line']}** (questions never trained on)"]
    judge = report.get("judge")
    if judge and not judge["able"]:
        lines += ["", f"**Judge: unable to judge.** {judge['reason']} {judge['hint']}"]
    lines += ["", "| metric | base | tuned |", "|---|---|---|"]
    for key, label in (
        ("document", "document questions (never trained on)"),
        ("skill", "new skill inputs (never trained on)"),
        ("heldout", "your held-out questions"),
        ("test", "seed Q&A (taught)"),
        ("skill_seed", "skill seeds (taught)"),
        ("fact_recall", "fact recall"),
        ("rouge_l", "ROUGE-L"),
        ("judge", "judge score (1-10)"),
        ("skill_rouge_l", "skills: ROUGE-L"),
        ("skill_judge", "skills: judge score (1-10)"),
        ("choice", "multiple choice correct"),
        ("general", "general questions correct"),
    ):
        lines.append(f"| {label} | {_fmt(base[key])} | {_fmt(tuned[key])} |")
    if chart_name:
        lines += ["", f"![base vs tuned]({chart_name})"]
    lines += ["", "## Per leaf", "", "| leaf | questions | base correct | tuned correct | improved | regressed | no change |", "|---|---|---|---|---|---|---|"]
    for leaf, stats in report["leaves"].items():
        lines.append(
            f"| {leaf} | {stats['questions']} | {stats['base_correct']} | {stats['tuned_correct']} | "
            f"{stats['improved']} | {stats['regressed']} | {stats['unchanged']} |"
        )
    kept = report["forgetting"]
    lines += ["", "## Forgetting", "", kept["line"] + "." + ("" if not kept["lost"] else " Forgotten: " + "; ".join(kept["lost"]))]
    titles = {
        "document": "Document questions (never trained on)", "user": "Your held-out questions",
        "test": "Seed Q&A (taught)", "skill": "New skill inputs (never trained on)",
        "skill_seed": "Skill seeds (taught)", "choice": "Multiple choice",
        "general": "General questions",
    }
    for source, title in titles.items():
        rows = [r for r in report["items"] if r["item"]["source"] == source]
        if not rows:
            continue
        lines += ["", f"## {title}", "", "| question | expected | base | tuned |", "|---|---|---|---|"]
        for row in rows:
            item = row["item"]
            if source == "choice":
                expected = item["options"][item["answer_index"]]
            elif source in SKILL_SOURCES:
                expected = item["reference"] or ("the seeds' shape: " + "; ".join((item.get("shape") or {}).get("notes", [])))
            else:
                expected = ", ".join(f if isinstance(f, str) else " / ".join(f) for f in item["facts"])
            question = item["context"] if source == "choice" else item["question"]
            cells = []
            for side in ("base", "tuned"):
                scores = row.get(side, {})
                mark = "✅" if scores.get("correct") else f"❌ {scores['why']}" if scores.get("why") else "❌"
                judge = f" (judge {scores['judge']})" if scores.get("judge") is not None else ""
                cells.append(f"{mark}{judge} {_cell(scores.get('answer', ''))}")
            lines.append(f"| {_cell(question, 120)} | {_cell(expected, 60)} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], output: Path) -> dict[str, Path]:
    """Write report.json, chart.png and report.md under `output`; returns their paths."""
    output.mkdir(parents=True, exist_ok=True)
    written = {}
    chart = write_chart(report, output / "chart.png")
    if chart:
        written["chart"] = chart
    atomic_write_text(output / "report.json", json.dumps(report, indent=2, ensure_ascii=False))
    written["json"] = output / "report.json"
    atomic_write_text(output / "report.md", render_markdown(report, chart.name if chart else None))
    written["markdown"] = output / "report.md"
    return written
