"""`ilabdesk chat`: ask one question (-q) or talk interactively in the terminal.

Start-up is kept lean on purpose (no torch/transformers; llama_cpp only once
the model opens) because `ilabdesk chat -q` is also how people script quick
checks of a tuned model.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

HELP = """commands:
  /q          quit
  /n          new conversation (the current one is autosaved)
  /s FILE     save the conversation as JSON
  /m          multi-line message: type lines, finish with a line holding only /end
  /h          this help
Ctrl-C stops an answer; Ctrl-D or /q quits."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "chat",
        help="chat with a model (the embedded default, a library model, a GGUF, or an endpoint URL)",
        description="Chat with a model. With -q, print the answer to one question and exit.",
    )
    parser.add_argument("-m", "--model", help="library name, .gguf path, or http(s)://host/v1#model (default: the configured/embedded model)")
    parser.add_argument("--adapter", help="a LoRA adapter .gguf to apply to the model")
    parser.add_argument("--adapter-scale", type=float, default=1.0, metavar="S", help="LoRA strength (default 1.0)")
    parser.add_argument("-q", "--question", help="ask this, print the answer, and exit (greedy unless --temperature/--seed)")
    parser.add_argument("--system", help="system prompt (default: from the config)")
    parser.add_argument("--temperature", type=float, metavar="T")
    parser.add_argument("--top-p", type=float, metavar="P")
    parser.add_argument("--max-tokens", type=int, metavar="N")
    parser.add_argument("--seed", type=int, metavar="N", help="make sampling reproducible")
    parser.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: physical cores)")
    parser.add_argument("--context-length", type=int, metavar="N", help="context window in tokens")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ilabdesk.chat.engine import GenerationParams
    from ilabdesk.chat.factory import open_engine
    from ilabdesk.errors import UserError
    from ilabdesk.settings import load_config

    chat_config = load_config()["chat"]
    temperature = args.temperature
    if temperature is None:
        # One-shot questions are for scripts and checks: reproducible (greedy) unless asked otherwise.
        temperature = 0.0 if args.question is not None and args.seed is None else chat_config["temperature"]
    params = GenerationParams(
        temperature=temperature,
        top_p=chat_config["top_p"] if args.top_p is None else args.top_p,
        max_tokens=chat_config["max_tokens"] if args.max_tokens is None else args.max_tokens,
        seed=args.seed,
    )
    if not 0.0 <= params.temperature <= 5.0 or not 0.0 < params.top_p <= 1.0 or params.max_tokens < 1:
        raise UserError("--temperature must be 0..5, --top-p in (0, 1], --max-tokens at least 1")
    system = chat_config["system_prompt"] if args.system is None else args.system
    options: dict = {}
    if args.adapter_scale != 1.0:
        options["adapter_scale"] = args.adapter_scale
    if args.threads:
        options["threads"] = args.threads
    if args.context_length:
        options["context_length"] = args.context_length
    with open_engine(args.model, args.adapter, **options) as engine:
        if args.question is not None:
            messages = ([{"role": "system", "content": system}] if system else []) + [
                {"role": "user", "content": args.question}
            ]
            _answer(engine, messages, params, sys.stdout)
            return 0
        return _interactive(engine, args, params, system)


def _answer(engine, messages: list[dict[str, str]], params, out: TextIO) -> str:
    """Stream one reply to `out`; Ctrl-C stops it and keeps what was said."""
    parts: list[str] = []
    stream = engine.stream(messages, params)
    try:
        for chunk in stream:
            parts.append(chunk)
            out.write(chunk)
            out.flush()
    except KeyboardInterrupt:
        stream.close()
        out.write(" [stopped]")
    out.write("\n")
    out.flush()
    if engine.last_trimmed_turns:
        print(
            f"(the {engine.last_trimmed_turns} oldest turn(s) were left out to fit the model's context)",
            file=sys.stderr,
        )
    return "".join(parts)


def _read_multiline() -> str | None:
    lines = []
    while True:
        try:
            line = input("... ")
        except EOFError:
            break
        if line.strip() == "/end":
            break
        lines.append(line)
    return "\n".join(lines) if lines else None


def _interactive(engine, args: argparse.Namespace, params, system: str) -> int:
    from dataclasses import asdict

    from ilabdesk.chat.transcript import Transcript, autosave_path
    from ilabdesk.errors import UserError

    def fresh() -> Transcript:
        return Transcript(
            model=str(args.model or "default"),
            adapter=args.adapter,
            params=asdict(params),
            messages=[{"role": "system", "content": system}] if system else [],
        )

    def autosave(transcript: Transcript) -> None:
        if transcript.has_exchange:
            transcript.save(autosave_path())

    transcript = fresh()
    print(f"Chatting with {args.model or 'the default model'}. /h for help, /q to quit.", file=sys.stderr)
    if engine.note:
        print(f"({engine.note})", file=sys.stderr)
    try:
        while True:
            try:
                text = input(">>> ")
            except EOFError:
                print(file=sys.stderr)
                break
            except KeyboardInterrupt:
                print(file=sys.stderr)
                break
            command, _, rest = text.strip().partition(" ")
            if command == "/q":
                break
            if command == "/h":
                print(HELP, file=sys.stderr)
                continue
            if command == "/n":
                autosave(transcript)
                transcript = fresh()
                print("(new conversation)", file=sys.stderr)
                continue
            if command == "/s":
                if not rest.strip():
                    print("usage: /s FILE", file=sys.stderr)
                    continue
                try:
                    saved = transcript.save(rest.strip())
                    print(f"(saved to {saved})", file=sys.stderr)
                except UserError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                continue
            if command == "/m":
                text = _read_multiline() or ""
            elif command.startswith("/"):
                print(f"unknown command {command}; /h lists them", file=sys.stderr)
                continue
            if not text.strip():
                continue
            transcript.messages.append({"role": "user", "content": text})
            try:
                reply = _answer(engine, transcript.messages, params, sys.stdout)
            except UserError as exc:
                transcript.messages.pop()
                print(f"error: {exc}", file=sys.stderr)
                continue
            transcript.messages.append({"role": "assistant", "content": reply})
    finally:
        autosave(transcript)
    return 0
