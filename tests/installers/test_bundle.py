"""ilabdesk.bundle finds the shipped resources in every layout the app runs from,
and the icon set holds every size each platform needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ilabdesk import bundle

ROOT = Path(__file__).resolve().parents[2]
PROBE = "from ilabdesk.bundle import resources_dir, app_command; print(resources_dir()); print(app_command())"


def copy_package(target: Path) -> None:
    shutil.copytree(ROOT / "ilabdesk", target / "ilabdesk", ignore=shutil.ignore_patterns("__pycache__"))


def probe(site: Path) -> list[str]:
    """Run the lookup in a fresh isolated interpreter that imports ilabdesk from `site` only."""
    code = f"import sys; sys.path.insert(0, {str(site)!r}); {PROBE}"
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_source_checkout_uses_the_top_level_folder():
    bundle.resources_dir.cache_clear()
    assert bundle.resources_dir() == ROOT / "resources"
    assert bundle.app_icon_path(256).is_file()
    assert bundle.resource_path("icons", "ilabdesk.icns").is_file()


def test_briefcase_bundle_layout_app_resources_next_to_the_package(tmp_path):
    app = tmp_path / "app"
    copy_package(app)
    shutil.copytree(ROOT / "resources" / "icons", app / "resources" / "icons")
    assert probe(app)[0] == str(app / "resources")


def test_wheel_layout_uses_ilabdesk_resources_and_ignores_a_foreign_resources_folder(tmp_path):
    site = tmp_path / "site-packages"
    copy_package(site)
    # Another distribution's top-level `resources` folder must not be taken for ours.
    (site / "resources").mkdir()
    (site / "resources" / "other.txt").write_text("not ilabdesk's", encoding="utf-8")
    shutil.copytree(ROOT / "resources" / "icons", site / "ilabdesk_resources" / "icons")
    (site / "ilabdesk_resources" / "__init__.py").write_text("", encoding="utf-8")
    assert probe(site)[0] == str(site / "ilabdesk_resources")


def test_missing_resources_is_a_user_error(tmp_path):
    site = tmp_path / "site-packages"
    copy_package(site)
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r})\n"
        "from ilabdesk.errors import UserError\nfrom ilabdesk.bundle import resources_dir\n"
        "try:\n    resources_dir()\nexcept UserError as exc:\n    print('UserError:', exc)\n"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert "UserError: the app's bundled resources are missing" in result.stdout, result.stderr


def test_from_source_jobs_rerun_python_with_dash_m():
    assert not bundle.in_app_bundle()
    assert bundle.app_command() == [sys.executable, "-m", "ilabdesk"]


def test_in_a_briefcase_bundle_jobs_rerun_the_launcher(tmp_path, monkeypatch):
    """Briefcase writes the app's dist-info with Briefcase-Version; the launcher is sys.executable."""
    dist_info = tmp_path / "ilabdesk-0.1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nBriefcase-Version: 0.4.7\nName: ilabdesk\nVersion: 0.1.0\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    launcher = tmp_path / "bin" / "ilabdesk"
    monkeypatch.setattr(sys, "executable", str(launcher))
    assert bundle.in_app_bundle()
    assert bundle.app_command() == [str(launcher)]


def test_icon_set_has_every_platform_size():
    from PIL import Image

    icons = ROOT / "resources" / "icons"
    for name in ("ilabdesk", "document-md", "document-pdf"):
        for size in (16, 32, 64, 128, 256, 512, 1024):
            with Image.open(icons / f"{name}-{size}.png") as image:
                assert image.size == (size, size) and image.mode == "RGBA"
        with Image.open(icons / f"{name}.ico") as ico:
            assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
        with Image.open(icons / f"{name}.icns") as icns:
            assert (512, 512, 2) in icns.info["sizes"] or (1024, 1024) in [s[:2] for s in icns.info["sizes"]]


@pytest.mark.parametrize("size", [16, 256])
def test_app_icon_is_not_blank(size):
    from PIL import Image

    with Image.open(bundle.app_icon_path(size)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 8
