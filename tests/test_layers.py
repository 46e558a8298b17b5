"""Machine checks of the architecture's rules: Qt only in gui/, lean start-up imports."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import ilabdesk

HEAVY = ("PySide6", "torch", "transformers", "mlx", "llama_cpp", "peft")


def _modules_loaded_by(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split(".")[0] for line in out.split()}


def test_no_qt_outside_gui():
    names = [
        m.name
        for m in pkgutil.walk_packages(ilabdesk.__path__, "ilabdesk.")
        if not m.name.startswith("ilabdesk.gui") and m.name != "ilabdesk.__main__"  # __main__ runs the app
    ]
    code = "import importlib\n" + "\n".join(f"importlib.import_module({n!r})" for n in names)
    loaded = _modules_loaded_by(code)
    assert "PySide6" not in loaded, "a non-GUI module imports PySide6"


def test_cli_start_up_imports_no_heavy_engine():
    loaded = _modules_loaded_by("from ilabdesk.cli import build_parser; build_parser()")
    assert not loaded & set(HEAVY), f"heavy modules imported at CLI start-up: {loaded & set(HEAVY)}"
