"""The model-free checks that keep a weak teacher's output faithful."""

from __future__ import annotations

import json

import pytest
import yaml

from ilabdesk.errors import UserError
from ilabdesk.sdg.dataset import DatasetDir, UnitRecord
from ilabdesk.sdg.knowledge import Source, plan_units
from ilabdesk.sdg.teacher import parse_json
from ilabdesk.sdg.knowledge import QUESTION
from ilabdesk.sdg.text import answer_candidates, check_question, facts_of, grounded, points_at, topic_words
from ilabdesk.sdg.units import Dedup, SeedExample

PASSAGE = (
    "Vellmora is a small island nation in the Quintal Sea. Its capital is Port Ambrel, a harbor city of "
    "84,000 people. Vellmora's highest mountain is Mount Caradine, which rises 2,317 meters. "
    "The current chief elder is Odessa Brannock, who was elected in 2019."
)


def test_grounding_rejects_invented_names_and_numbers():
    assert grounded("The capital is Port Ambrel, with 84,000 people.", PASSAGE)[0]
    ok, reason = grounded("The capital is Port Ambrel, with 90,000 people.", PASSAGE)
    assert not ok and "90,000" in reason
    ok, reason = grounded("The chief elder is Mara Quill.", PASSAGE)
    assert not ok and "mara" in reason


def test_question_checks():
    answer = "Its capital is Port Ambrel, a harbor city of 84,000 people."
    assert check_question("What is the capital of Vellmora?", answer, PASSAGE) == (True, "")
    assert check_question("The capital of Vellmora.", answer, PASSAGE) == (False, "not_a_question")
    assert check_question("What is the capital of Zorbania?", answer, PASSAGE) == (False, "question_invented_name")
    assert check_question("What does the text say about Vellmora?", answer, PASSAGE) == (False, "question_mentions_text")
    assert check_question("Who is the chief elder?", answer, PASSAGE)[1] == "question_not_about_answer"
    assert check_question("Is Port Ambrel a harbor city of 84,000 people?", answer, PASSAGE)[1] == "answer_in_question"


def test_the_answer_must_hold_what_the_question_asks_for():
    elder = "The current chief elder is Odessa Brannock, who was elected in 2019."
    mountain = "Vellmora's highest mountain is Mount Caradine, which rises 2,317 meters."
    assert check_question("Who is the current chief elder of Vellmora?", elder, PASSAGE) == (True, "")
    assert check_question("In what year was the chief elder elected?", elder, PASSAGE) == (True, "")
    assert check_question("How many meters does Mount Caradine rise?", mountain, PASSAGE) == (True, "")
    # a person, a year or a count asked for, and the answer has none besides the question's own
    assert check_question("Who climbed Mount Caradine?", mountain, PASSAGE) == (False, "answer_does_not_fit_question")
    assert check_question("In what year is Mount Caradine the highest mountain?", mountain, PASSAGE)[1] == (
        "answer_does_not_fit_question")  # 2,317 is no year
    nation = "Vellmora is a small island nation in the Quintal Sea."
    assert check_question("How many islands does the nation of Vellmora have?", nation, PASSAGE)[1] == (
        "answer_does_not_fit_question")
    # "who was <name>?" asks what the person was, not for a name
    assert check_question("Who is Odessa Brannock?", elder, PASSAGE) == (True, "")


def test_question_must_point_at_its_answer_sentence():
    sentences = answer_candidates(PASSAGE)
    elder = next(i for i, s in enumerate(sentences) if "Brannock" in s)
    capital = next(i for i, s in enumerate(sentences) if "Port Ambrel" in s)
    assert not points_at("What is the current highest mountain in Vellmora?", sentences, elder)
    assert points_at("Who is the current chief elder?", sentences, elder)
    assert points_at("What is the capital of Vellmora?", sentences, capital)  # "Its capital" still counts


def test_facts_are_the_new_names_and_numbers():
    assert facts_of("What is the capital of Vellmora?", "The capital of Vellmora is Port Ambrel.") == ["Port Ambrel"]
    assert facts_of("How tall is Mount Caradine?", "Mount Caradine is 2,317 meters tall.") == ["2,317"]
    assert facts_of("What do otters eat?", "They eat blue kelp.") == ["blue", "kelp"]


