"""Validate a leaf's current text with the official-verdict validator, off the UI thread.

`ilabdesk.taxonomy.validate.validate_text` checks unsaved editor text as if
it were saved at the leaf's path (the path picks the schema, and a relative
document repo is found from it), with the same rules and messages as
`ilabdesk taxonomy validate`, plus a warning where a field still holds a new
leaf's template text (taxonomy.placeholders). The messages are split into line
and column so the editor can jump to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_POSITION = re.compile(r"^(\d+):(\d+): (.*)$", re.S)


@dataclass(frozen=True)
class Message:
    """One validation message with its position in the YAML text."""

    severity: str  # "error" | "warning"
    line: int
    column: int
    text: str


# The official validator's words (kept for `taxonomy validate`, which must agree with InstructLab),
# said plainly for the editor: (pattern, plain words); {field} is the field the message is about.
_PLAIN = (
    (re.compile(r"^\[(?P<path>.*?)\] '' should be non-empty$"), "{field} is empty: write something here"),
    (re.compile(r"^\[(?P<path>.*?)\] '(?P<key>[^']+)' is a required property$"), "{key} is missing: add it"),
    (re.compile(r"^\[(?P<path>.*?)\] Value must have at least (?P<n>\d+) items$"),
     "{field} needs at least {n} entries"),
    (re.compile(r"^\[(?P<path>.*?)\] Additional properties are not allowed \('(?P<key>[^']+)'.*$"),
     "{key} is not a field of this kind of leaf: remove it or check its spelling"),
    (re.compile(r"^Cannot load schema file \S+: (?P<why>.*)$"), "{why}"),
)


def plain(text: str) -> str:
    """A validator message in plain words, where it is one of the usual ones; else as it is."""
    for pattern, words in _PLAIN:
        match = pattern.match(text)
        if match:
            values = match.groupdict()
            field = (values.get("path") or ".").strip(".") or "the leaf"
            return words.format(field=field, **{k: v for k, v in values.items() if k != "path"})
    return text


def parse_message(shown: str, raw: str, severity: str) -> Message:
    """Split `path:line:col: message` (the path may itself contain colons), in plain words."""
    rest = raw[len(shown) + 1 :] if raw.startswith(shown + ":") else raw
    match = _POSITION.match(rest)
    if match:
        return Message(severity, int(match.group(1)), int(match.group(2)), plain(match.group(3)))
    return Message(severity, 1, 1, plain(rest))


def check_text(path: Path, text: str) -> list[Message]:
    """Errors then warnings for `text` as the content of the leaf at `path` (documents checked too)."""
    from ilabdesk.taxonomy.placeholders import unfinished
    from ilabdesk.taxonomy.validate import validate_text

    shown = str(path)
    report = validate_text(text, path, check_documents=True, shown=shown)
    return [parse_message(shown, m, "error") for m in report.errors] + [
        parse_message(shown, m, "warning") for m in report.warnings
    ] + [Message("warning", line, column, message) for line, column, message in unfinished(text)]


def check_file(path: Path) -> tuple[Path, int, int]:
    """(path, error count, warning count) of a saved leaf, for the tree's icons."""
    from ilabdesk.taxonomy.placeholders import unfinished
    from ilabdesk.taxonomy.validate import decode_text, validate_file

    report = validate_file(path)
    try:
        left = len(unfinished(decode_text(Path(path).read_bytes())))
    except (OSError, UnicodeDecodeError):
        left = 0  # the validator has reported it
    return path, len(report.errors), len(report.warnings) + left
