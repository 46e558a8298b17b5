"""Where ilabdesk keeps things, what the user configured, and their secrets.

Paths come from platformdirs so the app behaves like a native citizen on each
OS; `ILABDESK_HOME` moves everything under one folder (tests, portable
installs). The config is a small YAML file merged over defaults and checked
key by key, so a typo names the key instead of failing later. API keys live in
the OS keyring only: if no usable backend exists we refuse to store them rather
than fall back to a plaintext file.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ilabdesk.errors import UserError
from ilabdesk.fileio import atomic_write_text

APP_NAME = "ilabdesk"
KEYRING_SERVICE = "ilabdesk"


@dataclass(frozen=True)
class Paths:
    """The folders ilabdesk writes to; created on first use."""

    data: Path
    config: Path
    cache: Path
    logs: Path

    @property
    def models(self) -> Path:
        return self.data / "models"

    @property
    def workspaces(self) -> Path:
        return self.data / "workspaces"

    @property
    def datasets(self) -> Path:
        return self.data / "datasets"

    @property
    def runs(self) -> Path:
        return self.data / "runs"

    @property
    def jobs(self) -> Path:
        return self.data / "jobs"

    @property
    def config_file(self) -> Path:
        return self.config / "config.yaml"


def paths() -> Paths:
    """Return the app's folders (honouring `ILABDESK_HOME`) and make sure they exist."""
    home = os.environ.get("ILABDESK_HOME")
    if home:
        root = Path(home).expanduser()
        result = Paths(root / "data", root / "config", root / "cache", root / "logs")
    else:
        import platformdirs

        result = Paths(
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )
    for folder in (result.data, result.config, result.cache, result.logs):
        folder.mkdir(parents=True, exist_ok=True)
    return result


# Defaults double as the schema: every key's type is the type of its default
# (None means "a string or nothing").
DEFAULTS: dict[str, Any] = {
    "models_dir": None,  # None: <data>/models
    "default_model": None,  # None: the embedded SmolLM2-135M-Instruct
    "threads": 0,  # 0: all physical cores
    "context_length": 4096,
    "teacher": {
        "kind": "embedded",  # embedded | gguf | endpoint
        "model": None,  # path of a GGUF when kind is gguf
        "url": None,  # OpenAI-compatible base URL when kind is endpoint
        "endpoint_model": None,  # model name sent to the endpoint
        "concurrency": 4,
    },
    "chat": {
        "temperature": 0.7,
        "top_p": 0.95,
        "max_tokens": 512,
        "system_prompt": "You are a helpful assistant.",
    },
    "training": {  # the same defaults as ilabdesk.training.config.TrainConfig
        "backend": "auto",  # auto | torch | mlx
        "rank": 16,
        "alpha": 32.0,
        "learning_rate": 0.002,
        "iters": 0,  # 0: derived from epochs
        "epochs": 3.0,
        "batch_size": 4,
        "max_seq_len": 512,
        "precision": "auto",  # auto | fp32 | bf16 (auto: bf16 where the processor computes it natively)
    },
    "taxonomy": {
        "path": None,
        "base": "origin/main",
    },
}

_ENUMS = {
    ("teacher", "kind"): ("embedded", "gguf", "endpoint"),
    ("training", "backend"): ("auto", "torch", "mlx"),
    ("training", "precision"): ("auto", "fp32", "bf16"),
}


def _check(values: dict[str, Any], defaults: dict[str, Any], where: str, source: Path) -> dict[str, Any]:
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        dotted = f"{where}{key}"
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise UserError(f"{source}: unknown setting '{dotted}'", hint=f"known keys here: {known}")
        default = defaults[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise UserError(f"{source}: setting '{dotted}' must be a mapping, got {value!r}")
            merged[key] = _check(value, default, f"{dotted}.", source)
            continue
        if value is None:
            merged[key] = None
            continue
        expected: tuple[type, ...]
        if default is None:
            expected = (str,)
        elif isinstance(default, bool):
            expected = (bool,)
        elif isinstance(default, float):
            expected = (int, float)
        else:
            expected = (type(default),)
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
            names = " or ".join(t.__name__ for t in expected)
            raise UserError(f"{source}: setting '{dotted}' must be {names}, got {value!r}")
        choices = _ENUMS.get(tuple(dotted.split(".")))
        if choices and value not in choices:
            raise UserError(f"{source}: setting '{dotted}' must be one of {', '.join(choices)}, got {value!r}")
        merged[key] = value
    return merged


def load_config(path: Path | None = None) -> dict[str, Any]:
    """Read the config file merged over DEFAULTS; a bad file raises UserError naming the key."""
    path = path or paths().config_file
    if not path.exists():
        return copy.deepcopy(DEFAULTS)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise UserError(f"{path}{where}: the config is not valid YAML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: the config is not UTF-8 text") from exc
    if not isinstance(raw, dict):
        raise UserError(f"{path}: the config must be a mapping of settings")
    return _check(raw, DEFAULTS, "", path)


def save_config(config: dict[str, Any], path: Path | None = None) -> None:
    """Validate and write the config atomically (only keys that differ from the defaults)."""
    path = path or paths().config_file
    checked = _check(config, DEFAULTS, "", path)

    def diff(values: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in values.items():
            if isinstance(value, dict):
                sub = diff(value, defaults[key])
                if sub:
                    out[key] = sub
            elif value != defaults[key]:
                out[key] = value
        return out

    atomic_write_text(path, yaml.safe_dump(diff(checked, DEFAULTS), sort_keys=False))


# --- secrets -----------------------------------------------------------------


def _keyring():
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        raise UserError(
            "no usable system keyring was found, so the API key cannot be stored safely",
            hint="install and unlock a keyring (macOS Keychain, Windows Credential Manager, "
            "GNOME Keyring or KWallet); ilabdesk never writes keys to a file",
        )
    return keyring


def set_secret(name: str, value: str) -> None:
    """Store a secret (an endpoint's API key) in the OS keyring."""
    _keyring().set_password(KEYRING_SERVICE, name, value)


def get_secret(name: str) -> str | None:
    """Read a secret from the OS keyring; None when it is not set."""
    return _keyring().get_password(KEYRING_SERVICE, name)


def delete_secret(name: str) -> None:
    import keyring.errors

    try:
        _keyring().delete_password(KEYRING_SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        pass