def test_strict_parsing_never_raises():
    assert parse_json('{"question": "Why?"}', QUESTION) == {"question": "Why?"}
    assert parse_json('```json\n{"question": "Why  is\\nit?"}\n```', QUESTION) == {"question": "Why is it?"}
    assert parse_json('{"question": "Why is\nit?"}', QUESTION) == {"question": "Why is it?"}  # a raw newline
    for bad in ("", "no json here", '{"question": ', '{"answer": "x"}', '{"question": ""}', '{"question": 3}', "[1, 2]"):
        assert parse_json(bad, QUESTION) is None


def test_near_duplicates():
    dedup = Dedup()
    dedup.add("What is the capital of Vellmora?")
    assert dedup.is_duplicate("what is the capital of vellmora")
    assert not dedup.is_duplicate("How tall is Mount Caradine?")
    # the echo questions of one sentence's two facts: near-identical words, different facts asked for
    trains = "The school trains how many apprentices each year; an apprenticeship lasts three years?"
    lasts = "The school trains four apprentices each year; an apprenticeship lasts how many years?"
    assert Dedup().is_duplicate(lasts, [trains])
    by_facts = Dedup(by_facts=True)
    by_facts.add(trains)
    assert not by_facts.is_duplicate(lasts)
    assert by_facts.is_duplicate("the school trains how many apprentices each year, an apprenticeship lasts three years")


def test_units_cover_every_candidate_sentence():
    seeds = [SeedExample(f"s{i}", None, [("Q?", "A.")]) for i in range(3)]
    units = plan_units([Source("d0c0", PASSAGE)], seeds)
    assert [u.id for u in units] == ["d0c0/s0", "d0c0/s1", "d0c0/s2"]
    answers = [i for u in units for i in u.answers]
    assert sorted(answers) == list(range(len(answer_candidates(PASSAGE))))  # each sentence is one unit's
    assert plan_units([Source("d0c0", PASSAGE)], seeds) == units  # deterministic


def test_resume_drops_the_unfinished_unit_and_a_torn_line(tmp_path):
    settings = {"seed": 1}
    dataset = DatasetDir(tmp_path, settings)
    writer = dataset.leaf("leaf")
    sample = lambda unit, n: {"messages": [], "metadata": {"unit": unit, "question": f"q{n}"}}  # noqa: E731
    writer.write_unit(UnitRecord("leaf", "u1", 2, 1, 2, {"duplicate": 1}), [sample("u1", 1), sample("u1", 2)])
    # a crash while unit u2 was being written: one full line and one torn line, no journal entry
    with open(tmp_path / "train_leaf.jsonl", "a") as torn:
        torn.write(json.dumps(sample("u2", 3)) + "\n" + '{"messages": [], "meta')
    with open(tmp_path / ".sdg" / "journal.jsonl", "a") as journal:
        journal.write('{"leaf": "leaf", "unit": "u2", "gen')  # torn journal line too
    dataset.close()

    resumed = DatasetDir(tmp_path, settings)
    assert set(resumed.records["leaf"]) == {"u1"}
    writer = resumed.leaf("leaf")
    lines = (tmp_path / "train_leaf.jsonl").read_text().splitlines()
    assert [json.loads(line)["metadata"]["question"] for line in lines] == ["q1", "q2"]
    assert resumed.leaf_summary("leaf") == {"units": 1, "generated": 2, "kept": 1, "samples": 2, "dropped": {"duplicate": 1}}
    resumed.close()


def test_a_skill_phase_replays_fewer_everyday_answers_than_a_knowledge_phase(tmp_path):
    from ilabdesk.sdg.dataset import REPLAY_SHARE, SKILL_REPLAY

    def write(name: str, count: int) -> None:
        (tmp_path / name).write_text("".join(json.dumps({"messages": [], "n": i}) + "\n" for i in range(count)))

    write("train_k.jsonl", 600)
    write("train_s.jsonl", 120)
    write("train_replay.jsonl", 2 * SKILL_REPLAY)
    dataset = DatasetDir(tmp_path, {"seed": 1})
    knowledge, skills = yaml.safe_load(dataset.write_recipe(["k"], ["s"], replay=True).read_text())["phases"]
    dataset.close()
    replayed = {p["name"]: next(d for d in p["datasets"] if d["path"] == "train_replay.jsonl")
                for p in (knowledge, skills)}
    assert "first" not in replayed["knowledge"] and replayed["skills"]["first"] == SKILL_REPLAY
    # still a quarter of the phase: the skill's 120 samples and the knowledge at half weight
    replay = replayed["skills"]["weight"] * SKILL_REPLAY
    assert replay / (120 + 0.5 * 600 + replay) == pytest.approx(REPLAY_SHARE, abs=0.01)


