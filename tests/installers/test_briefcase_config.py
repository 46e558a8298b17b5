"""briefcase.toml passes Briefcase's own configuration checks on every platform we ship.

Each platform/format is loaded through the Briefcase command classes that
`briefcase create/build/package` use (their `parse_config` builds the
validated app config: bundle id, PEP 440 version, document types, sources),
with the same command-line option parsing, so a config that Briefcase would
reject on a Mac or a Windows machine fails here first.
"""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
briefcase = pytest.importorskip("briefcase", reason="install the packaging extra: pip install -e '.[packaging]'")

from briefcase.cmdline import parse_cmdline  # noqa: E402
from briefcase.console import Console  # noqa: E402
from briefcase.exceptions import BriefcaseConfigError  # noqa: E402
from briefcase.platforms import get_output_formats  # noqa: E402

FORMATS = [
    ("linux", "system"),
    ("linux", "appimage"),
    ("linux", "flatpak"),
    ("macOS", "app"),
    ("macOS", "Xcode"),
    ("windows", "app"),
    ("windows", "VisualStudio"),
]
ICON_SUFFIXES = {"linux": [f"-{size}.png" for size in (16, 32, 64, 128, 256, 512)], "macOS": [".icns"], "windows": [".ico"]}


def load_app(platform: str, output_format: str, command: str = "create", extra: list[str] | None = None, base=ROOT):
    """The app config as `briefcase COMMAND PLATFORM FORMAT EXTRA...` sees it, plus its parsed options."""
    module = get_output_formats(platform)[output_format]
    data_path = Path(tempfile.gettempdir()) / "ilabdesk-briefcase-data"  # Briefcase's tool cache; never the checkout
    command_obj = getattr(module, command)(console=Console(), base_path=base, data_path=data_path)
    options, overrides = command_obj.parse_options(extra=extra or [])
    command_obj.parse_config(base / "pyproject.toml", overrides=overrides)
    return command_obj.apps["ilabdesk"], options


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_pyproject_block_is_in_sync_with_briefcase_toml():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_briefcase", ROOT / "installers" / "sync_briefcase.py")
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert sync.merged_pyproject(pyproject, (ROOT / "briefcase.toml").read_text(encoding="utf-8")) == pyproject, (
        "pyproject.toml's [tool.briefcase] is stale: run python installers/sync_briefcase.py"
    )


@pytest.mark.parametrize(("platform", "output_format"), FORMATS)
def test_every_platform_config_passes_briefcase_validation(platform, output_format):
    for command in ("create", "build", "package"):
        app, _ = load_app(platform, output_format, command)
    import ilabdesk

    # One version: pyproject's, which the package reports too.
    assert str(app.version) == project()["version"] == ilabdesk.__version__
    assert app.bundle_identifier == "org.ilabdesk.ilabdesk"
    assert app.formal_name == "ilabdesk"
    assert len(app.description) <= 80 and app.long_description
    for source in app.sources:
        assert (ROOT / source).is_dir(), source
    for suffix in ICON_SUFFIXES[platform]:
        assert (ROOT / f"{app.icon}{suffix}").is_file(), f"{app.icon}{suffix}"
    assert {doc["mime_type"] for doc in app.document_types.values()} == {"text/markdown", "application/pdf"}
    for doc in app.document_types.values():
        for suffix in ICON_SUFFIXES[platform]:
            assert (ROOT / f"{doc['icon']}{suffix}").is_file()
    # The runtime requirements are the project's own dependencies, markers included.
    assert app.requires[: len(project()["dependencies"])] == project()["dependencies"]
    for name in app.license_files:
        assert (ROOT / name).is_file()


def test_platform_specific_requirements():
    mac, _ = load_app("macOS", "app")
    linux, _ = load_app("linux", "system")
    windows, _ = load_app("windows", "app")
    for app in (mac, linux, windows):
        mlx = [r for r in app.requires if r.startswith("mlx")]
        assert mlx and all("sys_platform == 'darwin' and platform_machine == 'arm64'" in r for r in mlx)
        assert any(r.startswith("torch") for r in app.requires)
        assert any(r.startswith("llama-cpp-python") for r in app.requires)
    # Apple silicon only (mlx has no x86_64 wheels), a thin arm64 bundle.
    assert mac.universal_build is False and mac.min_os_version == "14.0"
    # The Linux packages take torch's CPU build, not PyPI's multi-GB CUDA one.
    assert "torch==2.13.0+cpu" in linux.requires and "torch==2.13.0+cpu" not in mac.requires
    # Local template: the build never needs GitHub.
    assert (ROOT / linux.template / "cookiecutter.json").is_file()
    assert "--find-links" in mac.requirement_installer_args


def test_package_options_parse_like_the_command_line():
    _, mac = load_app("macOS", "app", "package", ["--identity", "Developer ID Application: Example (ABCDE12345)"])
    assert mac["identity"] == "Developer ID Application: Example (ABCDE12345)"
    assert mac["notarize_app"] is None  # notarized whenever an identity is given (see installers/macos.sh)
    _, adhoc = load_app("macOS", "app", "package", ["--adhoc-sign", "--no-notarize"])
    assert adhoc["adhoc_sign"] is True and adhoc["notarize_app"] is False
    _, win = load_app("windows", "app", "package", ["--identity", "0123456789ABCDEF"])
    assert win["identity"] == "0123456789ABCDEF"
    for argv in (["package", "macOS", "app"], ["package", "windows", "app"], ["create", "linux", "system"]):
        command_class, extra = parse_cmdline(argv, console=Console())
        assert command_class.platform == argv[1]


def test_a_broken_document_type_is_rejected(tmp_path):
    """The check above has teeth: Briefcase refuses a document type without an extension."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8").replace('extension = "md"\n', "")
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    (tmp_path / "LICENSE").write_text("Apache-2.0", encoding="utf-8")
    with pytest.raises(BriefcaseConfigError, match="does not provide an extension"):
        load_app("macOS", "app", base=tmp_path)
