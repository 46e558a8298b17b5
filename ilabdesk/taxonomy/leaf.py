"""One taxonomy leaf: a folder with a `qna.yaml` (and maybe an `attribution.txt`).

`load_leaf` is strict about the things InstructLab itself would reject before
even looking at the content (wrong file name, not UTF-8, not YAML, not a
mapping, a schema version nobody knows) and turns each into a `UserError`
that names the file, the line and the fix. Content rules (required keys,
minimum seed counts, lint) belong to `ilabdesk.taxonomy.validate`, so a
half-written leaf can still be opened and edited.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_write_text
from ilabdesk.taxonomy.yamlstyle import compose, dump_yaml, safe_load

QNA_NAME = "qna.yaml"
ATTRIBUTION_NAME = "attribution.txt"
KINDS = ("knowledge", "compositional_skills", "foundational_skills")
# Schema versions instructlab-schema ships (v1..v3); a leaf with another
# number cannot be checked by anyone, so we refuse it at load time.
KNOWN_VERSIONS = (1, 2, 3)
LATEST_VERSION = 3


@dataclass
class Leaf:
    """A parsed leaf. `data` keeps the file's key order; `rel` is e.g. "knowledge/history/foo"."""

    path: Path
    data: dict[str, Any]
    root: Path = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.root is None:
            self.root = taxonomy_root(self.path)

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def rel(self) -> str:
        """Leaf folder relative to the taxonomy root, with forward slashes."""
        try:
            return self.dir.resolve().relative_to(Path(self.root).resolve()).as_posix()
        except ValueError:
            return self.dir.name

    @property
    def kind(self) -> str:
        """"knowledge", "compositional_skills" or "foundational_skills".

        The folder decides, as it does for InstructLab; outside a taxonomy the
        presence of a `document:` block decides, which is the same fallback
        instructlab-schema uses to pick a schema.
        """
        first = self.rel.split("/", 1)[0]
        if first in KINDS:
            return first
        return "knowledge" if "document" in self.data else "compositional_skills"

    @property
    def is_knowledge(self) -> bool:
        return self.kind == "knowledge"

    @property
    def grounded(self) -> bool:
        """True when examples carry a `context` the model must use.

        Knowledge leaves are always grounded in their documents; a skill is
        grounded when any seed example has a context.
        """
        if self.is_knowledge:
            return True
        seeds = self.data.get("seed_examples")
        return isinstance(seeds, list) and any(isinstance(s, dict) and "context" in s for s in seeds)

    @property
    def version(self) -> int:
        version = self.data.get("version", 1)
        return version if isinstance(version, int) else 1

    @property
    def name(self) -> str:
        return self.dir.name

    @property
    def attribution_path(self) -> Path:
        return self.dir / ATTRIBUTION_NAME

    def read_attribution(self) -> str | None:
        """The leaf's attribution.txt text (source, license), or None if it has none."""
        try:
            return self.attribution_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write_attribution(self, text: str) -> None:
        atomic_write_text(self.attribution_path, text)


def taxonomy_root(qna_path: Path) -> Path:
    """The checkout folder that holds `knowledge/`, `compositional_skills/`, ...

    Searched from the leaf upwards, like instructlab-schema does, so a
    checkout living under a folder that happens to be called "knowledge" still
    resolves to the right root.
    """
    parts = Path(qna_path).absolute().parent.parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in KINDS:
            return Path(*parts[:i])
    return Path(qna_path).absolute().parent.parent


