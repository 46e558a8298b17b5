"""The window's helper process, driven over its real pipes: calls, errors, and a stdout kept clean."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from ilabdesk.bundle import app_command
from ilabdesk.errors import UserError
from ilabdesk.jobs.helper import HEADER, frame, split_frames


def noisy_sum(a: int, b: int) -> int:
    print("a library printing to stdout")
    return a + b


def refuse(path: str) -> None:
    raise UserError(f"{path}: not a leaf", hint="pick a qna.yaml")


def crash() -> None:
    raise ZeroDivisionError("a bug")


def test_helper_answers_in_order_keeps_stdout_clean_and_survives_errors(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), *sys.path]))
    requests = [(1, noisy_sum, (2, 3)), (2, refuse, ("x.yaml",)), (3, crash, ()), (4, Path.resolve, (tmp_path,))]
    data = b"".join(frame(r) for r in requests) + frame((5, sum, ([1, 2],)))[: HEADER.size + 3]  # a cut-off last one
    proc = subprocess.run([*app_command(), "job", "helper"], input=data, capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    buffer = bytearray(proc.stdout)
    replies = [pickle.loads(f) for f in split_frames(buffer)]
    assert not buffer  # nothing but whole frames: the print went to stderr
    assert replies[0] == (1, True, 5)
    assert replies[1][:2] == (2, False) and "x.yaml: not a leaf" in replies[1][2]
    assert replies[2] == (3, False, "ZeroDivisionError: a bug")
    assert replies[3] == (4, True, tmp_path.resolve())
    assert len(replies) == 4
    err = proc.stderr.decode()
    assert "a library printing to stdout" in err and "ZeroDivisionError" in err


def test_split_frames_keeps_a_partial_frame():
    whole = frame("one") + frame(["two"])
    buffer = bytearray(whole[:-2])
    assert [pickle.loads(f) for f in split_frames(buffer)] == ["one"]
    buffer += whole[-2:]
    assert [pickle.loads(f) for f in split_frames(buffer)] == [["two"]] and not buffer
