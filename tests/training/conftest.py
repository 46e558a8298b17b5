"""Shared fixtures: the tiny model (HF folder + GGUF) built once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """The tiny model of a variant (training.tiny.VARIANTS), HF folder and GGUF, built on first use."""
    from training.tiny import tiny_gguf, tiny_hf_dir

    built: dict[str, dict] = {}

    def get(variant: str = "llama") -> dict:
        if variant not in built:
            root = tmp_path_factory.mktemp(f"tiny-{variant}")
            hf = tiny_hf_dir(root / "hf", variant=variant)
            built[variant] = {"hf": hf, "gguf": tiny_gguf(hf, root / "tiny-f32.gguf")}
        return built[variant]

    return get


@pytest.fixture(scope="session")
def tiny(tiny_models):
    return tiny_models("llama")


@pytest.fixture(scope="session")
def facts_data(tmp_path_factory):
    from training.facts import write_dataset

    return write_dataset(tmp_path_factory.mktemp("facts"), system="You are a helpful assistant.")
