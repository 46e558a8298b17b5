"""Create the empty folders Briefcase fills (git cannot hold empty folders)."""

from pathlib import Path

root = Path("{{ cookiecutter.app_name }}-{{ cookiecutter.version }}") / "usr" / "{{ cookiecutter.lib_dir }}" / "{{ cookiecutter.app_name }}"
for name in ("app", "app_packages"):
    (root / name).mkdir(parents=True, exist_ok=True)
(Path("{{ cookiecutter.app_name }}-{{ cookiecutter.version }}") / "usr" / "bin").mkdir(parents=True, exist_ok=True)
