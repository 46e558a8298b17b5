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
def atomic_path(path: Path, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only on success."""
    from ilabdesk.errors import UserError

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
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def sync_file(path: Path) -> None:
    """Force `path`'s content to the disk."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", encoding: str | None = "utf-8", durable: bool = True) -> Iterator[IO]:
    """Open a temporary file for writing; it replaces `path` when the block succeeds."""
    with atomic_path(path, durable) as tmp:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with open(tmp, mode, **kwargs) as fh:
            yield fh


def atomic_write_text(path: Path, text: str, durable: bool = True) -> None:
    with atomic_open(path, "w", durable=durable) as fh:
        fh.write(text)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_open(path, "wb") as fh:
        fh.write(data)
