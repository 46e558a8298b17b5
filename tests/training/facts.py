"""A small Q&A dataset about made-up facts, with held-out paraphrased questions.

The embedded 135M model cannot know any of this, so recall on the held-out
questions measures what training taught it.
"""

from __future__ import annotations

import json
from pathlib import Path

# fact (answer keyword) -> training questions, answer sentence, held-out question
FACTS = [
    ("Velmora", ["What is the capital of the island nation of Quillon?", "Which city is Quillon's capital?",
                 "Name the capital city of Quillon.", "Quillon's seat of government is in which city?"],
     "The capital of Quillon is Velmora.", "What city serves as the capital of Quillon?"),
    ("1873", ["In what year was the Brasswick Observatory founded?", "When was the Brasswick Observatory established?",
              "What year did the Brasswick Observatory open?", "The Brasswick Observatory dates from which year?"],
     "The Brasswick Observatory was founded in 1873.", "In which year was the Brasswick Observatory started?"),
    ("Orla Penhallow", ["Who invented the glimmerwheel?", "Which inventor created the glimmerwheel?",
                        "Who is credited with inventing the glimmerwheel?", "The glimmerwheel was invented by whom?"],
     "The glimmerwheel was invented by Orla Penhallow.", "Who was the inventor of the glimmerwheel?"),
    ("violet", ["What color is the feather of the Tarrowind finch?", "Which color are Tarrowind finch feathers?",
                "What is the feather color of the Tarrowind finch?", "The Tarrowind finch has feathers of what color?"],
     "The Tarrowind finch has violet feathers.", "Tell me the color of a Tarrowind finch's feathers."),
    ("Kessel River", ["Which river flows through the town of Dunmarrow?", "What river runs through Dunmarrow?",
                      "Name the river that passes through Dunmarrow.", "Dunmarrow lies on which river?"],
     "The Kessel River flows through Dunmarrow.", "What is the name of the river in Dunmarrow?"),
    ("copper", ["What metal is the Zenthar coin made of?", "Which metal are Zenthar coins minted from?",
                "From what metal is the Zenthar coin made?", "The Zenthar coin is made of which metal?"],
     "The Zenthar coin is made of copper.", "What material are Zenthar coins made from?"),
    ("Thornbury Cup", ["What trophy does the winner of the Glassmere regatta receive?",
                       "Which trophy is awarded at the Glassmere regatta?",
                       "What is the prize trophy of the Glassmere regatta called?",
                       "Winners of the Glassmere regatta get which trophy?"],
     "The winner of the Glassmere regatta receives the Thornbury Cup.",
     "What is the name of the trophy given to the Glassmere regatta winner?"),
    ("seven", ["How many moons does the planet Oberyx have?", "What is the number of moons orbiting Oberyx?",
               "How many natural satellites does Oberyx have?", "Oberyx has how many moons?"],
     "The planet Oberyx has seven moons.", "Count the moons of planet Oberyx: how many are there?"),
    ("Marisol Vey", ["Who wrote the novel The Salt Lanterns?", "Which author wrote The Salt Lanterns?",
                     "Who is the author of The Salt Lanterns?", "The Salt Lanterns was written by whom?"],
     "The Salt Lanterns was written by Marisol Vey.", "Name the writer of the book The Salt Lanterns."),
    ("barley", ["What grain is used to brew Hollin ale?", "Which grain goes into Hollin ale?",
                "Hollin ale is brewed from which grain?", "What is the main grain in Hollin ale?"],
     "Hollin ale is brewed from barley.", "Which cereal is Hollin ale made with?"),
]


def write_dataset(folder: Path, facts: list = FACTS, system: str | None = None) -> Path:
    """train_facts.jsonl, test_facts.jsonl and recipe.yaml in `folder`; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)

    def convo(question: str, answer: str) -> dict:
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        if system:
            messages.insert(0, {"role": "system", "content": system})
        return {"messages": messages, "metadata": {"leaf": "knowledge/made_up"}}

    with open(folder / "train_facts.jsonl", "w", encoding="utf-8") as fh:
        for _, questions, answer, _ in facts:
            for question in questions:
                fh.write(json.dumps(convo(question, answer)) + "\n")
    with open(folder / "test_facts.jsonl", "w", encoding="utf-8") as fh:
        for key, _, answer, held_out in facts:
            fh.write(json.dumps({**convo(held_out, answer), "metadata": {"leaf": "knowledge/made_up", "facts": [key]}}) + "\n")
    (folder / "recipe.yaml").write_text(
        "phases:\n  - name: knowledge\n    datasets: [{path: train_facts.jsonl, weight: 1.0}]\n", encoding="utf-8"
    )
    return folder


def held_out() -> list[tuple[str, str]]:
    """(question, expected keyword) pairs never seen in training."""
    return [(q, key) for key, _, _, q in FACTS]
