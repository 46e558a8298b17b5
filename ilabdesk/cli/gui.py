"""`ilabdesk gui`: open the desktop app (the same as running `ilabdesk` alone)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("gui", help="open the desktop app")
    parser.add_argument("taxonomy", nargs="?", type=Path, help="a taxonomy checkout to open")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ilabdesk.gui.app import main

    return main([str(args.taxonomy)] if args.taxonomy else [])
