"""Files that ship with the app (sample taxonomy, icons, prompt templates).

They live in the repository's top-level `resources/` folder, which the wheel
and the Briefcase bundle install as the `ilabdesk_resources` package; in a
source checkout (editable install, `briefcase dev`) the folder is used directly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ilabdesk.errors import UserError


def resources_dir() -> Path:
    """The folder holding the bundled resources."""
    source = Path(__file__).resolve().parent.parent / "resources"
    if source.is_dir():
        return source
    spec = importlib.util.find_spec("ilabdesk_resources")
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise UserError("the app's bundled resources are missing", hint="reinstall ilabdesk")


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. resource_path("sample", "taxonomy")."""
    return resources_dir().joinpath(*parts)
