"""Stage markers: how the pipeline knows a stage is complete and need not run again.

A marker is written atomically *after* its stage finished, so a crash at any
moment leaves either no marker (the stage runs again, and its own job resumes
from its journal or checkpoint) or a complete one. The marker carries a
fingerprint of the stage's inputs: if the user edits a leaf or changes a
setting, that stage and the ones after it run again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ilabdesk.fileio import atomic_write_text


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-able parts."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:20]


def files_fingerprint(paths: list[Path]) -> str:
    """Hash of the files' contents (order kept); a missing file hashes as missing (its stage reports it)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode("utf-8") + b"\0")
        try:
            digest.update(Path(path).read_bytes() + b"\0")
        except OSError:
            digest.update(b"<missing>\0")
    return digest.hexdigest()[:20]


class Markers:
    """The `.stages/` folder of a pipeline output."""

    def __init__(self, output: Path) -> None:
        self.folder = Path(output) / ".stages"

    def path(self, stage: str) -> Path:
        return self.folder / f"{stage}.json"

    def read(self, stage: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(stage).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def complete(self, stage: str, print_: str) -> dict[str, Any] | None:
        """The marker when the stage finished with these inputs, else None."""
        marker = self.read(stage)
        return marker if marker and marker.get("fingerprint") == print_ else None

    def write(self, stage: str, print_: str, seconds: float, result: dict[str, Any]) -> dict[str, Any]:
        marker = {"stage": stage, "fingerprint": print_, "seconds": round(seconds, 1), "result": result}
        atomic_write_text(self.path(stage), json.dumps(marker, indent=2, default=str))
        return marker

    def clear(self, stage: str) -> None:
        self.path(stage).unlink(missing_ok=True)
