"""Compile the .py files of a built Briefcase Linux bundle to bytecode.

The app's launcher never writes bytecode (the installed tree belongs to root
and is read-only), so without shipped .pyc files every start recompiles
PySide6's, torch's and transformers' Python in memory. `unchecked-hash`
bytecode is valid whatever mtimes the package manager gives the files.
Run with the same Python version the package targets (the system python3).

    python installers/precompile.py build/ilabdesk
"""

from __future__ import annotations

import compileall
import py_compile
import sys
from pathlib import Path


def precompile(build_dir: Path) -> int:
    """Compile every app/ and app_packages/ tree under build_dir; returns how many were found."""
    roots = [p for p in build_dir.glob("**/usr/lib*/*/app*") if p.is_dir() and p.name in ("app", "app_packages")]
    for root in roots:
        ok = compileall.compile_dir(
            root,
            quiet=2,  # errors too: PySide6 ships Jinja templates named *.py
            workers=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        if not ok:
            # Some packages ship Python-2 or template .py files that never import; not fatal.
            print(f"note: some files under {root} did not compile (unused by the app)")
    return len(roots)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    found = precompile(Path(argv[0]))
    if not found:
        print(f"no app/ or app_packages/ folders under {argv[0]}", file=sys.stderr)
        return 1
    print(f"compiled {found} folders under {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
