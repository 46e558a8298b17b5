"""How many of the teacher's rewordings of echo questions pass SDG's checks, per document.

Every fact of a knowledge leaf gets an echo question made from its sentence
("A fire damaged the old dairy in 2004, and a new dairy designed by which
architect opened two years later?"); the teacher rewords each, and the
rewordings that pass `KnowledgeGenerator.paraphrase_problem` and point at their
sentence are trained on. A reader asks such a question shortly ("Which architect
designed the new dairy?"), so how many rewordings survive, and how they read,
is what this prints: kept / asked per document, the reasons for the others, and
the first rewordings with their verdicts (--show N). Embedded model as teacher,
two rewordings per echo question, sampled as SDG samples them.

Usage: .venv/bin/python benchmarks/rewordings.py [DOCUMENT ...] [--show N]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from ilabdesk.chat.factory import open_engine
from ilabdesk.documents.convert import to_markdown
from ilabdesk.sdg.facts import document_subject, subject_alias
from ilabdesk.sdg.knowledge import QUESTION, KnowledgeGenerator
from ilabdesk.sdg.prompts import load_prompts
from ilabdesk.sdg.teacher import Teacher, json_ask
from ilabdesk.sdg.text import answer_candidates, points_at, window

DATA = Path(__file__).parent / "data" / "knowledge"
REWORDINGS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("documents", nargs="*", type=Path, help="default: the knowledge benchmark's documents")
    parser.add_argument("--show", type=int, default=0, help="print the first N echo questions with their rewordings")
    args = parser.parse_args()
    documents = args.documents or sorted(DATA.glob("*/documents/*.md"))
    teacher = Teacher(open_engine(None))
    generator = KnowledgeGenerator(load_prompts("smollm"), "rewordings")
    for document in documents:
        text = to_markdown(document)
        subject = document_subject(text)
        facts = answer_candidates(text)
        pairs = generator.echo_pairs(list(enumerate(facts)), facts, subject, subject_alias(text, subject))

        def steps(pairs=pairs, facts=facts):
            prompts = [generator.prompts.paraphrase(window(facts, p["index"], 60), p["question"]) for p in pairs]
            return (yield json_ask([p for p in prompts for _ in range(REWORDINGS)], QUESTION,
                                   [7 + r for _ in pairs for r in range(REWORDINGS)], max_tokens=80, temperature=1.0))

        replies = teacher.run_one(steps())
        verdicts: Counter[str] = Counter()
        for k, pair in enumerate(pairs):
            if k < args.show:
                print(f"  {pair['question']}")
            for reply in replies[REWORDINGS * k:REWORDINGS * (k + 1)]:
                question = reply["question"] if reply else ""
                why = (generator.paraphrase_problem(question, pair["question"], pair["answer"], text, pair.get("term"))
                       if question else "unparsable")
                if not why and not points_at(question, facts, pair["index"]):
                    why = "question_about_other_sentence"
                verdicts[why or "kept"] += 1
                if k < args.show:
                    print(f"      {why or 'kept':<28} {question}")
        asked = REWORDINGS * len(pairs)
        others = ", ".join(f"{reason} {n}" for reason, n in verdicts.most_common() if reason != "kept")
        print(f"{document.name}: kept {verdicts['kept']}/{asked} rewordings of {len(pairs)} echo questions "
              f"({verdicts['kept'] / max(1, asked):.0%}); dropped: {others}")


if __name__ == "__main__":
    main()
