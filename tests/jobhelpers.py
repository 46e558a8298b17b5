"""A small real job for the job-runner tests (imported by kind name, also in a child process)."""

from __future__ import annotations

import time

from ilabdesk.errors import UserError
from ilabdesk.jobs import Event, ProgressTracker

def counting_job(args, cancel):
    """A real job: counts to n, sleeping between units, honouring cancel."""
    tracker = ProgressTracker(args["n"])
    yield Event.begin("count")
    for i in range(args["n"]):
        cancel.check()
        time.sleep(args.get("sleep", 0))
        yield tracker.advance(message=f"unit {i}")
    if args.get("fail"):
        raise UserError("the input is wrong", hint="fix it")
    if args.get("crash"):
        raise RuntimeError("boom")
    yield Event.finished(total=args["n"])
