"""The `ilabdesk` command: no arguments opens the window, subcommands are the CLI.

Each command group lives in its own small module under `ilabdesk.cli` and
exposes `register(subparsers)`, which adds its parser and sets `func` to a
function `(args) -> int`. Modules are imported here, but each keeps its heavy
engines (torch, llama_cpp, ...) inside the functions that use them so that
`ilabdesk --help` and `ilabdesk chat -q` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ilabdesk import __version__
from ilabdesk.errors import UserError, from_os_error

# Command-group modules, in the order `--help` lists them.
COMMANDS = (
    "taxonomy",
    "model",
    "chat",
    "generate",
    "train",
    "convert",
    "evaluate",
    "run",
    "job",
    "gui",
)
# `ilabdesk convert-hf-to-gguf ARGS` is llama.cpp's converter itself (gguf.convert_hf): a packaged app
# has no Python to run `-m convert_hf_to_gguf` with, only its own launcher (bundle.app_command).
CONVERTER_VERB = "convert-hf-to-gguf"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ilabdesk",
        description="Teach a language model your knowledge and skills, on this machine. "
        "Run without arguments to open the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"ilabdesk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"ilabdesk.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"ilabdesk.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        from ilabdesk.gui.app import main as gui_main

        return gui_main([])
    if argv[0] == CONVERTER_VERB:  # llama.cpp's own converter, as convert jobs run it
        from ilabdesk.gguf.convert_hf import run_converter

        return run_converter(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {from_os_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
