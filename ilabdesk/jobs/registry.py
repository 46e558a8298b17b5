"""Job kinds and where their code lives, imported only when a job runs."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from ilabdesk.errors import UserError
from ilabdesk.jobs.events import Cancel, Event

JobFunction = Callable[[dict[str, Any], Cancel], Iterator[Event]]

# kind -> "module:function"; each function is run(args, cancel) -> Iterator[Event].
KINDS: dict[str, str] = {
    "ingest": "ilabdesk.documents.job:run",
    "generate": "ilabdesk.sdg.job:run",
    "train": "ilabdesk.training.job:run",
    "convert": "ilabdesk.gguf.job:run",
    "evaluate": "ilabdesk.evaluation.job:run",
    "pipeline": "ilabdesk.pipeline:run",
}


def resolve(kind: str) -> JobFunction:
    """Import and return the job function for `kind` (a registered kind or "module:function")."""
    target = KINDS.get(kind) or (kind if ":" in kind else None)
    if target is None:
        raise UserError(f"unknown job kind '{kind}'", hint=f"known kinds: {', '.join(KINDS)}")
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)
