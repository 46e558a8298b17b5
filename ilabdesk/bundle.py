"""Files that ship with the app (sample taxonomy, icons, desktop integration), and
whether this process runs from a packaged app.

The files live in the repository's top-level `resources/` folder. Where it is
found, per way of running the app:

- source checkout, editable install, `briefcase dev`: `<checkout>/resources`,
  the folder next to the `ilabdesk` package;
- Briefcase bundle (.deb, .app, .msi): `app/resources`, also next to the
  `ilabdesk` package, because briefcase.toml lists it in `sources`;
- wheel: the `ilabdesk_resources` package (setup.py maps the folder to it).

A folder next to the package only counts when it holds `MARKER`, so an
unrelated top-level `resources` directory in site-packages is never taken.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from functools import cache
from pathlib import Path

from ilabdesk.errors import UserError

# A file only ilabdesk's resources folder has.
MARKER = Path("icons") / "ilabdesk-256.png"


@cache
def resources_dir() -> Path:
    """The folder holding the bundled resources (looked up once per process)."""
    sibling = Path(__file__).resolve().parent.parent / "resources"
    if (sibling / MARKER).is_file():
        return sibling
    spec = importlib.util.find_spec("ilabdesk_resources")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / MARKER).is_file():
            return Path(folder)
    raise UserError(
        "the app's bundled resources are missing",
        hint="reinstall ilabdesk (from a source checkout: pip install -e .)",
    )


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. resource_path("sample", "taxonomy")."""
    return resources_dir().joinpath(*parts)


def app_icon_path(size: int = 256) -> Path:
    """The app icon as a PNG (16, 32, 64, 128, 256, 512 or 1024 pixels), for window icons."""
    return resource_path("icons", f"ilabdesk-{size}.png")


def in_app_bundle() -> bool:
    """True inside a Briefcase-built app (.deb, .app, .msi), False from source or a wheel.

    Briefcase writes the app's own dist-info with a `Briefcase-Version` field
    (only `briefcase dev` also does, and runs from source). Apps started this
    way have no `python` to re-run: sys.executable IS the app's launcher.
    """
    try:
        metadata = importlib.metadata.metadata("ilabdesk")
    except importlib.metadata.PackageNotFoundError:
        return False
    return bool(metadata.get("Briefcase-Version")) and Path(sys.executable).name.lower().startswith("ilabdesk")


def app_command() -> list[str]:
    """The command line that starts this app again (background jobs use it).

    In a Briefcase bundle or a frozen app the launcher takes the CLI's
    arguments directly (`ilabdesk job run SPEC`); from source it is this
    Python with `-m ilabdesk`.
    """
    if getattr(sys, "frozen", False) or in_app_bundle():
        return [sys.executable]
    return [sys.executable, "-m", "ilabdesk"]
