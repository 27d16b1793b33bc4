"""Packaging: every package folder ships, and the version has one source of truth."""
from __future__ import annotations

import tomllib

from readylint import __version__

from .conftest import REPO


def _pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    mapping = {"linter": "readylint", "rules": "readylint.rules", "schemas": "readylint.schemas"}
    found = set()
    for top, name in mapping.items():
        for init in (REPO / top).rglob("__init__.py"):
            parts = init.parent.relative_to(REPO / top).parts
            found.add(".".join((name,) + parts))
    assert found - listed == set(), "add these to [tool.setuptools] packages"


def test_version_is_static_and_matches_the_package():
    assert _pyproject()["project"]["version"] == __version__
