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


def is_taxonomy(root: Path | str) -> bool:
    """Whether `root` holds a taxonomy (one of the kind folders), as `scan` requires."""
    return any((Path(root) / kind).is_dir() for kind in KINDS)


def new_taxonomy(root: Path | str) -> Path:
    """Make `root` an empty taxonomy: the knowledge/ and compositional_skills/ folders, in a git
    repository (leaves are contributed by git); an existing repository or folder's files are kept."""
    import subprocess

    root = Path(root)
    for kind in ("knowledge", "compositional_skills"):
        (root / kind).mkdir(parents=True, exist_ok=True)
    inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True)
    if inside.returncode != 0:
        done = subprocess.run(["git", "init", "-q"], cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"{root}: git could not make a repository here ({done.stderr.strip()})",
                            hint="check that git is installed and the folder is writable")
    return root


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
