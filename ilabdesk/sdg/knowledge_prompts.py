"""The teacher's conversations for knowledge SDG: write a question, reword one, judge a pair.

Each starts with the same system message, the passage, so llama.cpp keeps the
passage in its KV cache across all calls of a chunk and reads only what
follows it. The templates are the loaded prompt files (sdg.prompts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ilabdesk.chat.engine import Message
from ilabdesk.sdg.prompts import json_text, render
from ilabdesk.sdg.units import SeedExample


@dataclass(frozen=True)
class KnowledgePrompts:
    templates: dict[str, Any]
    free: bool = False  # a bigger teacher writes the answer too ("free" answer mode)

    @property
    def _asking(self) -> dict[str, Any]:
        """The question template: with the answer to write too for a free-answering teacher."""
        return self.templates["knowledge_qa" if self.free else "knowledge_question"]

    def _system(self, passage: str) -> Message:
        return {"role": "system", "content": render(self._asking["system"], passage=passage)}

    def question(self, passage: str, seed: SeedExample, answer: str) -> list[Message]:
        """The seed's Q&A as earlier turns, then the answer to write a question for. All but the last
        turn are the same for every answer of a unit, so only the last turn is read anew."""
        template = self._asking
        messages: list[Message] = [self._system(passage)]
        for question, seed_answer in seed.qas:
            messages.append({"role": "user", "content": render(template["example_user"], answer=seed_answer)})
            reply = render(template["example_assistant"], question=json_text(question), answer=json_text(seed_answer))
            messages.append({"role": "assistant", "content": reply})
        messages.append({"role": "user", "content": render(template["user"], answer=answer)})
        return messages

    def paraphrase(self, passage: str, question: str) -> list[Message]:
        """The rewrite request: the instruction once, before the examples; each request adds only its
        question."""
        template = self.templates["paraphrase"]
        messages: list[Message] = [self._system(passage)]
        for original, rewritten in self.paraphrase_examples:
            messages.append({"role": "user", "content": render(template["user"], question=original)})
            messages.append({"role": "assistant", "content": '{"question": "' + json_text(rewritten) + '"}'})
        messages.append({"role": "user", "content": render(template["user"], question=question)})
        if template.get("instruction"):
            messages[1]["content"] = f"{template['instruction']}\n\n{messages[1]['content']}"
        return messages

    @property
    def paraphrase_examples(self) -> list[list[str]]:
        return self.templates["paraphrase"].get("examples", [])

    def judge(self, passage: str, question: str, answer: str) -> list[Message]:
        template = self.templates["judge_pair"]
        return [
            {"role": "system", "content": render(template["system"], passage=passage)},
            {"role": "user", "content": render(template["user"], question=question, answer=answer)},
        ]
