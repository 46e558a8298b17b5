"""Teacher-drafted seed examples for a knowledge leaf, for the user to review.

Writing 5 contexts x 3 Q&A by hand is the slowest part of making a knowledge
leaf. Here the teacher drafts them from the document with the same
answer-first method SDG uses (answers are sentences of the document; the
teacher writes the questions), and the result goes to `qna.draft.yaml` next
to the leaf. The leaf itself is not changed: the user decides what to keep.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ilabdesk.fileio import atomic_write_text

DRAFT_NAME = "qna.draft.yaml"
CONTEXTS = 5
QUESTIONS = 3
# One generic example turn, since a new leaf has no seeds of its own yet.
_EXAMPLE = ("When was the old stone bridge built?", "The old stone bridge was built in 1602.")


def draft_seed_examples(
    leaf,
    texts: list[str],
    *,
    teacher: str | None = None,
    engine=None,
    seed: int = 7,
    contexts: int = CONTEXTS,
    questions: int = QUESTIONS,
) -> Path:
    """Write `qna.draft.yaml` beside the leaf with up to `contexts` x `questions` Q&A drafted from `texts`."""
    from ilabdesk.documents.chunk import chunk_text
    from ilabdesk.sdg.knowledge import QUESTION, KnowledgeGenerator
    from ilabdesk.sdg.prompts import load_prompts, model_family
    from ilabdesk.sdg.teacher import Teacher
    from ilabdesk.sdg.text import answer_candidates, check_question, fact_score
    from ilabdesk.sdg.units import SeedExample

    owns = engine is None
    if engine is None:
        from ilabdesk.chat.factory import open_engine

        engine = open_engine(teacher)
    try:
        tutor = Teacher(engine)
        generator = KnowledgeGenerator(load_prompts(model_family(teacher)), leaf.rel)
        example = SeedExample("example", None, [_EXAMPLE])
        # Contexts: short passages (seed contexts are at most ~500 words), the most fact-dense first.
        passages = [c for text in texts for c in chunk_text(text, 120, 0, engine.count_tokens)]
        passages.sort(key=lambda p: -sum(fact_score(s) for s in answer_candidates(p)))
        seeds = []
        for index, passage in enumerate(passages[: contexts * 2]):
            if len(seeds) == contexts:
                break
            candidates = sorted(answer_candidates(passage), key=lambda s: -fact_score(s))[: questions + 2]
            if len(candidates) < questions:
                continue
            conversations = [generator.prompts.question(passage, example, answer) for answer in candidates]
            replies = tutor.json(conversations, QUESTION, seed + index)
            qas = []
            for answer, reply in zip(candidates, replies):
                if reply and check_question(reply["question"], answer, passage)[0] and len(qas) < questions:
                    qas.append({"question": reply["question"], "answer": answer})
            if qas:
                seeds.append({"context": passage.strip(), "questions_and_answers": qas})
    finally:
        if owns:
            engine.close()
    header = (
        "# Draft seed examples written by the teacher from your documents.\n"
        "# Review every question and answer, fix or delete them, then copy the good ones\n"
        f"# into {leaf.path.name}. ilabdesk never merges this file by itself.\n"
    )
    path = leaf.dir / DRAFT_NAME
    atomic_write_text(path, header + yaml.safe_dump({"seed_examples": seeds}, sort_keys=False, allow_unicode=True, width=100))
    return path
