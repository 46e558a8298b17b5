"""Rewrite qna.yaml files in the canonical style without changing their data.

A file is only replaced when the new text re-reads as exactly the same data
(types, key order, every character of every string). Anything that would
lose information is refused and the file is left byte for byte: text that is
not UTF-8 or not YAML, duplicate keys (YAML keeps the last one silently), and
comments unless the caller accepts dropping them (the YAML library cannot
keep them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ilabdesk.errors import UserError, from_os_error
from ilabdesk.fileio import atomic_write_text
from ilabdesk.taxonomy.leaf import parse_yaml, read_text_checked
from ilabdesk.taxonomy.yamlstyle import compose, dump_yaml


@dataclass
class FormatResult:
    """What happened to one file: `changed` (rewritten or would be), or an `error` and untouched."""

    path: Path
    changed: bool = False
    error: str | None = None
    dropped_comments: int = 0


def _comment_lines(text: str) -> list[int]:
    from yamllint.parser import Comment, token_or_comment_generator

    try:
        return [item.line_no for item in token_or_comment_generator(text) if isinstance(item, Comment)]
    except yaml.YAMLError:
        return []


def _duplicate_key(node: yaml.Node | None) -> tuple[str, int] | None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    return key.value, key.start_mark.line + 1
                seen.add(key.value)
            found = _duplicate_key(value)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _duplicate_key(item)
            if found:
                return found
    return None


def canonical_text(path: Path, *, drop_comments: bool = False) -> tuple[str, str, int]:
    """(old text, canonical text, comment lines dropped) for a qna.yaml; UserError if unsafe."""
    text = read_text_checked(path)
    data = parse_yaml(text, path)
    if data is None:
        raise UserError(f"{path}:1:1: the file is empty; nothing to format")
    if not isinstance(data, dict):
        raise UserError(f"{path}:1:1: the top level is not a mapping of keys to values; not formatting it")
    duplicate = _duplicate_key(compose(text))
    if duplicate:
        key, line = duplicate
        raise UserError(
            f"{path}:{line}:1: duplicate key {key!r}; formatting would silently keep only the last one",
            hint="remove the duplicate by hand, then format",
        )
    comments = _comment_lines(text)
    if comments and not drop_comments:
        raise UserError(
            f"{path}:{comments[0]}:1: has {len(comments)} comment line(s), which formatting cannot keep",
            hint="move the comments out or pass --drop-comments",
        )
    try:
        new = dump_yaml(data)
    except ValueError:
        raise UserError(f"{path}: could not write this data back identically; left unchanged") from None
    return text, new, len(comments)


def format_file(path: Path | str, *, check: bool = False, drop_comments: bool = False) -> FormatResult:
    """Rewrite one file canonically (atomically); with `check`, only report whether it would change."""
    path = Path(path)
    result = FormatResult(path=path)
    try:
        raw_old = path.read_bytes()  # first: a change after this read refuses the write below
        _old, new, dropped = canonical_text(path, drop_comments=drop_comments)
        result.changed = raw_old != new.encode("utf-8")
        if result.changed:
            result.dropped_comments = dropped
        if result.changed and not check:
            atomic_write_text(path, new, expected=raw_old)
    except UserError as exc:
        result.error = str(exc)
    except OSError as exc:
        result.error = str(from_os_error(exc))
    return result