def test_resume_with_other_settings_is_refused(tmp_path):
    DatasetDir(tmp_path, {"seed": 1}).close()
    with pytest.raises(UserError, match="other settings \\(seed\\)"):
        DatasetDir(tmp_path, {"seed": 2})


def test_prompts_are_overridable_per_model_family():
    from ilabdesk.sdg.prompts import load_prompts, model_family, render
    from ilabdesk.settings import paths

    assert model_family(None) == "smollm"
    assert model_family("/models/Mistral-7B-Instruct.Q4_K_M.gguf") == "mistral"
    assert model_family("http://127.0.0.1:8000/v1#granite-3b") == "granite"
    folder = paths().config / "prompts"
    folder.mkdir()
    (folder / "mistral.yaml").write_text("paraphrase:\n  user: 'Say it differently: {{question}}'\n", encoding="utf-8")
    assert load_prompts("mistral")["paraphrase"]["user"] == "Say it differently: {{question}}"
    assert load_prompts("mistral")["paraphrase"]["examples"]  # keys not overridden keep the bundled value
    assert load_prompts("smollm")["paraphrase"]["user"] != "Say it differently: {{question}}"
    (folder / "default.yaml").write_text("paraphrse: {}\n", encoding="utf-8")
    with pytest.raises(UserError, match="unknown prompt name"):
        load_prompts("llama")
    with pytest.raises(UserError, match="passage"):
        render("Text: {{passage}}", question="q")


def test_answers_are_whole_sentences_of_hard_wrapped_text():
    wrapped = (
        "# Vellmora\n\nVellmora is a small island nation in the Quintal Sea. Its capital is Port\n"
        "Ambrel, a harbor city of 84,000 people.\n\n"
        "- The island's main export is blue kelp, dried in the sun.\n"
        "- The harbor of Port Ambrel was dredged\n  in 1911 by the engineer Ilse Varro.\n"
    )
    assert answer_candidates(wrapped) == [
        # "Its capital ..." says whose with the subject of the sentence before it
        "Vellmora is a small island nation in the Quintal Sea.",
        "Vellmora's capital is Port Ambrel, a harbor city of 84,000 people.",
        "The island's main export is blue kelp, dried in the sun.",
        "The harbor of Port Ambrel was dredged in 1911 by the engineer Ilse Varro.",
    ]


def test_a_question_that_only_names_the_topic_is_dropped():
    topic = topic_words(["What is the capital of Vellmora?", "How high is Vellmora's highest mountain?",
                         "Who is the chief elder of Vellmora?", "Which sea is Vellmora in?"])
    assert topic == {"vellmora"}
    answer = "Vellmora is a small island nation in the Quintal Sea."
    assert check_question("What is Vellmora?", answer, PASSAGE, topic=topic) == (False, "question_only_names_topic")
    assert check_question("Which sea is Vellmora in?", answer, PASSAGE, topic=topic) == (True, "")
    assert topic_words(["What is Vellmora?", "Where is Vellmora?"]) == frozenset()  # too few seeds to tell


def test_a_question_near_copying_one_committed_meanwhile_is_dropped_at_commit():
    """Units run side by side, so two may write the same question; the later unit in the plan loses it."""
    from ilabdesk.sdg.knowledge import KnowledgeGenerator, KnowledgeUnit
    from ilabdesk.sdg.units import UnitOutcome
    from ilabdesk.sdg.prompts import load_prompts

    generator = KnowledgeGenerator(load_prompts("smollm"), "x")
    seed = SeedExample("s0", None, [("What is the capital of Vellmora?", "Its capital is Port Ambrel.")])
    units = plan_units([Source("d0c0", PASSAGE)], [seed])
    pair = {"question": "How tall is Mount Caradine?", "answer": "Mount Caradine rises 2,317 meters.",
            "index": 2, "origin": "question", "context": PASSAGE, "fact": "Mount Caradine rises 2,317 meters."}
    first = generator.commit(units[0], UnitOutcome(pairs=[pair]))
    again = generator.commit(units[0], UnitOutcome(pairs=[{**pair, "question": "how tall is mount Caradine?"},
                                                          {**pair, "question": "Who is the chief elder?"}]))
    assert (first.kept, len(first.samples)) == (1, 2)  # with and without its context
    assert (again.kept, again.dropped["duplicate"]) == (1, 1)
    assert [s["metadata"]["question"] for s in again.samples] == ["Who is the chief elder?"] * 2
    assert isinstance(units[0], KnowledgeUnit) and not again.pairs


