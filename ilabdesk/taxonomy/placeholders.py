"""The text a new leaf's template starts with, found where it is still left.

InstructLab accepts a leaf whose seed contexts read "Replace with passage 1
copied from your document." (its schema only asks for text), so by the
official verdict alone a fresh template looks finished. ilabdesk's templates
(`taxonomy.leaf.new_leaf`) are recognisable, and a field that still holds one
is reported as unfinished in the editor and the tree, at its line.
"""

from __future__ import annotations

import re

import yaml

TEMPLATE_TEXT = re.compile(
    r"Replace with .*|Question \d+ about passage \d+\?|Answer \d+ taken from passage \d+\."
    r"|Describe the domain in a few words|Describe the task the model should learn\."
    r"|A one-sentence summary of the document\.|https://github\.com/your-org/your-knowledge-docs"
    r"|0{40}|your-github-username",
    re.S,
)


def unfinished(text: str) -> list[tuple[int, int, str]]:
    """(line, column, message) of each value in `text` that is still a template's text."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []  # the validator reports the YAML itself
    found: list[tuple[int, int, str]] = []

    def visit(node: yaml.Node | None, key: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for name, value in node.value:
                visit(value, str(name.value))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                visit(item, key)
        elif isinstance(node, yaml.ScalarNode) and TEMPLATE_TEXT.fullmatch(str(node.value).strip()):
            found.append((node.start_mark.line + 1, node.start_mark.column + 1,
                          f"{key} is unfinished: it still holds the template's text; write your own"))

    visit(root, "")
    return found


def template_only(seed: object) -> bool:
    """Whether a seed example holds nothing but a template's text (a new leaf's "Replace with passage 1…"):
    drafted examples take its place instead of joining it."""
    def texts(value: object) -> list[str]:
        if isinstance(value, dict):
            return [t for v in value.values() for t in texts(v)]
        if isinstance(value, list):
            return [t for v in value for t in texts(v)]
        return [str(value).strip()] if value is not None else []

    found = texts(seed)
    return bool(found) and all(TEMPLATE_TEXT.fullmatch(text) for text in found)
