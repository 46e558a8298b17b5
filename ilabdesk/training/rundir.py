"""The training run folder: config, logs, metrics, checkpoints, the adapter and run.json.

Everything a run needs to be understood or repeated lives here. Checkpoints
and the adapter are folders written under a temporary name and renamed, so a
SIGKILL at any moment leaves either the previous checkpoint or the new one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ilabdesk.fileio import atomic_write_text

KEEP_CHECKPOINTS = 2


class RunDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    config_file = property(lambda self: self.root / "config.yaml")
    metrics_file = property(lambda self: self.root / "metrics.jsonl")
    log_file = property(lambda self: self.root / "log.txt")
    adapter_dir = property(lambda self: self.root / "adapter")
    checkpoints = property(lambda self: self.root / "checkpoints")
    run_file = property(lambda self: self.root / "run.json")

    def read_config(self) -> dict[str, Any] | None:
        try:
            return yaml.safe_load(self.config_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return None

    def write_config(self, config: dict[str, Any]) -> None:
        atomic_write_text(self.config_file, yaml.safe_dump(config, sort_keys=False))

    def read_run(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def write_run(self, data: dict[str, Any]) -> None:
        atomic_write_text(self.run_file, json.dumps(data, indent=2))

    def log(self, message: str) -> None:
        with open(self.log_file, "a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")

    def metric(self, **values: Any) -> None:
        with open(self.metrics_file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(values) + "\n")

    def reset(self) -> None:
        """Forget a previous run in this folder (settings or data changed)."""
        for path in (self.checkpoints, self.adapter_dir):
            shutil.rmtree(path, ignore_errors=True)
        for path in (self.run_file, self.metrics_file):
            path.unlink(missing_ok=True)

    def write_folder(self, target: Path, fill: Callable[[Path], None]) -> Path:
        """Create folder `target` atomically: fill a temp folder, then swap it in."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            fill(tmp)
            old = None
            if target.exists():
                old = target.with_name(f".{target.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(target, old)
            os.replace(tmp, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target

    def checkpoints_newest_first(self) -> list[tuple[int, Path]]:
        """(step, folder) of every complete checkpoint, the newest first."""
        found = []
        for folder in self.checkpoints.glob("step-*"):
            try:
                found.append((int(json.loads((folder / "state.json").read_text(encoding="utf-8"))["step"]), folder))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(found, reverse=True)

    def discard_checkpoint(self, folder: Path) -> None:
        """Drop a checkpoint that cannot be loaded, so the next resume does not meet it again."""
        shutil.rmtree(folder, ignore_errors=True)

    def trim_metrics(self, step: int) -> None:
        """Forget the metrics of steps after `step`: a resumed run trains them again."""
        if not self.metrics_file.is_file():
            return
        kept = []
        for line in self.metrics_file.read_text(encoding="utf-8").splitlines():
            try:
                if int(json.loads(line).get("step", 0)) <= step:
                    kept.append(line + "\n")
            except (ValueError, AttributeError, TypeError):
                continue  # a line cut short by a kill
        atomic_write_text(self.metrics_file, "".join(kept))

    def save_checkpoint(self, step: int, fill: Callable[[Path], None], state: dict[str, Any]) -> Path:
        def write(tmp: Path) -> None:
            fill(tmp)
            (tmp / "state.json").write_text(json.dumps({"step": step, **state}), encoding="utf-8")

        path = self.write_folder(self.checkpoints / f"step-{step:06d}", write)
        old = sorted(self.checkpoints.glob("step-*"))[:-KEEP_CHECKPOINTS]
        for folder in old:
            shutil.rmtree(folder, ignore_errors=True)
        for stale in self.checkpoints.glob(".step-*"):  # temp folders of a killed run
            shutil.rmtree(stale, ignore_errors=True)
        return path


def run_name(root: Path) -> str:
    """"kelderwick_cooperative · 4 Dec 20:31": a run named by the leaves it taught and when it was
    trained, so the runs in a model picker or a job list can be told apart ("train" says nothing)."""
    root = Path(root)
    leaves: list[str] = []
    try:
        config = yaml.safe_load((root / "config.yaml").read_text(encoding="utf-8")) or {}
        summary = json.loads((Path(config["data"]) / "summary.json").read_text(encoding="utf-8"))
        leaves = [Path(v["leaf"]).name for v in summary["leaves"].values() if isinstance(v, dict) and v.get("leaf")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError):
        pass  # a run from before summaries, or with its dataset moved: named by its folder
    folder = root.parent.name if root.name == "train" else root.name
    name = ", ".join(leaves[:2]) + ("…" if len(leaves) > 2 else "") if leaves else folder
    stamp = root / "run.json" if (root / "run.json").exists() else root
    when = time.localtime(stamp.stat().st_mtime)
    return f"{name} · {when.tm_mday} {time.strftime('%b %H:%M', when)}"