def test_every_other_question_of_a_fact_names_the_subject_in_full():
    """The document says "the island"; a reader asks about "Vellmora Island": both forms are taught,
    the full one first (a fact with one such question gets it in full)."""
    from ilabdesk.sdg.knowledge import KnowledgeGenerator
    from ilabdesk.sdg.units import UnitOutcome
    from ilabdesk.sdg.prompts import load_prompts

    generator = KnowledgeGenerator(load_prompts("smollm"), "x")
    seed = SeedExample("s0", None, [("What is the capital of Vellmora?", "Its capital is Port Ambrel.")])
    unit = plan_units([Source("d0c0", PASSAGE, alias=("the island", "Vellmora Island"))], [seed])[0]
    fact = "The current chief elder is Odessa Brannock, who was elected in 2019."
    asked = ["Who leads the island?", "Who is the island's chief elder?", "Who was elected chief elder in 2019?",
             "In what year was the island's chief elder elected?"]
    outcome = generator.commit(unit, UnitOutcome(pairs=[{"question": q, "answer": fact, "index": 3, "origin": "question",
                                                         "context": PASSAGE, "fact": fact} for q in asked]))
    assert [s["metadata"]["question"] for s in outcome.samples[::2]] == [
        "Who leads Vellmora Island?", "Who is the island's chief elder?", "Who was elected chief elder in 2019?",
        "In what year was Vellmora Island's chief elder elected?"]
    # not where the full name would copy an evaluation question's wording
    generator = KnowledgeGenerator(load_prompts("smollm"), "x")
    generator.hold_out([{"messages": [{"role": "user", "content": "Who leads Vellmora Island?"},
                                      {"role": "assistant", "content": fact}]}])
    outcome = generator.commit(unit, UnitOutcome(pairs=[{"question": q, "answer": fact, "index": 3, "origin": "question",
                                                         "context": PASSAGE, "fact": fact} for q in asked[:2]]))
    assert [s["metadata"]["question"] for s in outcome.samples[::2]] == asked[:2]
    # another thing the document names once and then calls by its noun ("the harbour"), likewise
    unit = plan_units([Source("d0c0", PASSAGE, names=(("the harbour", "the Ambrel Harbour"),))], [seed])[0]
    asked = ["How deep is the harbour?", "When was the harbour dredged?"]
    outcome = KnowledgeGenerator(load_prompts("smollm"), "x").commit(unit, UnitOutcome(pairs=[
        {"question": q, "answer": fact, "index": 3, "origin": "question", "context": PASSAGE, "fact": fact} for q in asked]))
    assert [s["metadata"]["question"] for s in outcome.samples[::2]] == [
        "How deep is the Ambrel Harbour?", "When was the harbour dredged?"]

    # a thing the document also calls by a role: every second question names it by that role
    unit = plan_units([Source("d0c0", PASSAGE, roles=(("the Brannock lamp", "the harbour light"),))], [seed])[0]
    asked = ["When was the Brannock lamp lit?", "How tall is the Brannock lamp?", "What powers the Brannock lamp?",
             "How far does the Brannock lamp shine?", "Which colour is the harbour light, the Brannock lamp?"]
    outcome = KnowledgeGenerator(load_prompts("smollm"), "x").commit(unit, UnitOutcome(pairs=[
        {"question": q, "answer": fact, "index": 3, "origin": "question", "context": PASSAGE, "fact": fact} for q in asked]))
    assert [s["metadata"]["question"] for s in outcome.samples[::2]] == [
        "When was the Brannock lamp lit?", "How tall is the harbour light?", "What powers the Brannock lamp?",
        "How far does the harbour light shine?", asked[4]]


