"""`ilabdesk model list|import|remove|info|download`: manage the model library."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("model", help="list, import, remove and describe models")
    model_sub = parser.add_subparsers(dest="model_command", required=True, metavar="ACTION")

    listing = model_sub.add_parser("list", help="list the models (the embedded default first)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_list)

    add = model_sub.add_parser("import", help="add a .gguf file or a Hugging Face model folder")
    add.add_argument("source", help="a .gguf file, or a folder with config.json, *.safetensors and a tokenizer")
    add.add_argument("--name", help="library name (default: from the file name)")
    add.add_argument("--link", action="store_true", help="link to the file instead of copying it (saves disk)")
    add.set_defaults(func=_import)

    remove = model_sub.add_parser("remove", help="remove an imported model (a linked original is kept)")
    remove.add_argument("name")
    remove.set_defaults(func=_remove)

    info = model_sub.add_parser("info", help="architecture, size, quantization, context length, chat template")
    info.add_argument("model", nargs="?", help="library name or path (default: the default model)")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_info)

    download = model_sub.add_parser("download", help="download a model from the Hugging Face Hub (needs network)")
    download.add_argument("repo", help="Hub repository, e.g. HuggingFaceTB/SmolLM2-360M-Instruct-GGUF")
    download.add_argument("--file", help="one .gguf file of the repository (default: the whole safetensors model)")
    download.add_argument("--name", help="library name (default: from the repository)")
    download.add_argument("--revision", help="branch, tag or commit")
    download.set_defaults(func=_download)

    key = model_sub.add_parser("set-key", help="store an endpoint's API key in the system keyring")
    key.add_argument("url", help="the endpoint, e.g. https://api.example.com/v1")
    key.set_defaults(func=_set_key)


def _size(num: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if num < 1024 or unit == "GB":
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1024
    return f"{num:.1f} GB"


def _list(args: argparse.Namespace) -> int:
    from ilabdesk.models.library import list_models

    entries = list_models()
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2))
        return 0
    for entry in entries:
        notes = []
        if entry.builtin:
            notes.append("embedded default")
        if entry.linked:
            notes.append("linked")
        if not entry.available:
            notes.append("MISSING: original file moved or deleted")
        size = ""
        if entry.available and entry.path.is_file():
            size = _size(entry.path.stat().st_size)
        print(f"{entry.name:32} {entry.format:5} {size:>9}  {entry.path}" + (f"  ({', '.join(notes)})" if notes else ""))
    return 0


def _import(args: argparse.Namespace) -> int:
    from ilabdesk.models.library import import_model

    entry = import_model(args.source, args.name, link=args.link)
    print(f"imported '{entry.name}' ({'linked' if entry.linked else 'copied'}): ilabdesk chat -m {entry.name}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from ilabdesk.models.library import remove_model

    remove_model(args.name)
    print(f"removed '{args.name}'")
    return 0


def _info(args: argparse.Namespace) -> int:
    from ilabdesk.models.library import describe

    facts = describe(args.model)
    if args.json:
        print(json.dumps(facts, indent=2))
        return 0
    template = facts.pop("chat_template", None)
    for key in ("name", "model_name", "path", "format", "type", "architecture", "parameters_human", "quantization",
                "context_length", "embedding_length", "size_bytes", "linked", "source"):
        value = facts.get(key)
        if value is None:
            continue
        label = {"parameters_human": "parameters", "size_bytes": "size", "model_name": "model name"}.get(key, key)
        shown = _size(value) if key == "size_bytes" else value
        print(f"{label:16} {shown}")
    from ilabdesk.chat.template import DEFAULT_NAME

    print(f"{'chat template':16} {'yes (' + str(len(template)) + ' chars)' if template else 'none: ilabdesk uses ' + DEFAULT_NAME}")
    for what, label in (("chat", "can chat"), ("teacher", "can teach"), ("train", "can be trained")):
        can = facts.get("can", {}).get(what, {})
        print(f"{label:16} {'yes' if can.get('able') else 'no'}" + (f": {can['why']}" if can.get("why") else ""))
    return 0


def _download(args: argparse.Namespace) -> int:
    from ilabdesk.models.hub import download

    entry = download(args.repo, filename=args.file, name=args.name, revision=args.revision)
    print(f"downloaded '{entry.name}': ilabdesk chat -m {entry.name}")
    return 0


def _set_key(args: argparse.Namespace) -> int:
    import getpass
    import sys

    from ilabdesk.chat.openai import api_key_name, set_api_key

    key = getpass.getpass("API key: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    if not key:
        print("no key given; nothing stored", file=sys.stderr)
        return 1
    set_api_key(args.url, key)
    print(f"stored the key for {args.url} in the system keyring ({api_key_name(args.url)})")
    return 0
