"""Atomic writes: a file is either the old version or the new one, never half.

Every output a user could lose (qna.yaml, datasets, adapters, GGUF files,
config) goes through here: write to a temporary file in the same folder, fsync,
then rename over the final name. The write goes to the file a symbolic link
points at (the link stays a link), keeps the mode of the file it replaces,
and refuses to replace a file the user made read-only.

The fsync can wait for the disk: 400 ms measured here while another program
wrote a large file. The UI thread therefore passes `durable=False` for its own
small bookkeeping (a job's spec, which the job's process then syncs itself):
still atomic for every reader, only not yet forced to the disk.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_NEW_FILE_MODE = 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_path(path: Path, durable: bool = True, expected: bytes | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only on success.

    With `expected` (the bytes a read-modify-write read), the file must still
    hold them just before the rename: an edit saved meanwhile is kept and the
    write refused, not silently replaced."""
    from ilabdesk.errors import ChangedOnDisk, UserError

    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    if not mode & stat.S_IWUSR:
        raise UserError(f"{path}: the file is read-only, so it was left as it is",
                        hint="make it writable (chmod u+w) if it should be replaced, or choose another output")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, mode)
        if durable:
            sync_file(tmp_path)
        if expected is not None and _current(path) != expected:
            raise ChangedOnDisk(f"{path}: the file changed on disk since it was read, so it was left as it is",
                                hint="run the command again (or reopen the file): it works on the new content")
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _current(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def sync_file(path: Path) -> None:
    """Force `path`'s content to the disk."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", encoding: str | None = "utf-8", durable: bool = True,
                expected: bytes | None = None) -> Iterator[IO]:
    """Open a temporary file for writing; it replaces `path` when the block succeeds (see `atomic_path`)."""
    with atomic_path(path, durable, expected) as tmp:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with open(tmp, mode, **kwargs) as fh:
            yield fh


def atomic_write_text(path: Path, text: str, durable: bool = True, expected: bytes | None = None) -> None:
    with atomic_open(path, "w", durable=durable, expected=expected) as fh:
        fh.write(text)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def check_output_file(path: Path) -> Path:
    """`path` as a file that can be written later: refused now, before minutes of work, if it is
    a folder, read-only, or in a folder that cannot be made or written to."""
    from ilabdesk.errors import UserError, from_os_error

    path = Path(path).expanduser()
    if path.is_dir():
        raise UserError(f"{path}: this is a folder, a file is needed here", hint="give a file name, such as model.gguf")
    if path.is_file() and not path.stat().st_mode & stat.S_IWUSR:  # the mode, not access(): root may write anyway
        raise UserError(f"{path}: the file is read-only, so it was left as it is",
                        hint="make it writable (chmod u+w) if it should be replaced, or choose another output")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os_error(exc) from exc
    if not os.access(path.parent, os.W_OK):
        raise UserError(f"{path.parent}: permission denied", hint="choose a location you can write to")
    return path


def check_free_space(path: Path, need: int) -> None:
    """UserError before a write of about `need` bytes to `path` that the disk has no room for (a
    full disk found by the writer reads as a damaged model or an unnamed OSError)."""
    import shutil

    from ilabdesk.errors import UserError

    folder = Path(path).parent
    while not folder.exists():
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if free < need:
        raise UserError(f"{path}: the disk is full ({free / 2**20:.0f} MiB free, about {need / 2**20:.0f} MiB needed)",
                        hint="free some space on that disk or choose an output on another one")
