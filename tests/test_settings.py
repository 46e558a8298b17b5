"""Settings: app folders, the YAML config with clear errors, keyring-only secrets."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from ilabdesk import settings
from ilabdesk.errors import UserError


def test_paths_live_under_ilabdesk_home(app_home):
    p = settings.paths()
    for folder in (p.data, p.config, p.cache, p.logs):
        assert folder.is_dir()
        assert app_home in folder.parents
    assert p.models == p.data / "models"
    assert p.config_file.parent == p.config


def test_missing_config_gives_defaults():
    config = settings.load_config()
    assert config == settings.DEFAULTS
    assert config is not settings.DEFAULTS


def test_config_round_trip_writes_only_changes():
    config = settings.load_config()
    config["threads"] = 2
    config["teacher"]["kind"] = "endpoint"
    config["teacher"]["url"] = "http://127.0.0.1:8000/v1"
    settings.save_config(config)
    text = settings.paths().config_file.read_text()
    assert "threads: 2" in text
    assert "context_length" not in text  # unchanged defaults stay out of the file
    again = settings.load_config()
    assert again["teacher"]["url"] == "http://127.0.0.1:8000/v1"
    assert again["chat"] == settings.DEFAULTS["chat"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("treads: 2\n", "unknown setting 'treads'"),
        ("teacher:\n  kind: cloud\n", "'teacher.kind' must be one of embedded, gguf, endpoint"),
        ("training:\n  rank: sixteen\n", "'training.rank' must be int"),
        ("chat: 3\n", "'chat' must be a mapping"),
        ("threads: [1\n", "config.yaml:2:1: the config is not valid YAML"),
        ("- a\n- b\n", "must be a mapping of settings"),
    ],
)
def test_bad_config_names_the_key(text, needle):
    path = settings.paths().config_file
    path.write_text(text)
    with pytest.raises(UserError) as info:
        settings.load_config()
    assert needle in str(info.value)
    assert str(path) in str(info.value)


def test_float_setting_accepts_int_but_not_bool():
    path = settings.paths().config_file
    path.write_text("chat:\n  temperature: 1\n")
    assert settings.load_config()["chat"]["temperature"] == 1
    path.write_text("chat:\n  temperature: true\n")
    with pytest.raises(UserError, match="temperature"):
        settings.load_config()


def test_secrets_go_to_the_keyring_and_never_to_files(app_home):
    settings.set_secret("endpoint:http://x", "sk-123")
    assert settings.get_secret("endpoint:http://x") == "sk-123"
    assert keyring.get_password(settings.KEYRING_SERVICE, "endpoint:http://x") == "sk-123"
    for path in app_home.rglob("*"):
        if path.is_file():
            assert "sk-123" not in path.read_text(errors="ignore")
    settings.delete_secret("endpoint:http://x")
    assert settings.get_secret("endpoint:http://x") is None


def test_no_keyring_backend_refuses_to_store():
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(UserError, match="no usable system keyring"):
        settings.set_secret("k", "v")