def qna_file(path: Path) -> Path:
    """Resolve a leaf folder or file argument to its qna.yaml, rejecting wrong names."""
    path = Path(path)
    if path.is_dir():
        if (path / QNA_NAME).is_file():
            return path / QNA_NAME
        for other in sorted(path.iterdir()):
            if other.is_file() and other.name.casefold() in {"qna.yml", "qna.yaml"}:
                raise _wrong_name(other)
        raise UserError(f"{path}: no {QNA_NAME} in this folder", hint="create one with `ilabdesk taxonomy new`")
    if not path.exists():
        raise UserError(f"{path}: no such leaf folder or file",
                        hint="pass a leaf folder (the folder holding its qna.yaml), relative to the taxonomy or absolute")
    if path.name != QNA_NAME:
        if path.name.casefold() in {"qna.yml", "qna.yaml"}:
            raise _wrong_name(path)
        raise UserError(
            f"{path}:1:1: taxonomy files must be named {QNA_NAME}",
            hint=f"put the leaf in its own folder as {QNA_NAME}",
        )
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    return path


def _wrong_name(path: Path) -> UserError:
    return UserError(
        f"{path}:1:1: InstructLab only reads files named {QNA_NAME}; {path.name!r} is ignored by `ilab`",
        hint=f"rename it: git mv {path} {path.with_name(QNA_NAME)}",
    )


