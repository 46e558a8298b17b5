"""The "ingest" job: add documents to a knowledge leaf (and optionally draft seed examples).

Args (JSON): {"leaf": path, "files": [paths], "draft_seeds": bool, "teacher": model | URL | None,
"on_clash": "ask" | "replace" | "keep-both" (a different document of the same name is already there)}.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ilabdesk.errors import UserError
from ilabdesk.jobs.events import Cancel, Event


def run(args: dict[str, Any], cancel: Cancel) -> Iterator[Event]:
    from ilabdesk.documents.ingest import ingest_events

    if not args.get("leaf"):
        raise UserError("no leaf given", hint="pass the leaf folder or its qna.yaml")
    yield Event.begin("ingest", f"adding {len(args.get('files') or [])} document(s) to {args['leaf']}")
    for event in ingest_events(
        args["leaf"],
        list(args.get("files") or []),
        draft_seeds=bool(args.get("draft_seeds")),
        teacher=args.get("teacher"),
        on_clash=args.get("on_clash") or "ask",
    ):
        cancel.check()
        yield event
