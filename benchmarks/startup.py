"""Time from launch to a visible main window: ilabdesk against a bare PySide6 window.

Both are started as fresh processes under a real X server (Xvfb, started here
when DISPLAY is unset) and report when their window is exposed; the parent
measures from spawn to that report, so interpreter and Qt start-up count.
Prints the medians and their ratio, and whether ilabdesk met the 1.5 s target.

An installed app runs from compiled bytecode (pip and Briefcase write .pyc
files), so the children may write theirs, into a private cache folder
(PYTHONPYCACHEPREFIX) that the warm-up launch fills: a shell with
PYTHONDONTWRITEBYTECODE set would otherwise compile every ilabdesk module
from source on each launch, which no user's start-up does.

    python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WAIT_EXPOSED = """
while not window.windowHandle() or not window.windowHandle().isExposed():
    app.processEvents()
import time
print("visible", time.process_time(), flush=True)
heavy = [m for m in ("torch", "transformers", "mlx", "llama_cpp") if m in sys.modules]
print("heavy", heavy, flush=True)
"""

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1280, 820)
window.show()
""" + WAIT_EXPOSED

ILABDESK = """
import sys
from ilabdesk.gui.app import create_app
app = create_app()
from ilabdesk.gui.mainwindow import MainWindow
window = MainWindow(first_run_welcome=False)
window.show()
""" + WAIT_EXPOSED


def launch(code: str, env: dict[str, str]) -> tuple[float, float, str]:
    """Seconds from spawn to the child's "visible" line, the child's CPU seconds until then, its heavy modules.

    The CPU seconds hardly change with the machine's load, so they compare runs
    made at different times; the wall seconds are what a user waits.
    """
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    line = child.stdout.readline()
    elapsed = time.perf_counter() - start
    heavy = child.stdout.readline().strip()
    child.kill()
    child.wait()
    word, _, cpu = line.strip().partition(" ")
    if word != "visible":
        raise SystemExit(f"the window never showed ({line!r})")
    return elapsed, float(cpu), heavy


def start_xvfb() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is not installed (apt-get install -y xvfb), and DISPLAY is not set")
    display = ":97"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"] = display
    time.sleep(1.0)
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server = start_xvfb()
    try:
        home = tempfile.mkdtemp(prefix="ilabdesk-bench-")
        env = dict(os.environ, QT_QPA_PLATFORM="xcb", ILABDESK_HOME=home, PYTHONPYCACHEPREFIX=os.path.join(home, "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        launch(BARE, env)  # warm the file cache for both
        launch(ILABDESK, env)
        bare, ours, bare_cpu, our_cpu = [], [], [], []
        heavy = ""
        for _ in range(args.runs):  # interleaved, so load changes hit both alike
            seconds, cpu, _ = launch(BARE, env)
            bare.append(seconds)
            bare_cpu.append(cpu)
            seconds, cpu, heavy = launch(ILABDESK, env)
            ours.append(seconds)
            our_cpu.append(cpu)
        shutil.rmtree(home, ignore_errors=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'window':<12}{'median s':>10}{'min s':>10}{'max s':>10}{'CPU s':>10}")
    print(f"{'bare PySide6':<12}{b:>10.3f}{min(bare):>10.3f}{max(bare):>10.3f}{statistics.median(bare_cpu):>10.3f}")
    print(f"{'ilabdesk':<12}{o:>10.3f}{min(ours):>10.3f}{max(ours):>10.3f}{statistics.median(our_cpu):>10.3f}")
    print(f"ratio ilabdesk / bare: {o / b:.2f}x")
    print(f"heavy modules loaded before the window showed: {heavy.removeprefix('heavy ')}")
    print(f"target <= 1.5 s: {'met' if o <= 1.5 else 'NOT met'} (median {o:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
