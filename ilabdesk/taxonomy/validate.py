"""Validate qna.yaml files with the same verdict as `ilab taxonomy diff`, in-process.

`ilab` validates with instructlab-schema's `TaxonomyParser(schema_version=0,
yamllint_strict=True)`, which shells out to the `yamllint` and `yq` programs.
A desktop app cannot count on either being on PATH, so this module walks the
same steps itself, in the same order, with the same inputs:

1. the file must exist and be named exactly `qna.yaml`;
2. it is read as UTF-8 with universal newlines (like `Path.read_text`) and
   parsed with `yaml.safe_load`; an empty document is a warning, a top level
   that is not a mapping is an error;
3. the schema version comes from the file's `version` key (default 1; non-int
   values are converted with `int()`, falling back to 1);
4. version > 1 files are linted with yamllint's Python API and the same
   config string (`{extends: relaxed, rules: {line-length: disable}}` unless
   the user passes their own), every problem counted as an error (strict);
5. the file is checked against instructlab-schema's own JSON schema for its
   folder (`knowledge` or `compositional_skills`; elsewhere the presence of
   `document` picks) and version, deprecated schemas are an error;
6. only when all that is clean, a knowledge `document:` block is checked:
   repo reachable, commit present, patterns matching .md/.pdf files (what
   `ilab`'s `validate_taxonomy_file` adds on top of the parser).

Where the parser would crash (bad YAML, bad UTF-8) we report an error with its
position instead. Line numbers of schema errors come from the YAML node the
error points at (what `yq '<path> | line'` prints), columns likewise.
"""

from __future__ import annotations

import functools
import json
import pathlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ilabdesk.errors import UserError
from ilabdesk.taxonomy.leaf import QNA_NAME
from ilabdesk.taxonomy.yamlstyle import compose, safe_load

TAXONOMY_FOLDERS = ("compositional_skills", "knowledge")
DEFAULT_YAMLLINT_CONFIG = "{extends: relaxed, rules: {line-length: disable}}"


@dataclass
class FileReport:
    """Errors and warnings for one file, each `path:line:col: message`."""

    path: Path
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "errors": list(self.errors), "warnings": list(self.warnings)}


class _Reporter:
    def __init__(self, report: FileReport, shown: str) -> None:
        self.report = report
        self.shown = shown

    def error(self, message: str, line: int = 1, col: int = 1) -> None:
        self.report.errors.append(f"{self.shown}:{line}:{col}: {message}")

    def warning(self, message: str, line: int = 1, col: int = 1) -> None:
        self.report.warnings.append(f"{self.shown}:{line}:{col}: {message}")


def taxonomy_path_of(abs_path: Path) -> Path:
    """The path from the last `knowledge`/`compositional_skills` folder on (or the path itself).

    Its first part names the schema, exactly as in TaxonomyParser.parse.
    """
    parts = abs_path.parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in TAXONOMY_FOLDERS:
            return Path(*parts[i:])
    return abs_path


@functools.lru_cache
def _schema_resource(version_dir: str, name: str):
    """Load one of instructlab-schema's JSON schema files as a referencing Resource."""
    from instructlab.schema import schema_base
    from referencing import Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT202012

    schema_path = schema_base().joinpath(pathlib.Path(version_dir, name).as_posix())
    try:
        contents = json.loads(schema_path.read_text(encoding="utf-8"))
    except Exception as exc:
        raise NoSuchResource(str(schema_path)) from exc
    return Resource.from_contents(contents, default_specification=DRAFT202012)


@functools.lru_cache
def _lint_config(config_text: str):
    from yamllint.config import YamlLintConfig, YamlLintConfigError

    try:
        return YamlLintConfig(content=config_text)
    except YamlLintConfigError as exc:
        raise UserError(f"invalid yamllint configuration: {exc}") from None


def _node_at(root: yaml.Node | None, path: Iterable[Any]) -> yaml.Node | None:
    """Follow a jsonschema error path (keys / indexes) through the composed YAML nodes."""
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = None
            for key, value in node.value:  # last duplicate wins, as in safe_load
                if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                    found = value
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            node = None
        if node is None:
            return None
    return node


