"""The window's helper process: its short Python calls (validation, scans, git diffs) run here.

Why not a thread of the window: PySide releases the GIL around its calls into
Qt, and a thread computing in Python then holds it for up to the
interpreter's switch interval (5 ms) each time the UI thread wants it back.
Building a form of 150 rows took 27 ms alone and 1.8 s beside one such thread
on this machine; a validation running while a dropped document's leaf
reloaded stalled the window for 110-150 ms with 35 ms of its own work. In a
process of its own the work cannot hold up the UI thread at all.

Protocol over the helper's stdin and stdout: frames of a 4-byte big-endian
length and a pickle. A request is (id, function, args), the function a
module-level callable (pickled by reference); a reply is (id, ok, value), the
value being the result or, when not ok, the error message for the user.
Pickles only pass between the app's own processes. Calls run one at a time,
in the order they came.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")


def frame(value: Any) -> bytes:
    """`value` pickled, behind its length."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def split_frames(buffer: bytearray) -> list[bytes]:
    """Take every complete frame's pickle off the front of `buffer` (a partial one stays)."""
    out = []
    while len(buffer) >= HEADER.size:
        (size,) = HEADER.unpack_from(buffer)
        if len(buffer) < HEADER.size + size:
            break
        out.append(bytes(buffer[HEADER.size : HEADER.size + size]))
        del buffer[: HEADER.size + size]
    return out


def call(function: Callable[..., Any], args: tuple) -> tuple[bool, Any]:
    """(True, result) or (False, a message for the user); a bug's traceback goes to stderr."""
    try:
        return True, function(*args)
    except Exception as exc:  # report every failure to the caller; the helper must not die of one
        from ilabdesk.errors import UserError, user_message

        if isinstance(exc, UserError | OSError):
            return False, user_message(exc)
        traceback.print_exc()
        return False, f"{type(exc).__name__}: {exc}"


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def serve() -> int:
    """Entry of `ilabdesk job helper`: answer requests until stdin closes."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the replies
    requests = sys.stdin.buffer
    while (head := _read_exactly(requests, HEADER.size)) is not None:
        data = _read_exactly(requests, HEADER.unpack(head)[0])
        if data is None:
            break
        ident = None
        try:
            ident, function, args = pickle.loads(data)
            reply = frame((ident, *call(function, args)))
        except Exception as exc:  # a request or result that does not (un)pickle
            reply = frame((ident, False, f"the background helper could not run this: {exc}"))
        replies.write(reply)
        replies.flush()
    return 0
