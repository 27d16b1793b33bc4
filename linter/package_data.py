"""Data files shipped inside readylint's packages (schemas, the checklist), read straight from disk.

importlib.resources would do the same, but importing it pulls in zipfile, tempfile and pathlib, which cost
more than checking a small manifest; readylint is always installed as files, never run from a zip.
"""
from __future__ import annotations

import importlib
import os


def read_text(package: str, name: str) -> str:
    """The text of data file ``name`` of ``package`` (e.g. "readylint.schemas")."""
    folder = os.path.dirname(importlib.import_module(package).__file__)
    with open(os.path.join(folder, name), encoding="utf-8") as handle:
        return handle.read()