def read_text_checked(path: Path) -> str:
    """Read a qna.yaml as UTF-8, naming the line and column of the first bad byte."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UserError(
            f"{path}:{line}:{col}: not UTF-8 (byte 0x{raw[exc.start]:02x})",
            hint="re-save the file as UTF-8 in your editor",
        ) from None


def parse_yaml(text: str, path: Path) -> Any:
    """yaml.safe_load with the error turned into `path:line:col: problem`."""
    try:
        return safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else f"{path}:1:1"
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise UserError(
            f"{where}: not valid YAML: {problem}",
            hint="check indentation and quoting on that line; multi-line text needs `key: |` and indented lines",
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise UserError(
            f"{path}:{line}:{col}: not valid YAML: character #x{exc.character:04x} is not allowed in YAML",
            hint="delete that invisible control character",
        ) from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}:1:1: not valid YAML: {str(exc).splitlines()[0]}") from None


def load_leaf(path: Path | str) -> Leaf:
    """Read a leaf (its folder or its qna.yaml). Raises UserError for unreadable files."""
    qna = qna_file(Path(path))
    data = parse_yaml(read_text_checked(qna), qna)
    if data is None:
        raise UserError(f"{qna}:1:1: the file is empty", hint="start from `ilabdesk taxonomy new`")
    if not isinstance(data, dict):
        raise UserError(
            f"{qna}:1:1: the top level is a {type(data).__name__}, not a mapping of keys to values",
            hint="a qna.yaml starts with `version:`, `created_by:` ... at column 1",
        )
    version = data.get("version", 1)
    if type(version) is not int or version not in KNOWN_VERSIONS:
        line = _key_line(qna, "version")
        raise UserError(
            f"{qna}:{line}:1: unknown taxonomy schema version {version!r}",
            hint=f"use `version: {LATEST_VERSION}` (known versions: {', '.join(map(str, KNOWN_VERSIONS))})",
        )
    return Leaf(path=qna, data=data)


def _key_line(path: Path, key: str) -> int:
    """1-based line of a top-level key, for error messages (1 if not found)."""
    try:
        node = compose(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return 1
    if isinstance(node, yaml.MappingNode):
        for k, _v in node.value:
            if k.value == key:
                return k.start_mark.line + 1
    return 1


def save_leaf(leaf: Leaf) -> None:
    """Write `leaf.data` to `leaf.path` atomically in canonical style.

    Comments in the old file are not kept (PyYAML drops them); the data is
    checked to re-read identically before the file is replaced.
    """
    text = dump_yaml(leaf.data)
    atomic_write_text(leaf.path, text)


def _yaml_scalar(value: str) -> str:
    """`value` as a plain YAML scalar where it reads back the same, else double-quoted."""
    import json

    try:
        if value and yaml.safe_load(f"k: {value}") == {"k": value}:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


def write_document_block(path: Path, repo: str, commit: str, patterns: list[str]) -> None:
    """Point a knowledge leaf at its documents by rewriting only its top-level `document:` block.

    Comments, key order and the layout of every other line stay as the user
    wrote them (a whole-file YAML dump would drop comments and reflow folded
    text). The file is read right before the write, so an edit saved while
    documents were being converted is kept, and the result must parse to the
    same data with only `document` changed.
    """
    raw = path.read_bytes()  # first: a change after this read refuses the write below
    text = read_text_checked(path)
    before = parse_yaml(text, path)
    block = ["document:", f"  repo: {_yaml_scalar(repo)}", f"  commit: {_yaml_scalar(commit)}", "  patterns:",
             *(f"    - {_yaml_scalar(p)}" for p in patterns)]
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("document:")), None)
    if start is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += block
    else:
        end = start + 1
        while end < len(lines) and (lines[end][:1] in (" ", "\t") or not lines[end].strip()):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():  # blank lines before the next key stay
            end -= 1
        lines[start:end] = block
    new_text = "\n".join(lines) + "\n"
    after = parse_yaml(new_text, path)
    expected = {"repo": repo, "commit": commit, "patterns": patterns}
    if not isinstance(before, dict) or {**before, "document": expected} != after:
        raise UserError(f"{path}: could not update its document: block without changing other keys",
                        hint="write the document: block by hand (repo, commit, patterns), then try again")
    atomic_write_text(path, new_text, expected=raw)


def _placeholders(prefix: str, n: int) -> list[str]:
    return [f"{prefix} {i}" for i in range(1, n + 1)]


def knowledge_template(
    *,
    created_by: str,
    domain: str,
    document_outline: str,
    repo: str,
    commit: str,
    patterns: list[str],
) -> dict[str, Any]:
    """A v3 knowledge leaf with the minimum shape the schema demands (5 contexts x 3 Q&A)."""
    seeds = []
    for i in range(1, 6):
        seeds.append(
            {
                "context": f"Replace with passage {i} copied from your document.\n",
                "questions_and_answers": [
                    {"question": f"Question {j} about passage {i}?\n", "answer": f"Answer {j} taken from passage {i}.\n"}
                    for j in range(1, 4)
                ],
            }
        )
    return {
        "version": 3,
        "domain": domain,
        "created_by": created_by,
        "seed_examples": seeds,
        "document_outline": document_outline,
        "document": {"repo": repo, "commit": commit, "patterns": list(patterns)},
    }


def skill_template(*, created_by: str, task_description: str, grounded: bool) -> dict[str, Any]:
    """A v3 compositional skill with five distinct placeholder examples (context when grounded)."""
    seeds = []
    for i in range(1, 6):
        seed: dict[str, Any] = {}
        if grounded:
            seed["context"] = f"Replace with the input text for example {i}.\n"
        seed["question"] = f"Replace with the request for example {i}.\n"
        seed["answer"] = f"Replace with the ideal answer for example {i}.\n"
        seeds.append(seed)
    return {"version": 3, "task_description": task_description, "created_by": created_by, "seed_examples": seeds}


def leaf_rel(kind: str, rel_path: str) -> str:
    """Normalise a user's leaf path: "history/foo" + knowledge -> "knowledge/history/foo"."""
    folder = {"knowledge": "knowledge", "skill": "compositional_skills", "foundational": "foundational_skills"}.get(
        kind, kind
    )
    if folder not in KINDS:
        raise UserError(f"unknown leaf kind {kind!r}", hint="use knowledge, skill or foundational")
    rel = Path(rel_path.strip("/"))
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise UserError(f"leaf path {rel_path!r} must be a relative path inside the taxonomy")
    if rel.name in {QNA_NAME, "qna.yml"}:
        rel = rel.parent
    if rel.parts[0] in KINDS:
        if rel.parts[0] != folder:
            raise UserError(f"leaf path {rel_path!r} is under {rel.parts[0]}/ but the kind is {kind}")
        return rel.as_posix()
    return (Path(folder) / rel).as_posix()


