"""Package list for setuptools: everything else lives in pyproject.toml.

The repository's top-level `resources/` folder (icons, sample taxonomy,
desktop file) ships in wheels as the `ilabdesk_resources` package. Renaming a
folder into a package needs `package_dir`, and pyproject.toml cannot combine
an explicit mapping with automatic package discovery, so the two meet here.
Data folders are listed as namespace packages so setuptools installs them
without warning that an "importable" folder is left out.
"""

from setuptools import find_namespace_packages, setup

NOT_PACKAGES = ["*__pycache__*"]
resources = find_namespace_packages(where="resources", exclude=NOT_PACKAGES)

setup(
    packages=[
        *find_namespace_packages(include=["ilabdesk", "ilabdesk.*"], exclude=NOT_PACKAGES),
        "ilabdesk_resources",
        *(f"ilabdesk_resources.{name}" for name in resources),
    ],
    package_dir={"ilabdesk_resources": "resources"},
)
