"""Validate a leaf's current text with the official-verdict validator, off the UI thread.

`ilabdesk.taxonomy.validate.validate_text` checks unsaved editor text as if
it were saved at the leaf's path (the path picks the schema, and a relative
document repo is found from it), with the same rules and messages as
`ilabdesk taxonomy validate`. The messages are split into line and column so
the editor can jump to them.
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


def parse_message(shown: str, raw: str, severity: str) -> Message:
    """Split `path:line:col: message` (the path may itself contain colons)."""
    rest = raw[len(shown) + 1 :] if raw.startswith(shown + ":") else raw
    match = _POSITION.match(rest)
    if match:
        return Message(severity, int(match.group(1)), int(match.group(2)), match.group(3))
    return Message(severity, 1, 1, rest)


def check_text(path: Path, text: str) -> list[Message]:
    """Errors then warnings for `text` as the content of the leaf at `path` (documents checked too)."""
    from ilabdesk.taxonomy.validate import validate_text

    shown = str(path)
    report = validate_text(text, path, check_documents=True, shown=shown)
    return [parse_message(shown, m, "error") for m in report.errors] + [
        parse_message(shown, m, "warning") for m in report.warnings
    ]


def check_file(path: Path) -> tuple[Path, int, int]:
    """(path, error count, warning count) of a saved leaf, for the tree's icons."""
    from ilabdesk.taxonomy.validate import validate_file

    report = validate_file(path)
    return path, len(report.errors), len(report.warnings)
