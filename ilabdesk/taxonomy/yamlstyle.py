"""The one canonical way ilabdesk writes a qna.yaml.

InstructLab lints leaves with yamllint (strict, "relaxed" rules), and people
review them in pull requests, so the writer aims for what a careful human
writes: keys in their original order, sequences indented under their key by
two spaces, multi-line strings as `|` block literals, no line folding. PyYAML
falls back to a quoted scalar on its own where a block literal could not hold
the exact text (trailing spaces, some blank-line runs), so the data always
survives; `dump_yaml` re-parses its output to prove it.
"""

from __future__ import annotations

import datetime
from typing import Any

import yaml


class _CanonicalDumper(yaml.SafeDumper):
    """SafeDumper that indents block sequences inside mappings (`key:\\n  - item`)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        """Write repeated values out in full: `&id001` anchors confuse reviewers and editors."""
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None
    if "\n" in value:
        # A quoted multi-line scalar must be double-quoted: single quotes would
        # spell each line break as a blank line, which trips the empty-lines rule.
        block = _block_friendly(value) and dumper.analyze_scalar(value).allow_block
        style = "|" if block else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _block_friendly(value: str) -> bool:
    """Whether a `|` literal of `value` would also pass yamllint's empty-lines rule.

    More than two blank lines in a row, or blank lines kept at the end of the
    value, would show up as lint problems in the file itself; such strings are
    written double-quoted instead (same data, lint-clean).
    """
    return "\n\n\n\n" not in value and not value.endswith("\n\n")


_CanonicalDumper.add_representer(str, _represent_str)

_CLoader = getattr(yaml, "CSafeLoader", None)


def safe_load(text: str) -> Any:
    """`yaml.safe_load` with the pure-Python parser, as TaxonomyParser uses.

    Not libyaml, although it is faster: the two disagree on some input (libyaml
    accepts a trailing tab that PyYAML rejects, for one), and the verdict must
    be InstructLab's.
    """
    return yaml.safe_load(text)


def compose(text: str) -> yaml.Node | None:
    """Node tree with line/column marks, for text `safe_load` already accepted.

    Only positions come from here, so libyaml is used for speed when present,
    with the pure-Python parser as the fallback if libyaml disagrees.
    """
    if _CLoader is not None and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        try:
            return yaml.compose(text, Loader=_CLoader)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def dump_yaml(data: Any) -> str:
    """Serialise `data` in canonical qna.yaml style; raises ValueError if it would not round-trip."""
    text = yaml.dump(
        data,
        Dumper=_CanonicalDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        indent=2,
        width=1_000_000,
    )
    if not same_data(safe_load(text), data):
        raise ValueError("canonical YAML did not re-read as the same data")
    return text


def same_data(a: Any, b: Any) -> bool:
    """Deep equality that also compares types (YAML `1` is not `true` is not `1.0`) and key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:  # NaN is only equal to itself by identity
        return b != b
    if isinstance(a, datetime.datetime):
        return a == b and a.tzinfo == b.tzinfo
    return a == b
