"""The model library: list, import (copy or link), remove, describe, resolve."""

from __future__ import annotations

import json

import gguf
import numpy as np
import pytest
from safetensors.numpy import save_file

from ilabdesk.cli import main
from ilabdesk.errors import UserError
from ilabdesk.models.default import DEFAULT_MODEL_NAME
from ilabdesk.models.library import describe, get_model, import_model, list_models, models_dir, remove_model, resolve
from ilabdesk.settings import load_config, save_config


def tiny_gguf(path, arch="llama"):
    """A small but valid GGUF 'model' (header, metadata, two tensors)."""
    writer = gguf.GGUFWriter(path, arch)
    writer.add_context_length(2048)
    writer.add_embedding_length(8)
    writer.add_chat_template("{% for m in messages %}{{ m.content }}{% endfor %}")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tensor("token_embd.weight", np.zeros((16, 8), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(8, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def tiny_hf_folder(folder):
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "max_position_embeddings": 1024, "hidden_size": 8,
    }))
    (folder / "tokenizer.json").write_text("{}")
    (folder / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ messages }}"}))
    save_file({"a": np.zeros((4, 8), np.float16), "b": np.zeros(8, np.float16)}, str(folder / "model.safetensors"))
    return folder


def test_default_is_always_listed_first():
    entries = list_models()
    assert entries[0].name == DEFAULT_MODEL_NAME and entries[0].builtin and entries[0].available
    assert resolve(None).path == entries[0].path
    with pytest.raises(UserError, match="can't be removed"):
        remove_model(DEFAULT_MODEL_NAME)


def test_import_copy_describe_remove(tmp_path):
    source = tiny_gguf(tmp_path / "My-Model.Q8_0.gguf")
    entry = import_model(source)
    assert entry.name == "my-model.q8_0" and not entry.linked
    assert entry.path.is_file() and not entry.path.is_symlink()
    assert [e.name for e in list_models()] == [DEFAULT_MODEL_NAME, "my-model.q8_0"]
    facts = describe("my-model.q8_0")
    assert facts["architecture"] == "llama"
    assert facts["context_length"] == 2048
    assert facts["parameters"] == 16 * 8 + 8
    assert facts["quantization"] == "F32"
    assert facts["chat_template"].startswith("{% for m")
    assert resolve("my-model.q8_0").path == entry.path
    with pytest.raises(UserError, match="already exists"):
        import_model(source)
    remove_model("my-model.q8_0")
    assert [e.name for e in list_models()] == [DEFAULT_MODEL_NAME]
    assert source.exists()


def test_link_import_keeps_one_copy_and_notices_a_moved_original(tmp_path):
    source = tiny_gguf(tmp_path / "linked.gguf")
    entry = import_model(source, "mine", link=True)
    assert entry.linked and entry.path.is_symlink()
    assert entry.path.resolve() == source.resolve()
    source.unlink()
    with pytest.raises(UserError, match="no longer exists"):
        get_model("mine")
    remove_model("mine")  # removing a broken link works and deletes nothing else


def test_import_hf_folder(tmp_path):
    folder = tiny_hf_folder(tmp_path / "TinyLlama")
    entry = import_model(folder, link=True)
    assert entry.format == "hf" and entry.name == "tinyllama"
    facts = describe("tinyllama")
    assert facts["parameters"] == 4 * 8 + 8
    assert facts["quantization"] == "F16"
    assert facts["context_length"] == 1024
    assert facts["chat_template"] == "{{ messages }}"


def test_each_model_says_what_it_can_do_and_why_not(tmp_path, capsys):
    from ilabdesk.cli import main

    embedded = describe(None)["can"]
    assert all(embedded[what]["able"] and not embedded[what]["why"] for what in ("chat", "teacher", "train"))
    other = describe(tiny_gguf(tmp_path / "falcon.gguf", arch="falcon"))["can"]
    assert other["chat"]["able"] and other["teacher"]["able"]
    assert not other["train"]["able"] and "'falcon' cannot be trained" in other["train"]["why"]
    assert describe(tiny_gguf(tmp_path / "gemma.gguf", arch="gemma3"))["can"]["train"]["able"]
    folder = describe(tiny_hf_folder(tmp_path / "TinyLlama"))["can"]
    assert folder["train"]["able"]
    from ilabdesk.chat.factory import mlx_available

    assert folder["chat"]["able"] == mlx_available() and (folder["chat"]["able"] or "MLX" in folder["chat"]["why"])
    assert main(["model", "info", str(tmp_path / "falcon.gguf")]) == 0
    out = capsys.readouterr().out
    assert "can chat         yes" in out and "can be trained   no: this GGUF's architecture 'falcon'" in out


def test_bad_imports_are_user_errors(tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(UserError, match="not a GGUF file"):
        import_model(junk)
    folder = tmp_path / "nofiles"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    with pytest.raises(UserError, match="safetensors"):
        import_model(folder)
    with pytest.raises(UserError, match="not found"):
        import_model(tmp_path / "missing.gguf")
    with pytest.raises(UserError, match="not a usable model name"):
        import_model(tiny_gguf(tmp_path / "ok.gguf"), "Bad Name!")
    with pytest.raises(UserError, match="no model called 'nope'.*") as info:
        resolve("nope")
    assert DEFAULT_MODEL_NAME in info.value.hint
    assert not any(models_dir().iterdir()), "a failed import leaves nothing behind"


def test_models_dir_setting_moves_the_library(tmp_path):
    config = load_config()
    config["models_dir"] = str(tmp_path / "elsewhere")
    save_config(config)
    import_model(tiny_gguf(tmp_path / "x.gguf"))
    assert (tmp_path / "elsewhere" / "x" / "model.json").is_file()


def test_model_cli(tmp_path, capsys):
    source = tiny_gguf(tmp_path / "cli.gguf")
    assert main(["model", "import", str(source), "--name", "cli-model", "--link"]) == 0
    assert main(["model", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert [e["name"] for e in listed] == [DEFAULT_MODEL_NAME, "cli-model"]
    assert main(["model", "info", "cli-model"]) == 0
    out = capsys.readouterr().out
    assert "architecture     llama" in out and "context_length   2048" in out
    assert main(["model", "remove", "cli-model"]) == 0
    assert main(["model", "remove", "cli-model"]) == 1
    assert "no model called 'cli-model'" in capsys.readouterr().err