def _position(root: yaml.Node | None, path: Iterable[Any]) -> tuple[int, int]:
    node = _node_at(root, path)
    if node is None:
        return 1, 1
    return node.start_mark.line + 1, node.start_mark.column + 1


def schema_version_of(contents: Mapping[str, Any]) -> Any:
    """The version TaxonomyParser(schema_version=0) uses: the file's, int()-converted, else 1."""
    version = contents.get("version", 1)
    if isinstance(version, int):
        return version
    try:
        return int(version)
    except (ValueError, TypeError):
        return 1


def decode_text(raw: bytes) -> str:
    """UTF-8 with universal newlines, i.e. what `Path.read_text(encoding="utf-8")` returns."""
    return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def lint(text: str, config_text: str = DEFAULT_YAMLLINT_CONFIG) -> list[tuple[int, int, str]]:
    """yamllint problems as (line, column, "description (rule)"), all treated as errors (strict)."""
    from yamllint import linter

    # Bytes, as the yamllint program reads them from stdin: it then decodes
    # them itself (dropping a UTF-8 BOM, which a str would keep).
    problems = linter.run(text.encode("utf-8"), _lint_config(config_text))
    return [(p.line, p.column, p.message) for p in problems]


def validate_file(
    path: Path | str,
    *,
    yamllint_config: str | None = None,
    check_documents: bool = True,
    fetch: bool = False,
    shown: str | None = None,
) -> FileReport:
    """Validate one qna.yaml; never raises for problems in the file itself.

    `yamllint_config` replaces the default lint rules (like `ilab --yaml-rules`);
    `fetch` lets the document check contact remote repos; `shown` is the path
    printed in messages (default: `path` as given).
    """
    path = Path(path)
    report = FileReport(path=path)
    out = _Reporter(report, shown or str(path))
    abs_path = path.resolve()
    if not abs_path.is_file():
        out.error(f'The file "{abs_path}" does not exist or is not a file')
        return report
    if abs_path.name != QNA_NAME:
        out.error(
            f'Taxonomy file must be named "{QNA_NAME}"; "{abs_path.name}" is not a valid name '
            f"(rename it to {QNA_NAME})"
        )
        return report
    try:
        raw = abs_path.read_bytes()
    except OSError as exc:
        out.error(f"The file cannot be read: {exc.strerror}")
        return report
    _validate_bytes(raw, abs_path, out, yamllint_config, check_documents, fetch)
    return report


def validate_text(
    text: str,
    path: Path | str,
    *,
    yamllint_config: str | None = None,
    check_documents: bool = False,
    shown: str | None = None,
) -> FileReport:
    """Validate unsaved editor text as if it were saved at `path` (which picks the schema).

    For live feedback in an editor: same rules and messages as `validate_file`,
    without touching the disk; the document check is off by default because it
    runs git.
    """
    path = Path(path)
    report = FileReport(path=path)
    out = _Reporter(report, shown or str(path))
    abs_path = path.resolve()
    if abs_path.name != QNA_NAME:
        out.error(f'Taxonomy file must be named "{QNA_NAME}"; "{abs_path.name}" is not a valid name')
        return report
    _validate_bytes(text.encode("utf-8"), abs_path, out, yamllint_config, check_documents, False)
    return report