def new_leaf(
    root: Path | str,
    rel_path: str,
    kind: str = "knowledge",
    grounded: bool = False,
    *,
    created_by: str = "your-github-username",
    task_description: str = "Describe the task the model should learn.",
    domain: str = "Describe the domain in a few words",
    document_outline: str = "A one-sentence summary of the document.",
    repo: str = "https://github.com/your-org/your-knowledge-docs",
    commit: str = "0000000000000000000000000000000000000000",
    patterns: tuple[str, ...] | list[str] = ("*.md",),
    attribution: str | None = None,
) -> Leaf:
    """Create a leaf folder with a valid-shaped qna.yaml skeleton; never overwrites.

    `kind` is "knowledge", "skill" (compositional) or "foundational"; `rel_path`
    may include the kind folder or not. `grounded` adds contexts to skill examples.
    """
    rel = leaf_rel(kind, rel_path)
    qna = Path(root) / rel / QNA_NAME
    if qna.exists() or qna.with_name("qna.yml").exists():
        raise UserError(f"{qna}: a leaf already exists here", hint="choose another path or edit the existing leaf")
    if rel.startswith("knowledge/"):
        data = knowledge_template(
            created_by=created_by,
            domain=domain,
            document_outline=document_outline,
            repo=repo,
            commit=commit,
            patterns=list(patterns),
        )
    else:
        data = skill_template(created_by=created_by, task_description=task_description, grounded=grounded)
    leaf = Leaf(path=qna, data=data, root=Path(root))
    save_leaf(leaf)
    if attribution is not None:
        leaf.write_attribution(attribution)
    return leaf


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def _is_tracked(path: Path) -> bool:
    if shutil.which("git") is None:
        return False
    result = _git(path.parent, "ls-files", "--error-unmatch", "--", path.name)
    return result.returncode == 0


def move_leaf(leaf: Leaf | Path | str, new_rel: str) -> Leaf:
    """Move/rename a leaf to `new_rel` (e.g. "knowledge/science/new_name") under the same root.

    Moves qna.yaml and attribution.txt together, with `git mv` for tracked
    files so history follows. Refuses to overwrite an existing leaf; other
    files and sub-leaves in the old folder stay where they are, and the old
    folder is removed only if it ends up empty.
    """
    if not isinstance(leaf, Leaf):
        leaf = load_leaf(leaf)
    first = Path(new_rel.strip("/")).parts[0] if new_rel.strip("/") else ""
    kind = first if first in KINDS else leaf.kind
    rel = leaf_rel(kind, new_rel)
    dest_dir = Path(leaf.root) / rel
    if dest_dir.resolve() == leaf.dir.resolve():
        return leaf
    dest = dest_dir / QNA_NAME
    for name in (QNA_NAME, "qna.yml", ATTRIBUTION_NAME):
        if (dest_dir / name).exists():
            raise UserError(
                f"{dest_dir / name}: already exists; not overwriting it",
                hint="pick another destination or remove that leaf first",
            )
    dest_dir.mkdir(parents=True, exist_ok=True)
    for src in (leaf.path, leaf.attribution_path):
        if not src.exists():
            continue
        target = dest_dir / src.name
        if _is_tracked(src):
            result = _git(src.parent, "mv", "--", str(src.resolve()), str(target.resolve()))
            if result.returncode != 0:
                raise UserError(f"{src}: git mv failed: {result.stderr.strip()}")
        else:
            src.rename(target)
    root = Path(leaf.root).resolve()
    old = leaf.dir.resolve()
    # Remove emptied folders up to, but not including, the top-level kind folder.
    while old.parent != root and root in old.parents and not any(old.iterdir()):
        old.rmdir()
        old = old.parent
    return Leaf(path=dest, data=leaf.data, root=leaf.root)
