"""Thread choice for heavy jobs: real /proc/stat measurements with a real busy process."""

import subprocess
import sys

import pytest

from ilabdesk.cpu import busy_cores, free_cores, physical_cores

SPIN = [sys.executable, "-c", "while True: pass"]


def busy_while(command: list[str]) -> float:
    process = subprocess.Popen(command)
    try:
        return busy_cores(0.5)
    finally:
        process.kill()
        process.wait()


def test_free_cores_is_within_the_physical_cores():
    assert 1 <= free_cores() <= physical_cores()


def test_a_spinning_process_counts_as_busy():
    assert busy_while(SPIN) >= 0.6


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice time is told apart in Linux's /proc/stat only")
def test_a_niced_process_yields_and_does_not_count():
    assert busy_while(["nice", "-n", "19", *SPIN]) < busy_while(SPIN) - 0.4