def _validate_bytes(
    raw: bytes,
    abs_path: Path,
    out: _Reporter,
    yamllint_config: str | None,
    check_documents: bool,
    fetch: bool,
) -> None:
    """TaxonomyParser.parse from the read step on, plus ilab's document check."""
    report = out.report
    taxonomy_path = taxonomy_path_of(abs_path)
    try:
        text = decode_text(raw)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        out.error(f"The file is not UTF-8 (byte 0x{raw[exc.start]:02x}); re-save it as UTF-8", line, col)
        return
    try:
        contents = safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        out.error(f"The file is not valid YAML: {problem}", line, col)
        return
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        out.error(f"The file is not valid YAML: character #x{exc.character:04x} is not allowed in YAML", line, col)
        return
    except yaml.YAMLError as exc:
        out.error(f"The file is not valid YAML: {str(exc).splitlines()[0]}")
        return
    if not contents:
        out.warning("The file is empty")
        return
    if not isinstance(contents, Mapping):
        out.error("The file is not valid. The top-level element is not an object with key-value pairs.")
        return
    try:
        version = schema_version_of(contents)
    except OverflowError:
        out.error(f"version {contents.get('version')!r} is not a whole number", *_position(compose(text), ["version"]))
        return

    if version > 1:  # InstructLab does not lint version 1 files
        for line, col, message in lint(text, yamllint_config or DEFAULT_YAMLLINT_CONFIG):
            out.error(message, line, col)

    _schema_validate(contents, version, taxonomy_path, text, out)

    if check_documents and not report.errors and not report.warnings and contents.get("document"):
        from ilabdesk.taxonomy.documents import check_documents as check_docs

        result = check_docs(dict(contents), abs_path, fetch=fetch)
        root = compose(text)
        for key, message in result.errors:
            out.error(message, *_position(root, ["document", key]))
        for key, message in result.warnings:
            out.warning(message, *_position(root, ["document", key]))


def _schema_validate(contents: Mapping[str, Any], version: Any, taxonomy_path: Path, text: str, out: _Reporter) -> None:
    from jsonschema.validators import validator_for
    from referencing import Registry
    from referencing.exceptions import NoSuchResource

    version_dir = f"v{version}"
    schema_name = taxonomy_path.parts[0]
    if schema_name not in TAXONOMY_FOLDERS:
        schema_name = "knowledge" if "document" in contents else "compositional_skills"
    try:
        schema = _schema_resource(version_dir, f"{schema_name}.json").contents
        if isinstance(schema, Mapping) and schema.get("deprecated"):
            out.error(schema.get("description") or f"{schema_name} schema version {version} is deprecated")
            return
        registry = Registry(retrieve=functools.partial(_schema_resource, version_dir))
        validator = validator_for(schema)(schema, registry=registry)
        errors = list(validator.iter_errors(contents))
    except NoSuchResource as exc:
        out.error(
            f"Cannot load schema file {exc.ref}: instructlab-schema has no schema version {version!r} "
            f"(use version: 3)"
        )
        return
    if not errors:
        return
    root = compose(text)
    for error in errors:
        yaml_path = error.json_path[1:] or "."
        line, col = _position(root, error.absolute_path)
        if error.validator == "minItems":
            message = f"Value must have at least {error.validator_value} items"
        else:
            message = error.message[-200:]
        out.error(f"[{yaml_path}] {message}", line, col)


def find_qna_files(paths: Iterable[Path | str]) -> list[Path]:
    """Expand arguments (files, folders, checkouts) into files to validate, recursively.

    Folders yield every `qna.yaml`, plus misnamed `qna.yml`/`QNA.yaml` files so
    they are reported rather than silently skipped. Hidden folders (.git) are skipped.
    """
    found: list[Path] = []
    for arg in paths:
        arg = Path(arg)
        if arg.is_dir():
            for candidate in sorted(arg.rglob("*")):
                rel_parts = candidate.relative_to(arg).parts
                if any(part.startswith(".") for part in rel_parts):
                    continue
                if candidate.is_file() and candidate.name.casefold() in {"qna.yaml", "qna.yml"}:
                    found.append(candidate)
        else:
            found.append(arg)
    unique: list[Path] = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique


def validate_paths(paths: Iterable[Path | str], **options: Any) -> list[FileReport]:
    """Validate every qna file under the given paths; raises UserError if a path does not exist."""
    paths = list(paths)
    for arg in paths:
        if not Path(arg).exists():
            raise UserError(f"{arg}: no such file or folder")
    return [validate_file(p, **options) for p in find_qna_files(paths)]
