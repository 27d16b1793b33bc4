"""The repository files a kustomization reads, following its local bases and components.

A kustomize build names no source file, so the objects of its resource files are the ones its output can
come from, and its patch files are pieces merged into that output, never objects of their own. Remote
entries and paths leaving the repository are skipped (they are not this repository's files).
"""
from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field

from ..inputs.files import read_text
from ..inputs.yaml_docs import load_stream
from .sources import KUSTOMIZATION_FILES

MAX_KUSTOMIZATION_BYTES = 1024 * 1024
MAX_FOLDERS = 200


@dataclass
class KustomizeFiles:
    resources: set = field(default_factory=set)  # repo-relative files listed as resources
    patches: set = field(default_factory=set)  # repo-relative patch files
    remote: list = field(default_factory=list)  # (folder, entry) of every remote resource, base, component or patch


def read_files(root: str, folder: str, components=(), patches=()) -> KustomizeFiles:
    """The files the kustomization in ``folder`` reads (through nested kustomizations too), with an
    Application's extra ``components`` and ``patches`` (relative to ``folder``)."""
    found = KustomizeFiles()
    _patch_files(folder, {"patches": list(patches)}, found, root)
    seen: set[str] = set()
    pending = [folder] + [_join(folder, c) for c in components if isinstance(c, str)]
    while pending and len(seen) < MAX_FOLDERS:
        directory = pending.pop()
        if directory in seen or directory.startswith("../"):
            continue
        seen.add(directory)
        data = _kustomization(root, directory)
        _patch_files(directory, data, found, root)
        for entry in _strings(data, "resources", "bases", "components"):
            path = _join(directory, entry)
            if _remote(entry):
                found.remote.append((directory or ".", entry))
                continue
            if path.startswith("../"):
                continue
            full = os.path.join(root, path or ".")
            if os.path.isdir(full):
                pending.append(path)
            elif os.path.isfile(full):
                found.resources.add(path)
    return found


def patch_files(root: str, files) -> set[str]:
    """The patch files every kustomization among ``files`` (repo-relative paths) names."""
    found = KustomizeFiles()
    for path in files:
        directory, _, name = path.rpartition("/")
        if name in KUSTOMIZATION_FILES:
            _patch_files(directory, _kustomization(root, directory), found, root)
    return found.patches


def _patch_files(directory: str, data: dict, found: KustomizeFiles, root: str) -> None:
    paths = [p for p in _strings(data, "patchesStrategicMerge") if "\n" not in p]
    for key in ("patches", "patchesJson6902"):
        items = data.get(key) if isinstance(data.get(key), list) else []
        paths += [item["path"] for item in items if isinstance(item, dict) and isinstance(item.get("path"), str)]
    for entry in paths:
        path = _join(directory, entry)
        if _remote(entry):
            found.remote.append((directory or ".", entry))
        elif not path.startswith("../") and os.path.isfile(os.path.join(root, path)):
            found.patches.add(path)


def _kustomization(root: str, directory: str) -> dict:
    for name in KUSTOMIZATION_FILES:
        full = os.path.join(root, directory or ".", name)
        if os.path.isfile(full):
            text, problem = read_text(full, MAX_KUSTOMIZATION_BYTES)
            documents = [d.data for d in load_stream(text).documents] if problem is None else []
            return documents[0] if documents and isinstance(documents[0], dict) else {}
    return {}


def _strings(data: dict, *keys: str) -> list[str]:
    lists = [data.get(key) for key in keys if isinstance(data.get(key), list)]
    return [item for items in lists for item in items if isinstance(item, str)]


def _remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("git@", "github.com/"))


def _join(directory: str, entry: str) -> str:
    path = posixpath.normpath(posixpath.join(directory or ".", entry))
    return "" if path == "." else path
