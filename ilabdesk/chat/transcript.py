"""Chat transcripts as JSON: what was said, with which model and settings.

The same file format serves `/s FILE` in the terminal chat, the autosave of
every session under <data>/chats, and the GUI's save button, so a user can
reopen or share a conversation and see exactly how it was produced.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_write_text

FORMAT = "ilabdesk-chat/1"


@dataclass
class Transcript:
    """One conversation; `messages` includes the system prompt when there is one."""

    model: str
    adapter: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, str]] = field(default_factory=list)
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, indent=2, ensure_ascii=False) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write atomically; UserError if the folder can't be written."""
        path = Path(path).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, self.to_json())
        except OSError as exc:
            raise UserError(f"{path}: cannot save the transcript ({exc.strerror})") from exc
        return path

    @property
    def has_exchange(self) -> bool:
        return any(m["role"] == "assistant" for m in self.messages)


def load_transcript(path: str | Path) -> Transcript:
    path = Path(path).expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(f"{path}: transcript not found") from exc
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not a readable chat transcript ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("messages"), list):
        raise UserError(f"{path}: not an ilabdesk chat transcript (expected \"format\": \"{FORMAT}\")")
    return Transcript(
        model=str(data.get("model", "")),
        adapter=data.get("adapter"),
        params=dict(data.get("params") or {}),
        messages=[{"role": str(m["role"]), "content": str(m["content"])} for m in data["messages"]],
        created=str(data.get("created", "")),
    )


def autosave_path() -> Path:
    """A new file under <data>/chats named by the current time."""
    from ilabdesk.settings import paths

    folder = paths().data / "chats"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"chat-{stamp}.json"
    counter = 1
    while path.exists():
        counter += 1
        path = folder / f"chat-{stamp}-{counter}.json"
    return path