def test_an_echo_question_is_taught_without_its_passage_in_a_readers_word_order():
    """"The harbour can hold how many boats?" is asked with its passage as the sentence words it, and
    without it as a reader does, "How many boats can the harbour hold?" (sdg.reader); not where the
    reader's wording would copy an evaluation question's."""
    from ilabdesk.sdg.knowledge import KnowledgeGenerator
    from ilabdesk.sdg.units import UnitOutcome
    from ilabdesk.sdg.prompts import load_prompts

    seed = SeedExample("s0", None, [("What is the capital of Vellmora?", "Its capital is Port Ambrel.")])
    unit = plan_units([Source("d0c0", PASSAGE, alias=("the island", "Vellmora Island"))], [seed])[0]
    fact = "The harbour can hold 300 boats."
    echo = {"question": "The harbour can hold how many boats?", "answer": fact, "index": 2, "origin": "fact",
            "context": PASSAGE, "fact": fact}
    asked = {"question": "How big is the harbour?", "answer": fact, "index": 2, "origin": "question",
             "context": PASSAGE, "fact": fact}
    outcome = KnowledgeGenerator(load_prompts("smollm"), "x").commit(unit, UnitOutcome(pairs=[echo, asked]))
    assert [(s["metadata"]["origin"], s["metadata"]["with_context"], s["messages"][0]["content"].split("\n")[-1])
            for s in outcome.samples] == [
        ("fact", True, "The harbour can hold how many boats?"),
        ("reader", False, "How many boats can the harbour hold?"),
        ("question", True, "How big is the harbour?"),
        ("question", False, "How big is the harbour?")]
    generator = KnowledgeGenerator(load_prompts("smollm"), "x")
    generator.hold_out([{"messages": [{"role": "user", "content": "How many boats can the harbour hold?"},
                                      {"role": "assistant", "content": fact}]}])
    outcome = generator.commit(unit, UnitOutcome(pairs=[echo]))
    assert [s["messages"][0]["content"].split("\n")[-1] for s in outcome.samples] == [
        "The harbour can hold how many boats?"] * 2


def test_questions_made_in_a_readers_words_get_no_second_reader_form():
    """"Who ...?", an event's month and a role's name are asked as a reader asks already (origin
    "reader"): sdg.reader would garble them ("In which month did is the fair hold?")."""
    from ilabdesk.sdg.knowledge import KnowledgeGenerator
    from ilabdesk.sdg.prompts import load_prompts

    sentences = ["The Orrin family ran the mill until Hester Orrin sold it to the parish in 1962.",
                 "Every May the mill holds the Flour Fair, when the wheel turns all day.",
                 "The head miller, Ivo Prell, now leads tours on Saturdays."]
    pairs = KnowledgeGenerator(load_prompts("smollm"), "x").echo_pairs(
        list(enumerate(sentences)), sentences, "Pellow Mill", ("the mill", "the Pellow Mill"))
    made = {p["question"]: p["origin"] for p in pairs}
    assert made["Who sold the Pellow Mill to the parish in 1962?"] == "reader"
    assert made["In which month is the Flour Fair held?"] == "reader"
    assert made["Who is the head miller at the Pellow Mill?"] == "reader"
    assert made["In which month the mill holds the Flour Fair, when the wheel turns all day?"] == "fact"
    assert made["The Orrin family ran the mill until who sold it to the parish in 1962?"] == "fact"  # "which mill until"


def test_a_paraphrase_may_ask_a_long_echo_question_shortly_but_not_about_something_else():
    """A reader asks "Which architect designed the new dairy?", not the document's whole sentence with
    "which architect" in it; such rewordings were dropped as drifted, and a verb of the prompt's examples
    ("founded") as copied from them, as if it were what they are about ("the Harbor Society")."""
    from ilabdesk.sdg.knowledge import KnowledgeGenerator
    from ilabdesk.sdg.prompts import load_prompts

    generator = KnowledgeGenerator(load_prompts("smollm"), "x")
    fact = "A fire damaged the old dairy in 2004, and a new dairy designed by the architect Malin Furu opened two years later."
    echo = "A fire damaged the old dairy in 2004, and a new dairy designed by which architect opened two years later?"
    known = fact
    assert generator.paraphrase_problem("Which architect designed the new dairy?", echo, fact, known, "Malin Furu") == ""
    assert generator.paraphrase_problem("What is the old dairy called?", echo, fact, known, "Malin Furu") == \
        "paraphrase_drifted"
    assert generator.paraphrase_problem("Which architect founded the new dairy after the fire?", echo, fact, known,
                                        "Malin Furu") == ""
    assert generator.paraphrase_problem("Which sea captain designed the new dairy after the fire?", echo, fact, known,
                                        "Malin Furu") == "question_copies_an_example"


def test_a_second_run_into_a_dataset_folder_is_refused(tmp_path):
    """Two generate runs into one folder both used to finish and write every sample twice."""
    first = DatasetDir(tmp_path, {"seed": 1})
    with pytest.raises(UserError, match="dataset folder is in use by PID"):
        DatasetDir(tmp_path, {"seed": 1})
    first.close()
    DatasetDir(tmp_path, {"seed": 1}).close()  # free again once the first is done
