"""Test isolation: a private app home, an in-memory keyring, offscreen Qt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Test helper modules (tests/*.py that are not tests) import by plain name.
sys.path.insert(0, str(Path(__file__).parent))

import pytest
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    """A keyring that forgets everything when the test ends."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def app_home(tmp_path_factory, monkeypatch):
    """Every test gets its own ILABDESK_HOME and an empty in-memory keyring."""
    import keyring

    home = tmp_path_factory.mktemp("ilabdesk-home")
    monkeypatch.setenv("ILABDESK_HOME", str(home))
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield home
    keyring.set_keyring(previous)
