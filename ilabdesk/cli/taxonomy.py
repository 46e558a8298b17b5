"""`ilabdesk taxonomy ...`: validate, diff, new, mv, tree, format, contribute, ingest.

The taxonomy folder defaults to `--taxonomy`, then the config's
`taxonomy.path`, then the current folder; the diff base to `--base`, then
`taxonomy.base` (origin/main). Output is plain `path:line:col: message`
lines so editors and CI can jump to problems; `--json` where scripts need it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ilabdesk.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("taxonomy", help="validate, diff, create, format and contribute taxonomy leaves")
    tax = parser.add_subparsers(dest="taxonomy_command", metavar="ACTION", required=True)

    p = tax.add_parser("validate", help="check qna.yaml files exactly like `ilab taxonomy diff` does")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a checkout, a folder or a qna.yaml")
    p.add_argument("--json", action="store_true", help="print a JSON list of {path, errors, warnings}")
    p.add_argument("--yaml-rules", type=Path, help="yamllint config file replacing the default rules")
    p.add_argument("--fetch", action="store_true", help="let the document check clone remote repos (network)")
    p.add_argument("--no-documents", action="store_true", help="skip the knowledge document check")
    p.set_defaults(func=_validate)

    p = tax.add_parser("diff", help="list leaves changed against a git base (and validate them)")
    _taxonomy_arg(p)
    p.add_argument("--base", help="branch, remote branch, commit, or `empty` for all leaves (default origin/main)")
    p.add_argument("--quiet", action="store_true", help="do not list the files, only validate")
    p.add_argument("--no-validate", action="store_true", help="only list the files")
    p.add_argument("--json", action="store_true", help="print a JSON list of {path, errors, warnings}")
    p.set_defaults(func=_diff)

    p = tax.add_parser("new", help="create a leaf from a template")
    p.add_argument("kind", choices=("knowledge", "skill", "foundational"))
    p.add_argument("path", help='leaf path, e.g. "history/rome" or "knowledge/history/rome"')
    _taxonomy_arg(p)
    p.add_argument("--grounded", action="store_true", help="skill examples carry a context to work on")
    p.add_argument("--created-by", default="your-github-username", help="your GitHub user name")
    p.add_argument("--task-description", default="Describe the task the model should learn.")
    p.add_argument("--domain", default="Describe the domain in a few words")
    p.add_argument("--repo", default="https://github.com/your-org/your-knowledge-docs", help="documents git repo")
    p.add_argument("--commit", default="0000000000000000000000000000000000000000", help="documents commit")
    p.add_argument("--pattern", action="append", dest="patterns", help="document glob pattern (repeatable)")
    p.add_argument("--attribution", type=Path, help="a file whose text becomes attribution.txt")
    p.set_defaults(func=_new)

    p = tax.add_parser("mv", help="rename or move a leaf (with its attribution.txt; git mv when tracked)")
    p.add_argument("leaf", type=Path)
    p.add_argument("destination", help='new leaf path, e.g. "knowledge/history/ancient_rome"')
    p.set_defaults(func=_mv)

    p = tax.add_parser("init", help="make a folder an empty taxonomy (knowledge/, compositional_skills/, git)")
    p.add_argument("folder", type=Path)
    p.set_defaults(func=_init)

    p = tax.add_parser("tree", help="show the taxonomy as a tree of domains and leaves")
    _taxonomy_arg(p)
    p.set_defaults(func=_tree)

    p = tax.add_parser("format", help="rewrite qna.yaml files in canonical style (data unchanged)")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--check", action="store_true", help="only report files that would change (exit 1)")
    p.add_argument("--drop-comments", action="store_true", help="allow formatting files that have comments")
    p.set_defaults(func=_format)

    p = tax.add_parser("contribute", help="commit leaves on a new branch; export a patch/bundle or push")
    p.add_argument("leaves", nargs="+", type=Path, metavar="LEAF")
    _taxonomy_arg(p)
    p.add_argument("--branch", required=True, help="name of the new branch")
    p.add_argument("-m", "--message", required=True, help="commit message")
    p.add_argument("--base", default="HEAD", help="commit the branch starts from (default HEAD)")
    p.add_argument("--patch", type=Path, help="also write the commit as a patch file (git am)")
    p.add_argument("--bundle", type=Path, help="also write a git bundle (git fetch FILE BRANCH)")
    p.add_argument("--push", action="store_true", help="push the branch to the configured remote")
    p.add_argument("--remote", help="remote to push to (default: the only one, or origin)")
    p.add_argument("--allow-invalid", action="store_true", help="contribute even if validation fails")
    p.set_defaults(func=_contribute)

    p = tax.add_parser("ingest", help="turn documents into a knowledge leaf's context (and draft seeds)")
    p.add_argument("--leaf", required=True, type=Path, help="the knowledge leaf folder or qna.yaml")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".md, .pdf, .docx, .txt ... files")
    p.add_argument("--draft-seeds", action="store_true", help="let the teacher draft seed Q&A from the text")
    p.add_argument("--teacher", help="teacher model (library name, GGUF path or endpoint URL)")
    p.add_argument("--on-clash", choices=("ask", "replace", "keep-both"), default="ask",
                   help="when a different document of the same name is already there: stop and say so (ask, "
                   "the default), replace it (git keeps the old one) or keep both")
    p.add_argument("--json", action="store_true", help="print raw JSON-line events")
    p.set_defaults(func=_ingest)


def _taxonomy_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--taxonomy", type=Path, help="taxonomy checkout (default: config taxonomy.path, then .)")


def _taxonomy_dir(args: argparse.Namespace) -> Path:
    if args.taxonomy:
        return args.taxonomy
    from ilabdesk.settings import load_config

    configured = load_config().get("taxonomy", {}).get("path")
    return Path(configured).expanduser() if configured else Path.cwd()


def _print_reports(reports, as_json: bool) -> int:
    errors = sum(len(r.errors) for r in reports)
    warnings = sum(len(r.warnings) for r in reports)
    if as_json:
        print(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            for message in report.errors:
                print(f"{message}")
            for message in report.warnings:
                print(f"{message} (warning)")
        bad = sum(1 for r in reports if r.errors)
        verdict = "valid" if not errors else f"{bad} with errors"
        print(f"{len(reports)} file(s) checked: {verdict}, {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _yamllint_config(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read yamllint rules ({exc.strerror})") from None


def _validate(args: argparse.Namespace) -> int:
    from ilabdesk.taxonomy.validate import validate_paths

    reports = validate_paths(
        args.paths,
        yamllint_config=_yamllint_config(args.yaml_rules),
        check_documents=not args.no_documents,
        fetch=args.fetch,
    )
    if not reports:
        raise UserError(
            f"no qna.yaml files under {', '.join(map(str, args.paths))}",
            hint="point at a taxonomy checkout, a leaf folder or a qna.yaml",
        )
    return _print_reports(reports, args.json)


def _diff(args: argparse.Namespace) -> int:
    from ilabdesk.settings import load_config
    from ilabdesk.taxonomy.diff import diff_taxonomy
    from ilabdesk.taxonomy.validate import validate_file

    root = _taxonomy_dir(args)
    base = args.base or load_config().get("taxonomy", {}).get("base") or "origin/main"
    diff = diff_taxonomy(root, base)
    for path in diff.misnamed:
        print(f"{path}: taxonomy files must be named qna.yaml; this file is ignored by ilab", file=sys.stderr)
    if not args.quiet and not args.json:
        for path in diff.leaves:
            print(path.relative_to(root.resolve()).as_posix())
    if args.no_validate:
        return 0
    reports = [validate_file(p, shown=str(p.relative_to(root.resolve()))) for p in diff.leaves]
    if args.json:
        return _print_reports(reports, True)
    if not reports:
        print(f"no changed leaves against {base}", file=sys.stderr)
        return 0
    return _print_reports(reports, False)


def _new(args: argparse.Namespace) -> int:
    from ilabdesk.taxonomy.leaf import new_leaf

    attribution = args.attribution.read_text(encoding="utf-8") if args.attribution else None
    leaf = new_leaf(
        _taxonomy_dir(args),
        args.path,
        args.kind,
        grounded=args.grounded,
        created_by=args.created_by,
        task_description=args.task_description,
        domain=args.domain,
        repo=args.repo,
        commit=args.commit,
        patterns=args.patterns or ["*.md"],
        attribution=attribution,
    )
    print(leaf.path)
    return 0


def _mv(args: argparse.Namespace) -> int:
    from ilabdesk.taxonomy.leaf import move_leaf

    print(move_leaf(args.leaf, args.destination).path)
    return 0


def _init(args: argparse.Namespace) -> int:
    from ilabdesk.taxonomy.tree import new_taxonomy

    print(f"{new_taxonomy(args.folder)}: a taxonomy; add a leaf with: ilabdesk taxonomy new knowledge PATH "
          f"--taxonomy {args.folder}")
    return 0


def _tree(args: argparse.Namespace) -> int:
    from ilabdesk.taxonomy.tree import scan

    tree = scan(_taxonomy_dir(args))
    for kind_node in tree.kinds.values():
        for node in kind_node.walk():
            depth = node.rel.count("/")
            print(f"{'  ' * depth}{node.name}{'  [leaf]' if node.is_leaf else ''}")
    for path in tree.misnamed:
        print(f"{path}: misnamed leaf file (must be qna.yaml)", file=sys.stderr)
    return 0


def _format(args: argparse.Namespace) -> int:
    from ilabdesk.taxonomy.format import format_file
    from ilabdesk.taxonomy.validate import find_qna_files

    files = find_qna_files(args.paths)
    if not files:
        raise UserError(f"no qna.yaml files under {', '.join(map(str, args.paths))}")
    status = 0
    for path in files:
        result = format_file(path, check=args.check, drop_comments=args.drop_comments)
        if result.error:
            print(f"error: {result.error} (file left unchanged)", file=sys.stderr)
            status = 1
        elif result.changed:
            verb = "would reformat" if args.check else "reformatted"
            note = f" (dropped {result.dropped_comments} comment line(s))" if result.dropped_comments else ""
            print(f"{verb} {path}{note}")
            if args.check:
                status = 1
    return status


def _contribute(args: argparse.Namespace) -> int:
    from ilabdesk.contrib.branch import contribute
    from ilabdesk.contrib.export import export_bundle, export_patch, push_branch

    result = contribute(
        _taxonomy_dir(args),
        args.leaves,
        args.branch,
        args.message,
        base=args.base,
        allow_invalid=args.allow_invalid,
    )
    print(f"created branch {result.branch} at {result.commit[:12]} with {', '.join(result.files)}")
    if args.patch:
        print(f"wrote patch {export_patch(result.repo, result.branch, args.patch, base=result.base)}")
    if args.bundle:
        print(f"wrote bundle {export_bundle(result.repo, result.branch, args.bundle, base=result.base)}")
    if args.push:
        remote = push_branch(result.repo, result.branch, args.remote)
        print(f"pushed {result.branch} to {remote}")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from ilabdesk.jobs.console import run_in_terminal

    for path in [args.leaf, *args.files]:
        if not path.exists():
            raise UserError(f"{path}: no such file or folder")
    job_args = {
        "leaf": str(args.leaf.resolve()),
        "files": [str(f.resolve()) for f in args.files],
        "draft_seeds": bool(args.draft_seeds),
        "teacher": args.teacher,
        "on_clash": args.on_clash,
    }
    return run_in_terminal("ingest", job_args, json_lines=args.json)
