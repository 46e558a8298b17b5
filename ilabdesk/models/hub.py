"""Download a model from the Hugging Face Hub into the library (only when the user asks).

ilabdesk works offline; this is the one place that may reach the Hub, and only
from an explicit `ilabdesk model download` or the GUI's download button.
Files land in a hidden staging folder inside the models dir that survives an
interrupted download, so running the same command again resumes it
(huggingface_hub keeps partial files there); when everything is checked the
folder becomes a library entry in one rename.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ilabdesk.errors import UserError
from ilabdesk.models.library import (
    ModelEntry,
    check_hf_folder,
    check_new_name,
    commit_folder,
    models_dir,
    safe_name,
)

# What a safetensors model needs; skips duplicate .bin/.pth weights and other formats.
HF_PATTERNS = ["*.json", "*.safetensors", "tokenizer.model", "*.tiktoken", "*.txt", "*.jinja", "*.py"]


def download(
    repo_id: str,
    *,
    filename: str | None = None,
    name: str | None = None,
    revision: str | None = None,
    token: str | None = None,
    progress: Any = None,
) -> ModelEntry:
    """Fetch one GGUF `filename` of `repo_id`, or its safetensors model, into the library.

    `progress` is a tqdm-compatible class for progress bars (huggingface_hub's
    default bars when None). Resumes an earlier interrupted download.
    """
    try:
        from huggingface_hub import hf_hub_download, snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
    except ImportError as exc:
        raise UserError("downloading needs the huggingface_hub package", hint="pip install huggingface_hub") from exc

    if filename is not None and not filename.lower().endswith(".gguf"):
        raise UserError(f"{filename}: --file must name a .gguf file", hint="leave --file out to download a safetensors model")
    base = Path(filename).stem if filename else repo_id.rsplit("/", 1)[-1]
    name = check_new_name(name or safe_name(base))
    staging = models_dir() / f".{name}.download"
    staging.mkdir(parents=True, exist_ok=True)
    common = {"revision": revision, "token": token, "tqdm_class": progress}
    try:
        if filename:
            hf_hub_download(repo_id, filename, local_dir=staging, **common)
            from ilabdesk.models.gguf_file import inspect_gguf

            inspect_gguf(staging / filename, role="model")
            fmt, file_name = "gguf", filename
        else:
            snapshot_download(repo_id, local_dir=staging / "model", allow_patterns=HF_PATTERNS, **common)
            check_hf_folder(staging / "model")
            fmt, file_name = "hf", "model"
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as exc:
        raise UserError(
            f"could not download {repo_id}{'/' + filename if filename else ''} ({exc})",
            hint="check the network, the repository name and (for gated models) your token; "
            "run the same command again to resume",
        ) from exc
    shutil.rmtree(staging / ".cache", ignore_errors=True)
    shutil.rmtree(staging / "model" / ".cache", ignore_errors=True)
    source = f"https://huggingface.co/{repo_id}" + (f" ({revision})" if revision else "")
    return commit_folder(staging, name, fmt, file_name, source=source)
