"""How many CPU cores a heavy job should use: the physical cores other programs leave free.

llama.cpp and torch run one thread per core and meet at a barrier after
every operation, so a thread that shares its core with another busy program
holds all the others up: on a loaded 2-core machine one thread ran 4-10x
faster than two. Too few threads is just as costly on an idle machine, and
the load average cannot tell the two apart right after a job of our own
(it remembers the last minute), so Linux measures what is busy now.
"""

from __future__ import annotations

import os
import sys
import time


def physical_cores() -> int:
    """Number of physical CPU cores (hyper-threads slow llama.cpp and torch down)."""
    logical = os.cpu_count() or 1
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            cores = set()
            physical = core = None
            for line in handle:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    physical = value.strip()
                elif key == "core id":
                    core = value.strip()
                elif not key and core is not None:
                    cores.add((physical, core))
                    physical = core = None
            if core is not None:
                cores.add((physical, core))
        if cores:
            return min(len(cores), logical)
    except OSError:
        pass
    if sys.platform == "darwin":
        import subprocess

        try:
            out = subprocess.run(["sysctl", "-n", "hw.physicalcpu"], capture_output=True, text=True, timeout=2)
            return max(1, int(out.stdout.strip()))
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    return max(1, logical)


def _busy_ticks() -> tuple[int, int] | None:
    """(busy, total) CPU ticks since boot from /proc/stat; niced work (which yields to us) counts as idle."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + system + irq + softirq + steal, user + nice + system + idle + iowait + irq + softirq + steal


def busy_cores(sample_s: float = 0.3) -> float:
    """Cores that other programs keep busy right now (this process sleeps while it measures)."""
    logical = os.cpu_count() or 1
    before = _busy_ticks()
    if before is not None:
        time.sleep(sample_s)
        after = _busy_ticks()
        if after is not None and after[1] > before[1]:
            return logical * (after[0] - before[0]) / (after[1] - before[1])
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has neither
        return 0.0


def free_cores() -> int:
    """Threads for a heavy job: the physical cores not already busy, at least one."""
    cores = physical_cores()
    logical = os.cpu_count() or cores
    busy = busy_cores() * cores / logical  # hyper-threads count half
    return max(1, min(cores, round(cores - busy)))


# Niceness of a job started from the window: the desktop takes the CPU when it needs it (a
# 10 ms answer to a click or a redraw) and the job gets the rest, which is almost all of it.
JOB_NICENESS = 10


def lower_priority() -> None:
    """Run this process (and the threads it starts afterwards) below normal priority.

    The window's job processes call it first thing: on two cores, a job's
    threads at normal priority took the CPU from the UI thread for 100-200 ms
    at a time while a job started.
    """
    if sys.platform == "win32":
        import ctypes

        below_normal = 0x4000  # BELOW_NORMAL_PRIORITY_CLASS
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal)
        return
    try:
        os.nice(JOB_NICENESS)
    except OSError:
        pass  # not allowed here: run at normal priority
