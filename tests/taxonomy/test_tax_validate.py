"""ilabdesk's in-process validator against instructlab-schema's TaxonomyParser, file by file.

The corpus (tests/data/taxonomy/corpus) has one folder per rule: `valid/`,
`invalid/` and `warning/` say what the file must get; tests/data/taxonomy/public
holds real files from public InstructLab taxonomies (v1 to v3, valid and not).
The official parser runs exactly as `ilab taxonomy diff` configures it
(schema_version=0, strict yamllint) with the real `yamllint` program; `yq` is
switched off because the one installable here (the jq wrapper) cannot print
line numbers, so the official line for schema errors is 1 and we compare the
message text there, and line:col for lint messages.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from pathlib import Path

import pytest

from ilabdesk.taxonomy.validate import find_qna_files, validate_file, validate_paths

DATA = Path(__file__).resolve().parents[1] / "data" / "taxonomy"
CORPUS = DATA / "corpus"
PUBLIC = DATA / "public"
FILES = find_qna_files([CORPUS, PUBLIC])


def _rel(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    """Run the official TaxonomyParser like `ilab` does; returns (crashed, errors, warnings) messages."""
    from instructlab.schema.taxonomy import TaxonomyMessageFormat, TaxonomyParser, TaxonomyReadingException

    bindir = str(Path(sys.executable).parent)
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = bindir + os.pathsep + old_path
    if shutil.which("yamllint") is None:
        pytest.skip("the yamllint program is not installed next to this Python")
    capture = _Capture()
    logger = logging.getLogger("instructlab.schema.taxonomy")
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)

    def run(path: Path):
        capture.records.clear()
        parser = TaxonomyParser(
            schema_version=0, message_format=TaxonomyMessageFormat.LOGGING, yamllint_strict=True
        )
        parser.yq_available = False
        try:
            taxonomy = parser.parse(path)
        except TaxonomyReadingException:
            return True, [], []
        errors, warnings = [], []
        for record in capture.records:
            if record.args and len(record.args) >= 3 and str(record.args[0]) == str(taxonomy.rel_path):
                # "%s:%s:%s [%s] msg" or "%s:%s:%s msg" -> (line, col, text after position)
                line, col = int(record.args[1]), int(record.args[2])
                text = record.getMessage().split(" ", 1)[1]
                (errors if record.levelno >= logging.ERROR else warnings).append((line, col, text))
        assert taxonomy.errors == len(errors) and taxonomy.warnings == len(warnings)
        return False, errors, warnings

    yield run
    logger.removeHandler(capture)
    os.environ["PATH"] = old_path


def _split(message: str, shown: str) -> tuple[int, int, str]:
    assert message.startswith(shown + ":"), message
    line, col, text = message[len(shown) + 1 :].split(":", 2)
    return int(line), int(col), text.strip()


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_same_verdict_and_messages_as_official_parser(path: Path, official) -> None:
    crashed, off_errors, off_warnings = official(path)
    mine = validate_file(path, check_documents=False)
    my_errors = [_split(m, str(path)) for m in mine.errors]
    my_warnings = [_split(m, str(path)) for m in mine.warnings]

    if crashed:  # the official parser raises on unreadable YAML / UTF-8: we report one positioned error
        assert len(my_errors) == 1 and not my_warnings
        assert my_errors[0][2].startswith(("The file is not valid YAML", "The file is not UTF-8"))
        assert (my_errors[0][0], my_errors[0][1]) != (1, 1) or "UTF-8" in my_errors[0][2]
    else:
        assert len(my_errors) == len(off_errors)
        assert len(my_warnings) == len(off_warnings)
        for (line, col, text), (oline, ocol, otext) in zip(my_errors + my_warnings, off_errors + off_warnings):
            if otext.startswith("Cannot load schema file"):
                assert text.startswith(otext.split(". ")[0])
            else:
                assert text.startswith(otext)  # ours may add a hint after the official text
            if (oline, ocol) != (1, 1):  # yamllint positions: must be identical
                assert (line, col) == (oline, ocol)

    # The corpus folder names state the expected verdict, so the corpus itself is checked too.
    parts = path.relative_to(DATA).parts
    if "valid" in parts:
        assert not mine.errors and not mine.warnings
    elif "invalid" in parts:
        assert mine.errors
    elif "warning" in parts:
        assert mine.warnings and not mine.errors


def test_corpus_covers_every_version_and_kind() -> None:
    import yaml

    seen = set()
    for path in FILES:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(data, dict):
            seen.add((path.relative_to(DATA).parts[1], data.get("version", 1)))
    for kind in ("compositional_skills", "knowledge"):
        for version in (1, 2, 3):
            assert (kind, version) in seen
    assert ("foundational_skills", 1) in seen and ("foundational_skills", 3) in seen


def test_schema_errors_point_at_the_offending_line(tmp_path: Path) -> None:
    leaf = tmp_path / "compositional_skills" / "x" / "qna.yaml"
    leaf.parent.mkdir(parents=True)
    seeds = "".join(f"  - question: Q{i}?\n    answer: A{i}\n" for i in range(1, 5))
    leaf.write_text(f"version: 3\ntask_description: t\ncreated_by: me\nseed_examples:\n{seeds}  - question: 7\n    answer: ok\n")
    report = validate_file(leaf)
    assert report.errors == [f"{leaf}:13:15: [.seed_examples[4].question] 7 is not of type 'string'"]


def test_unparsable_and_non_utf8_are_positioned_errors(tmp_path: Path) -> None:
    bad = tmp_path / "qna.yaml"
    bad.write_text("version: 3\ntask_description: 'unterminated\ncreated_by: me\n")
    [error] = validate_file(bad).errors
    assert error.startswith(f"{bad}:4:1: The file is not valid YAML")
    bad.write_bytes(b"version: 3\ncreated_by: caf\xe9\n")
    assert validate_file(bad).errors == [f"{bad}:2:16: The file is not UTF-8 (byte 0xe9); re-save it as UTF-8"]


def test_custom_lint_rules_replace_the_default(tmp_path: Path) -> None:
    leaf = tmp_path / "compositional_skills" / "x" / "qna.yaml"
    leaf.parent.mkdir(parents=True)
    seeds = "".join(f"  - question: Q{i}?\n    answer: A{i}\n" for i in range(1, 6))
    leaf.write_text(f"version: 3\ntask_description: {'long ' * 30}end\ncreated_by: me\nseed_examples:\n{seeds}")
    assert validate_file(leaf).ok
    strict = "{extends: relaxed, rules: {line-length: {max: 80}}}"
    [error] = validate_file(leaf, yamllint_config=strict).errors
    assert "line too long" in error and error.startswith(f"{leaf}:2:81:")


def test_validate_paths_recurses_and_reports_misnamed_files(tmp_path: Path) -> None:
    (tmp_path / "knowledge" / "a").mkdir(parents=True)
    (tmp_path / "knowledge" / "a" / "qna.yml").write_text("version: 3\n")
    (tmp_path / ".git" / "knowledge").mkdir(parents=True)
    (tmp_path / ".git" / "knowledge" / "qna.yaml").write_text("[]\n")
    reports = validate_paths([tmp_path])
    assert [r.path.name for r in reports] == ["qna.yml"]
    assert 'must be named "qna.yaml"' in reports[0].errors[0]
    assert json.loads(json.dumps([r.to_json() for r in reports]))[0]["path"] == str(reports[0].path)


def test_validate_text_gives_the_same_messages_for_unsaved_editor_text() -> None:
    from ilabdesk.taxonomy.validate import validate_text

    for name in ("v3_trailing_spaces", "v3_missing_answer", "unparsable", "version_4"):
        path = CORPUS / "compositional_skills" / "invalid" / name / "qna.yaml"
        text = path.read_bytes().decode("utf-8")
        assert validate_text(text, path).errors == validate_file(path, check_documents=False).errors
    knowledge = CORPUS / "knowledge" / "valid" / "v3" / "qna.yaml"
    elsewhere = knowledge.parents[4] / "compositional_skills" / "x" / "qna.yaml"  # the path picks the schema
    assert validate_text(knowledge.read_text(), knowledge).ok and not validate_text(knowledge.read_text(), elsewhere).ok


def test_same_verdict_as_official_parser_on_mutated_files(tmp_path: Path, official) -> None:
    """Random small edits (fixed seed) of corpus files: typos, stray tabs, colons, indentation."""
    import random

    rng = random.Random(20240501)
    sources = [f for f in FILES if f.name == "qna.yaml"]
    inserts = [b" ", b"\n", b"-", b":", b"'", b"\t", b"#", b"- x\n", b"\n\n\n", b"{", b"&a", b"*a", b"\xc3"]
    for i in range(12):
        src = rng.choice(sources)
        raw = bytearray(src.read_bytes())
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(raw) + 1) if raw else 0
            if rng.random() < 0.4 and raw:
                del raw[min(pos, len(raw) - 1)]
            else:
                raw[pos:pos] = rng.choice(inserts)
        dst = tmp_path / str(i) / src.relative_to(DATA)
        dst.parent.mkdir(parents=True)
        dst.write_bytes(bytes(raw))
        crashed, off_errors, off_warnings = official(dst)
        mine = validate_file(dst, check_documents=False)
        assert (crashed or bool(off_errors)) == bool(mine.errors), (dst, off_errors, mine.errors)
        assert crashed or len(off_errors) == len(mine.errors)
        assert bool(off_warnings) == bool(mine.warnings)
