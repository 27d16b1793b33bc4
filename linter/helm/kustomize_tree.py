"""The repository files a kustomization reads, following its local bases and components.

A kustomize build names no source file, so the objects of its resource files are the ones its output can
come from, and its patch files are pieces merged into that output, never objects of their own. Remote
entries and paths leaving the repository are skipped (they are not this repository's files).
"""
from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field

from ..inputs.files import read_text
from ..inputs.yaml_docs import load_stream
from .sources import KUSTOMIZATION_FILES

MAX_KUSTOMIZATION_BYTES = 1024 * 1024
# What kustomize would fetch: a URL of any scheme, an scp-style git address, a go-getter `?ref=` or `//x.git`.
REMOTE = re.compile(r"^\s*-?\s*(?:[a-z][\w+.-]*://|git@|github\.com/)|\?ref=|//[^/\s]*\.git", re.M)

MAX_FOLDERS = 200


@dataclass
class KustomizeFiles:
    resources: set = field(default_factory=set)  # repo-relative files listed as resources
    patches: set = field(default_factory=set)  # repo-relative patch files
    remote: list = field(default_factory=list)  # (kustomization file, line) of every remote reference in the tree


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
        path, data, text = _kustomization(root, directory)
        found.remote += [(path, _line_at(text, match.start())) for match in REMOTE.finditer(text)]
        _patch_files(directory, data, found, root)
        for entry in _strings(data, "resources", "bases", "components"):
            path = _join(directory, entry)
            if _remote(entry) or path.startswith("../"):
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
            _patch_files(directory, _kustomization(root, directory)[1], found, root)
    return found.patches


def _patch_files(directory: str, data: dict, found: KustomizeFiles, root: str) -> None:
    paths = [p for p in _strings(data, "patchesStrategicMerge") if "\n" not in p]
    for key in ("patches", "patchesJson6902"):
        items = data.get(key) if isinstance(data.get(key), list) else []
        paths += [item["path"] for item in items if isinstance(item, dict) and isinstance(item.get("path"), str)]
    for entry in paths:
        path = _join(directory, entry)
        if _remote(entry):
            found.remote.append((directory or ".", entry))  # an Application's own patches name no kustomization
        elif not path.startswith("../") and os.path.isfile(os.path.join(root, path)):
            found.patches.add(path)


def _kustomization(root: str, directory: str) -> tuple[str, dict, str]:
    """(repo-relative path, data, text) of the kustomization in ``directory``; ("", {}, "") when there is none."""
    for name in KUSTOMIZATION_FILES:
        full = os.path.join(root, directory or ".", name)
        if os.path.isfile(full):
            text, problem = read_text(full, MAX_KUSTOMIZATION_BYTES)
            documents = [d.data for d in load_stream(text).documents] if problem is None else []
            data = documents[0] if documents and isinstance(documents[0], dict) else {}
            return _join(directory, name), data, text or ""
    return "", {}, ""


def _strings(data: dict, *keys: str) -> list[str]:
    lists = [data.get(key) for key in keys if isinstance(data.get(key), list)]
    return [item for items in lists for item in items if isinstance(item, str)]


def _line_at(text: str, offset: int) -> str:
    """The line holding ``offset``, without its list dash: what the user wrote."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start:end if end >= 0 else len(text)].strip().lstrip("-").strip()


def _remote(entry: str) -> bool:
    return REMOTE.search(entry) is not None


def _join(directory: str, entry: str) -> str:
    path = posixpath.normpath(posixpath.join(directory or ".", entry))
    return "" if path == "." else path
