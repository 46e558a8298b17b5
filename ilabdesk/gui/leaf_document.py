"""The leaf being edited: its YAML text, the data parsed from it, and an undo stack.

The text is the truth (what Save writes, byte for byte), so edits in the raw
YAML tab keep the user's layout; the form edits the parsed data and writes it
back in the taxonomy's canonical style. Every change is one snapshot command
on a `QUndoStack`, and typing into the same field merges into one step.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ilabdesk.fileio import atomic_write_text

# The C loader when PyYAML has it: this parse runs on every keystroke in the form.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FieldPath = tuple[Any, ...]  # keys and list indexes, e.g. ("seed_examples", 0, "context")


class _Snapshot(QUndoCommand):
    def __init__(self, doc: LeafDocument, before: str, after: str, origin: str, merge_key: object) -> None:
        super().__init__(f"edit {_describe(merge_key)}")
        self.doc = doc
        self.before = before
        self.after = after
        self.origin = origin
        self.merge_key = merge_key
        self._first = True

    def id(self) -> int:
        return 1 if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _Snapshot) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        self.doc._apply(self.after, self.origin if self._first else "undo")
        self._first = False

    def undo(self) -> None:
        self.doc._apply(self.before, "undo")


def _describe(key: object) -> str:
    if isinstance(key, tuple):
        return " ".join(str(part) for part in key)
    return str(key) if key is not None else "leaf"


class LeafDocument(QObject):
    """One open qna.yaml. `changed(origin)` fires with "form", "raw", "undo" or "load"."""

    changed = Signal(str)
    dirtyChanged = Signal(bool)
    saved = Signal(Path)

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.text = ""
        self.saved_text = ""
        self.data: dict[str, Any] | None = None
        self.parse_error: tuple[int, str] | None = None  # (line, message)
        self.reload()

    # --- reading --------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def kind(self) -> str:
        from ilabdesk.taxonomy.leaf import Leaf

        return Leaf(path=self.path, data=self.data or {}).kind

    @property
    def rel(self) -> str:
        from ilabdesk.taxonomy.leaf import Leaf

        return Leaf(path=self.path, data={}).rel

    def value(self, path: FieldPath, default: Any = None) -> Any:
        node: Any = self.data
        for step in path:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def reload(self) -> None:
        """Read the file again (after a save elsewhere, or an ingest job changed it)."""
        from ilabdesk.taxonomy.validate import decode_text

        self.disk_bytes = self.path.read_bytes() if self.path.exists() else None
        self.saved_text = decode_text(self.disk_bytes) if self.disk_bytes is not None else ""
        self.undo_stack.clear()
        self._apply(self.saved_text, "load")
        self.undo_stack.setClean()

    # --- editing --------------------------------------------------------------

    def set_text(self, text: str, origin: str = "raw", merge_key: object = "raw") -> None:
        if text != self.text:
            self.undo_stack.push(_Snapshot(self, self.text, text, origin, merge_key))

    def set_data(self, data: dict[str, Any], merge_key: object = None) -> None:
        """Replace the data (from the form); written back in the canonical style."""
        from ilabdesk.taxonomy.yamlstyle import dump_yaml

        self.set_text(dump_yaml(data), "form", merge_key)

    def set_value(self, path: FieldPath, value: Any) -> None:
        """Change one field; consecutive changes of the same field are one undo step."""
        if self.data is None:
            return
        data = copy.deepcopy(self.data)
        node: Any = data
        for step in path[:-1]:
            if isinstance(node, dict):
                node = node.setdefault(step, {})
            else:
                node = node[step]
        node[path[-1]] = value
        self.set_data(data, merge_key=path)

    def edit(self, change: Any, label: str) -> None:
        """Apply `change(data_copy)` (adding or removing examples) as one undo step."""
        if self.data is None:
            return
        data = copy.deepcopy(self.data)
        change(data)
        self.undo_stack.beginMacro(label)
        self.set_data(data, merge_key=None)
        self.undo_stack.endMacro()

    def save(self, overwrite: bool = False) -> None:
        """Write the text atomically; the file is the old or the new version, never half. Unless
        `overwrite`, a file changed on disk since it was read (an ingest, another editor) is kept
        and UserError raised, so the window can ask."""
        atomic_write_text(self.path, self.text, expected=None if overwrite else self.disk_bytes)
        self.disk_bytes = self.text.encode("utf-8")
        self.saved_text = self.text
        self.undo_stack.setClean()
        self.saved.emit(self.path)

    def _apply(self, text: str, origin: str) -> None:
        self.text = text
        try:
            data = yaml.load(text, Loader=_LOADER) if text.strip() else {}
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            self.parse_error = ((mark.line + 1) if mark else 1, str(exc.problem or exc))
        except yaml.YAMLError as exc:
            self.parse_error = (1, str(exc))
        else:
            if isinstance(data, dict):
                self.data, self.parse_error = data, None
            else:
                self.parse_error = (1, "the top level must be a mapping (version:, created_by:, ...)")
        self.changed.emit(origin)

    def _on_clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(not clean)


def path_at_line(text: str, line: int) -> FieldPath:
    """The deepest field whose YAML node covers 1-based `line` (to jump from a message to the form)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return ()
    best: FieldPath = ()

    def visit(node: yaml.Node, path: FieldPath) -> None:
        nonlocal best
        if not (node.start_mark.line + 1 <= line <= max(node.end_mark.line + 1, node.start_mark.line + 1)):
            return
        if len(path) >= len(best):
            best = path
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.start_mark.line + 1 == line:
                    best = (*path, key.value)
                visit(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                visit(item, (*path, index))

    if root is not None:
        visit(root, ())
    return best


def line_of_path(text: str, path: FieldPath) -> int:
    """1-based line where the field at `path` starts (1 when not found)."""
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return 1
    line = 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == step), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line
