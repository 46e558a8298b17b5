"""The app-wide training defaults in settings and the trainer's own defaults must not drift apart."""

from __future__ import annotations

from ilabdesk.settings import DEFAULTS
from ilabdesk.training.config import TrainConfig


def test_settings_training_defaults_match_trainconfig():
    config = TrainConfig()
    for key, value in DEFAULTS["training"].items():
        if key == "iters":
            assert value == 0 and config.iters is None  # 0 in the config file means "from epochs"
        else:
            assert getattr(config, key) == value, key
