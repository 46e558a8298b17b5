"""Reference scoring: normalisation, fact matching, key facts, ROUGE-L."""

import pytest

from ilabdesk.evaluation.scoring import contains_fact, fact_recall, key_facts, rouge_l, tokens


def test_tokens_fold_case_accents_thousands_and_ordinals():
    assert tokens("Café had 4,380 people on the 14th!") == ["cafe", "had", "4380", "people", "on", "the", "14"]
    assert tokens("three hours") == ["3", "hours"]


@pytest.mark.parametrize(
    ("answer", "fact", "expected"),
    [
        ("It was founded in 1673.", "1673", True),
        ("It was founded in 16730.", "1673", False),  # whole tokens only
        ("They held it on September 14th.", ["14 September", "September 14"], True),
        ("They held it in September.", ["14 September", "September 14"], False),
        ("the MERROW-DAWN sank", "Merrow Dawn", True),
        ("Merrow sank at dawn", "Merrow Dawn", False),  # contiguous
        ("about four thousand", "4,380", False),
        ("Visitors can watch on Wednesdays.", "Wednesday", True),  # a plural answer states the fact
        ("The petrels breed in the wall.", "walls", True),
        ("They met on a Tuesday.", "Wednesday", False),
        ("It glasses the bay.", "glass", False),  # only a plain -s is folded
    ],
)
def test_contains_fact(answer, fact, expected):
    assert contains_fact(answer, fact) is expected


def test_fact_recall_is_the_share_of_facts_present():
    assert fact_recall("Oriel Vantasse came in 1673", ["Vantasse", "1673", "Captain"]) == pytest.approx(2 / 3)
    assert fact_recall("anything", []) is None


def test_key_facts_keep_numbers_and_names_the_question_does_not_say():
    facts = key_facts(
        "Captain Oriel Vantasse led the first settlers of Quellmoor Island in 1673.",
        "Who led the first settlers of Quellmoor Island, and when?",
    )
    assert facts == ["1673", "Captain", "Oriel", "Vantasse"]


def test_key_facts_fall_back_to_new_content_words():
    facts = key_facts("It is a golden seaweed used for dye.", "What is amberkelp?")
    assert "golden" in facts and "seaweed" in facts and "what" not in facts


def test_rouge_l_known_values():
    assert rouge_l("the cat sat on the mat", "the cat sat on the mat") == pytest.approx(1.0)
    assert rouge_l("the cat sat on the mat", "dogs bark loudly") == 0.0
    # LCS 5 of 6 reference tokens and 5 of 5 candidate tokens, beta 1.2
    p, r, b2 = 1.0, 5 / 6, 1.44
    assert rouge_l("the cat sat on the mat", "the cat on the mat") == pytest.approx((1 + b2) * p * r / (r + b2 * p))
