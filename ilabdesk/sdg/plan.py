"""A taxonomy leaf made ready for generation: its seeds in one shape, its documents' chunks and
facts, its units, and what the evaluation asks of its seeds again.

sdg.generate runs the plans. Planning reads the leaf and its documents but asks no model (the
engine only counts tokens for chunking).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError
from ilabdesk.sdg.dataset import dataset_name
from ilabdesk.sdg.direct import role_aliases
from ilabdesk.sdg.facts import document_subject, name_aliases, subject_alias, terms_of
from ilabdesk.sdg.knowledge import Source, plan_units
from ilabdesk.sdg.shape import Shape, infer_shape
from ilabdesk.sdg.text import answer_candidates, facts_of
from ilabdesk.sdg.units import SeedExample


@dataclass
class LeafPlan:
    """A leaf made ready for generation: its seeds, its sources and its units."""

    name: str
    rel: str
    kind: str  # knowledge | freeform_skill | grounded_skill
    seeds: list[SeedExample]
    units: list[tuple[str, Any]] = field(default_factory=list)  # (unit id, unit object)
    documents: list[str] = field(default_factory=list)
    chunks: int = 0
    facts: list[str] = field(default_factory=list)  # the documents' fact-bearing sentences
    seeded: set[str] = field(default_factory=set)  # those a seed example states too
    subject: str = ""  # the first document's subject
    alias: tuple[str, str] = ("", "")  # its short and full names (facts.subject_alias)
    names: tuple[tuple[str, str], ...] = ()  # the same for other things it names (facts.name_aliases)
    roles: tuple[tuple[str, str], ...] = ()  # (name, role) of things it also calls by a role (direct.role_aliases)


def in_seed(sentence: str, seed: SeedExample) -> bool:
    """Does the seed example state this sentence: in its context, or every name and number in an answer?"""
    flat = " ".join(sentence.split())
    context = " ".join(seed.context.split()) if seed.context else ""
    # also as the passage writes it, where the sentence got its subject for "It" (facts.stands_alone)
    words = flat.split()
    written = [flat] + [f"{pronoun} {' '.join(words[k:])}" for k in range(1, min(8, len(words)))
                        for pronoun in ("It", "Its")]
    if context and any(form in context for form in written):
        return True
    terms = {t.text for t in terms_of(sentence)}
    return bool(terms) and any(all(t in answer for t in terms) for _, answer in seed.qas)


def seed_examples(data: dict[str, Any], path: Path) -> list[SeedExample]:
    """The leaf's seed examples in one shape for both schemas (knowledge v3: a context with
    questions_and_answers; skills: question/answer with an optional context)."""
    seeds = []
    for number, raw in enumerate(data.get("seed_examples") or []):
        if not isinstance(raw, dict):
            continue
        qas = []
        if isinstance(raw.get("questions_and_answers"), list):
            for qa in raw["questions_and_answers"]:
                if isinstance(qa, dict) and qa.get("question") and qa.get("answer"):
                    qas.append((" ".join(str(qa["question"]).split()), " ".join(str(qa["answer"]).split())))
        elif raw.get("question") and raw.get("answer"):
            qas.append((str(raw["question"]).strip(), str(raw["answer"]).strip()))
        if qas:
            context = str(raw["context"]).strip() if raw.get("context") else None
            seeds.append(SeedExample(f"s{number}", context, qas))
    if not seeds:
        raise UserError(f"{path}: the leaf has no usable seed examples", hint="add seed_examples with questions and answers")
    return seeds


def plan_leaf(qna: Path, engine, chunk_tokens: int) -> LeafPlan:
    from ilabdesk.documents.chunk import chunk_text
    from ilabdesk.documents.convert import to_markdown
    from ilabdesk.taxonomy.leaf import load_leaf

    leaf = load_leaf(qna)
    name = dataset_name(leaf.rel)
    seeds = seed_examples(leaf.data, leaf.path)
    if leaf.kind != "knowledge":
        kind = "grounded_skill" if leaf.grounded else "freeform_skill"
        plan = LeafPlan(name, leaf.rel, kind, seeds)
        plan.units = [(seed.id, seed) for seed in seeds]
        return plan

    plan = LeafPlan(name, leaf.rel, "knowledge", seeds)
    sources: list[Source] = []
    if leaf.data.get("document"):
        from ilabdesk.taxonomy.documents import resolve_documents

        for doc_index, path in enumerate(resolve_documents(leaf)):
            plan.documents.append(str(path))
            text = to_markdown(path)
            subject = document_subject(text)
            alias, names, roles = subject_alias(text, subject), name_aliases(text, subject), role_aliases(text)
            for chunk_index, chunk in enumerate(chunk_text(text, chunk_tokens, 50, engine.count_tokens)):
                sources.append(Source(f"d{doc_index}c{chunk_index}", chunk, subject=subject, alias=alias, names=names,
                                      roles=roles))
    plan.chunks = len(sources)
    plan.subject = sources[0].subject if sources else ""
    plan.alias = sources[0].alias if sources else ("", "")
    plan.names = sources[0].names if sources else ()
    plan.roles = sources[0].roles if sources else ()
    # The seed contexts are the passages the user chose as the ones that matter: each also
    # gets its own unit with its own seed, so their facts get the most questions. A context
    # found in a chunk is shown as that chunk and planned right after it (see Source.shown).
    for seed in seeds:
        if seed.context:
            context = Source(f"ctx{seed.id[1:]}", seed.context, seed.id, subject=plan.subject, alias=plan.alias,
                             names=plan.names, roles=plan.roles)
            flat = " ".join(seed.context.split())
            chunk = next((i for i, s in enumerate(sources) if not s.seed_id and flat in " ".join(s.text.split())), None)
            if chunk is None:
                sources.append(context)
            else:
                context.shown = sources[chunk].text
                sources.insert(chunk + 1 + sum(1 for s in sources[chunk + 1:] if s.shown == context.shown), context)
    plan.units = [(u.id, u) for u in plan_units(sources, seeds)]
    plan.facts = list(dict.fromkeys(s for source in sources if not source.seed_id for s in answer_candidates(source.text)))
    plan.seeded = {s for s in plan.facts if any(in_seed(s, seed) for seed in seeds)}
    return plan


def skill_shape(plan: LeafPlan) -> Shape:
    """The shape a skill leaf's seed answers share (with their contexts, for a grounded skill)."""
    grounded = plan.kind == "grounded_skill"
    return infer_shape([a for seed in plan.seeds for _, a in seed.qas],
                       [seed.context for seed in plan.seeds for _ in seed.qas] if grounded else None)


def held_out_samples(plan: LeafPlan) -> list[dict[str, Any]]:
    """The seed Q&A as the evaluation asks them again, reported as taught (they are trained on):
    knowledge samples carry the facts to look for, skill samples the seeds' shape. What training
    never saw is in eval_<leaf>.jsonl (sdg.heldout) and the user's own questions."""
    shape = skill_shape(plan).to_dict() if plan.kind != "knowledge" else None
    rows = []
    for seed in plan.seeds:
        for question, answer in seed.qas:
            meta: dict[str, Any] = {"leaf": plan.name, "leaf_path": plan.rel, "kind": plan.kind, "seed": seed.id}
            if plan.kind == "knowledge":
                meta["facts"] = facts_of(question, answer)
                meta["context"] = seed.context
            else:
                meta.update(shape=shape, question=question, context=seed.context if plan.kind == "grounded_skill" else None)
            user = question if plan.kind != "grounded_skill" or not seed.context else f"{seed.context}\n\n{question}"
            rows.append({"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}],
                         "metadata": meta})
    return rows
