"""`extends:`: a configuration built on shared ones, so an organisation publishes one file teams reference.

Each `extends` path is relative to the file that names it (a string or a list; later entries win over earlier
ones, the extending file over all). Merge rules: mappings merge key by key, lists append (a value already
present is not repeated), any other value is the extending file's. Custom rules merge by code: a later file's
rule replaces the shared one. `extends` itself is not inherited. Paths inside the configuration (exclude,
inputs, ignores) stay relative to the repository root, whichever file they are written in. A cycle is a
configuration error.
"""
from __future__ import annotations

import os

from .config import Config, ConfigError, read_config_file
from .inputs.yaml_docs import YMap, YSeq

NOT_INHERITED = ("extends", "custom_rules", "custom_rules_files")


def load_chain(path: str, root: str) -> Config:
    """The configuration at ``path`` merged over everything it extends (depth first, base first)."""
    layers: list[tuple[str, YMap]] = []
    custom: list = []
    _collect(os.path.realpath(path), path, root, [], layers, custom, None)
    shown, local = layers[-1]
    if len(layers) == 1 and not local.get("custom_rules") and not local.get("custom_rules_files"):
        return Config(path=shown, data=local, positions=local, layers=tuple(layers))
    from .custom_rules import merge_entries

    merged = None
    for _, data in layers:
        own = _without(data)
        merged = own if merged is None else merge(merged, own)
    return Config(path=shown, data=merged, positions=local, layers=tuple(layers), custom=merge_entries(custom))


def _collect(real: str, given: str, root: str, chain: list, layers: list, custom: list, named_at) -> None:
    if real in chain:
        names = " -> ".join(_shown(p, root) for p in chain + [real])
        raise ConfigError(f"{named_at}: extends: cycle {names}")
    if not os.path.isfile(real):
        raise ConfigError(f"{named_at}: extends: {given} not found" if named_at else f"{given}: configuration "
                          "file not found")
    shown, data = read_config_file(real, root)
    if data is None:
        data = YMap()
        data.line, data.col, data.kpos = 1, 1, {}
    base_dir = os.path.dirname(real)
    parents = data.get("extends")
    if parents is not None:
        items = [parents] if isinstance(parents, str) else list(parents)
        for i, parent in enumerate(items):
            line = data["extends"].ipos[i][0] if isinstance(data["extends"], YSeq) else data.kpos["extends"][0]
            target = os.path.join(base_dir, str(parent))
            _collect(os.path.realpath(target), str(parent), root, chain + [real], layers, custom, f"{shown}:{line}")
    layers.append((shown, data))
    if "custom_rules" in data or "custom_rules_files" in data:
        from .custom_rules import entries_from_config

        custom.append(entries_from_config(data, shown, base_dir, root))


def _shown(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/") if path.startswith(root + os.sep) else path


def _without(data: YMap) -> YMap:
    out = YMap((k, v) for k, v in data.items() if k not in NOT_INHERITED)
    out.line, out.col = data.line, data.col
    out.kpos = {k: v for k, v in data.kpos.items() if k not in NOT_INHERITED}
    return out


def merge(base, local):
    """Mappings merge key by key, lists append without repeats, anything else is ``local``."""
    if isinstance(base, dict) and isinstance(local, dict):
        out = YMap(base)
        out.line, out.col = getattr(local, "line", 1), getattr(local, "col", 1)
        out.kpos = {**getattr(base, "kpos", {}), **getattr(local, "kpos", {})}
        for key, value in local.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(local, list):
        out = YSeq(base)
        out.line, out.col = getattr(local, "line", 1), getattr(local, "col", 1)
        positions = list(getattr(base, "ipos", [(1, 1)] * len(base)))
        for i, value in enumerate(local):
            if value in out:
                continue
            out.append(value)
            positions.append(local.ipos[i] if isinstance(local, YSeq) else (1, 1))
        out.ipos = positions
        return out
    return local
