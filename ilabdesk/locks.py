"""One writer per output folder: a second process gets a clear "in use" message, not mixed files.

Two `generate` runs into one dataset folder used to both finish and write
every sample twice. A job now holds an operating-system lock on a file in its
output folder while it writes there. The kernel drops the lock when the
process ends, however it ends, so a lock left by a killed job is simply taken
over by the next one; the file only says who holds it, for the message.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError, from_os_error

LOCK_NAME = ".ilabdesk-lock"


def _try_lock(handle) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


class FolderLock:
    """`output_lock` for an object that owns a folder for its lifetime: taken at creation, `release`d at close."""

    def __init__(self, folder: Path, what: str) -> None:
        self._context = output_lock(folder, what)
        self._context.__enter__()

    def release(self) -> None:
        self._context.__exit__(None, None, None)


@contextlib.contextmanager
def output_lock(folder: Path, what: str = "output folder") -> Iterator[None]:
    """Hold `folder` for this process while the block runs; UserError naming the holder if another has it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK_NAME, "a+", encoding="utf-8")
    except OSError as exc:
        reason = from_os_error(exc)
        raise UserError(f"{folder}: cannot write to this {what}: {reason.args[0]}", hint=reason.hint) from exc
    try:
        handle.seek(0)
        if not _try_lock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise UserError(f"{folder}: this {what} is in use by {holder}",
                            hint="wait for that job to finish or cancel it, or choose another folder")
        handle.seek(0)
        handle.truncate()
        handle.write(f"PID {os.getpid()} (since {time.strftime('%H:%M:%S')})")
        handle.flush()
        yield
    finally:
        handle.close()


def holding(arg: str, what: str, create: bool = True) -> Callable:
    """Decorate a job's `run(args, cancel)` so it holds the folder `args[arg]` while it runs; with
    `create=False` a folder that does not exist is left for the job to report, not made."""

    def decorate(body: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(body)
        def run(args: dict[str, Any], cancel: Any) -> Iterator[Any]:
            folder = Path(args[arg]).expanduser() if args.get(arg) else None
            if folder is None or not (create or folder.is_dir()):
                yield from body(args, cancel)
                return
            with output_lock(folder, what):
                yield from body(args, cancel)

        return run

    return decorate
