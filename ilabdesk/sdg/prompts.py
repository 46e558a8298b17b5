"""Prompt templates: bundled defaults, overridable per teacher model family.

Small and big teachers want different wording, and users want to tweak
prompts without editing the app. Templates are YAML: the bundled
`sdg/prompts/default.yaml`, then an optional bundled `<family>.yaml`, then the
user's `<config>/prompts/default.yaml` and `<config>/prompts/<family>.yaml`,
each overriding single keys of the one before.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import yaml

from ilabdesk.errors import UserError
from ilabdesk.settings import paths

BUNDLED = Path(__file__).resolve().parent / "prompts"
FAMILIES = ("smollm", "granite", "mistral", "mixtral", "llama", "qwen", "phi", "gemma", "gpt")
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def model_family(model: str | None) -> str:
    """The family of a teacher model name, path or URL ("smollm", "llama", ...); "default" if unknown."""
    if not model:
        return "smollm"  # the embedded default
    name = model.lower()
    for family in FAMILIES:
        if family in name:
            return family
    return "default"


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise UserError(f"{path}{where}: the prompt file is not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise UserError(f"{path}: a prompt file must be a mapping of prompt names to templates")
    return data


def load_prompts(family: str = "default") -> dict[str, Any]:
    """The merged templates for a model family; user files override bundled ones key by key."""
    prompts = _read(BUNDLED / "default.yaml")
    user_dir = paths().config / "prompts"
    layers = [BUNDLED / f"{family}.yaml", user_dir / "default.yaml", user_dir / f"{family}.yaml"]
    for layer in dict.fromkeys(layers):
        if layer.is_file():
            extra = _read(layer)
            unknown = set(extra) - set(prompts)
            if unknown:
                raise UserError(
                    f"{layer}: unknown prompt name(s): {', '.join(sorted(unknown))}",
                    hint=f"known names: {', '.join(sorted(prompts))}",
                )
            prompts = _merge(prompts, extra)
    return prompts


def render(template: str, **values: str) -> str:
    """Fill {{name}} placeholders; a placeholder with no value is an error naming it."""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise UserError(f"prompt template uses {{{{{name}}}}}, which this step does not provide", hint=template[:80])
        return str(values[name])

    return _PLACEHOLDER.sub(fill, template)


def json_text(value: str) -> str:
    """`value` escaped to sit inside a JSON string in an example reply."""
    return json.dumps(value, ensure_ascii=False)[1:-1]
