"""A taxonomy checkout as a tree: kind folders -> domain folders -> leaves.

The GUI shows this tree and the CLI walks it; it only looks at folder and
file names (no YAML parsing), so scanning the full public taxonomy stays fast.
Misnamed leaves (`qna.yml`, `QNA.yaml`) are collected so they can be shown as
problems instead of silently vanishing, which is what `ilab` does with them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ilabdesk.errors import UserError
from ilabdesk.taxonomy.leaf import KINDS, QNA_NAME


@dataclass
class Node:
    """A folder in the taxonomy; `qna` is set when the folder is a leaf."""

    name: str
    rel: str
    qna: Path | None = None
    children: dict[str, Node] = field(default_factory=dict)

    @property
    def is_leaf(self) -> bool:
        return self.qna is not None

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first, children sorted by name."""
        yield self
        for name in sorted(self.children):
            yield from self.children[name].walk()


@dataclass
class Tree:
    """The scanned checkout: one root node per kind folder that exists."""

    root: Path
    kinds: dict[str, Node]
    misnamed: list[Path] = field(default_factory=list)

    def leaves(self) -> list[Path]:
        """Every qna.yaml in the tree, sorted by relative path."""
        return [node.qna for kind in KINDS if kind in self.kinds for node in self.kinds[kind].walk() if node.qna]

    def find(self, rel: str) -> Node | None:
        """The node at "knowledge/history/foo", or None."""
        parts = [p for p in rel.strip("/").split("/") if p]
        if not parts or parts[0] not in self.kinds:
            return None
        node = self.kinds[parts[0]]
        for part in parts[1:]:
            node = node.children.get(part)
            if node is None:
                return None
        return node


def scan(root: Path | str) -> Tree:
    """Scan a taxonomy checkout. Raises UserError if it has none of the kind folders."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: not a folder", hint="point at your taxonomy checkout")
    tree = Tree(root=root, kinds={})
    for kind in KINDS:
        if (root / kind).is_dir():
            tree.kinds[kind] = _scan_dir(root / kind, kind, tree)
    if not tree.kinds:
        raise UserError(
            f"{root}: not a taxonomy checkout (no {', '.join(k + '/' for k in KINDS)} folder)",
            hint="clone one: git clone https://github.com/instructlab/taxonomy",
        )
    return tree


def _scan_dir(path: Path, rel: str, tree: Tree) -> Node:
    node = Node(name=path.name, rel=rel)
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                node.children[entry.name] = _scan_dir(Path(entry.path), f"{rel}/{entry.name}", tree)
            elif entry.name == QNA_NAME:
                node.qna = Path(entry.path)
            elif entry.name.casefold() in {"qna.yml", "qna.yaml"}:
                tree.misnamed.append(Path(entry.path))
    tree.misnamed.sort()
    return node
