"""`ilabdesk job run SPEC`: the child-process side of every background job; `job helper`: the window's helper."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("job", help="run a job spec (used by the app for background jobs)")
    job_sub = parser.add_subparsers(dest="job_command", required=True)
    run = job_sub.add_parser("run", help="run SPEC and print JSON-line events")
    run.add_argument("spec", type=Path)
    run.set_defaults(func=_run)
    helper = job_sub.add_parser("helper", help="answer the window's short background calls (stdin/stdout)")
    helper.set_defaults(func=_helper)


def _run(args: argparse.Namespace) -> int:
    from ilabdesk.jobs.runner import child_main

    return child_main(args.spec)


def _helper(args: argparse.Namespace) -> int:
    from ilabdesk.jobs.helper import serve

    return serve()
