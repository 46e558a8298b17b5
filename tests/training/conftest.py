"""Shared fixtures: the tiny model (HF folder + GGUF) built once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    from training.tiny import tiny_gguf, tiny_hf_dir

    root = tmp_path_factory.mktemp("tiny")
    hf = tiny_hf_dir(root / "hf")
    return {"hf": hf, "gguf": tiny_gguf(hf, root / "tiny-f32.gguf")}


@pytest.fixture(scope="session")
def facts_data(tmp_path_factory):
    from training.facts import write_dataset

    return write_dataset(tmp_path_factory.mktemp("facts"), system="You are a helpful assistant.")
