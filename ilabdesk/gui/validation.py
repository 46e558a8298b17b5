"""Validate a leaf's current text with the official-verdict validator, off the UI thread.

`ilabdesk.taxonomy.validate.validate_file` reads a file, so unsaved text is
written to a private shadow copy whose path keeps the leaf's taxonomy folders
(the schema is chosen from them); messages are reported against the real
path. The document check needs the real location (a relative repo path is
relative to the leaf), so for unsaved text it runs only when the repo is a URL
or an absolute path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ilabdesk.settings import paths

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


def check_text(path: Path, text: str, saved_text: str | None = None) -> list[Message]:
    """Errors then warnings for `text` as the content of the leaf at `path`."""
    from ilabdesk.taxonomy.validate import validate_file

    shown = str(path)
    if saved_text is not None and text == saved_text and path.exists():
        report = validate_file(path, shown=shown)
    else:
        shadow = _shadow_path(path)
        shadow.parent.mkdir(parents=True, exist_ok=True)
        shadow.write_text(text, encoding="utf-8")
        try:
            report = validate_file(shadow, shown=shown, check_documents=_repo_is_absolute(text))
        finally:
            shadow.unlink(missing_ok=True)
    return [parse_message(shown, m, "error") for m in report.errors] + [
        parse_message(shown, m, "warning") for m in report.warnings
    ]


def check_file(path: Path) -> tuple[Path, int, int]:
    """(path, error count, warning count) of a saved leaf, for the tree's icons."""
    from ilabdesk.taxonomy.validate import validate_file

    report = validate_file(path)
    return path, len(report.errors), len(report.warnings)


def _shadow_path(path: Path) -> Path:
    """<cache>/gui-check/<hash of the real path>/<kind>/<domain...>/qna.yaml."""
    from ilabdesk.taxonomy.validate import taxonomy_path_of

    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    rel = taxonomy_path_of(path.resolve())
    if rel.is_absolute():  # a leaf outside any taxonomy: the schema is picked from its content
        rel = Path(path.name)
    return paths().cache / "gui-check" / key / rel


def _repo_is_absolute(text: str) -> bool:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    repo = data.get("document", {}).get("repo") if isinstance(data, dict) and isinstance(data.get("document"), dict) else None
    if not isinstance(repo, str):
        return True  # the schema reports the missing repo; nothing relative to get wrong
    return "://" in repo or "@" in repo or Path(repo).expanduser().is_absolute()
