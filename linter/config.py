"""Find, read and validate `.readylint.yaml`; the result is a frozen Config the run reads from.

Validation errors are usage errors (exit 2) that name the file, the key and its line, never findings.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from . import package_data
from .inputs.files import read_text
from .inputs.positions import deepest_position
from .inputs.yaml_docs import YMap, load_stream

CONFIG_NAME = ".readylint.yaml"


class ConfigError(Exception):
    """A configuration or usage mistake: printed as one line, exit code 2."""


@dataclass(frozen=True)
class Config:
    path: str | None = None  # repo-relative, when a file was read
    data: dict = field(default_factory=dict)
    positions: object = None  # the YMap root, for locating config ignores
    layers: tuple = ()  # (shown path, YMap) of each file, extended ones first (extends.py)
    custom: tuple = ()  # custom rule definitions (custom_rules.Entry), merged by code

    def section(self, name) -> dict:
        value = self.data.get(name)
        return value if isinstance(value, dict) else {}

    @property
    def exclude_paths(self) -> list[str]:
        value = self.data.get("exclude")
        if isinstance(value, list):
            return list(value)
        return list(self.section("exclude").get("paths", []))

    @property
    def exclude_namespaces(self) -> list[str]:
        return list(self.section("exclude").get("namespaces", []))

    @property
    def exclude_helm_hooks(self) -> bool:
        return bool(self.section("exclude").get("helm_hooks", True))

    @property
    def thresholds(self) -> dict:
        return self.section("thresholds")

    @property
    def rules(self) -> dict:
        return self.section("rules")

    @property
    def ignores(self) -> list:
        value = self.data.get("ignores")
        return list(value) if isinstance(value, list) else []

    @property
    def manifest_inputs(self) -> list:
        return list(self.section("inputs").get("manifests", []))

    def ignore_sources(self):
        """(ignores, file, positions) per configuration file, so each ignore is reported in its own file."""
        for path, data in self.layers or ((self.path, self.positions),):
            entries = data.get("ignores") if data is not None else None
            if isinstance(entries, list) and entries:
                yield list(entries), path, data


def _schema() -> dict:
    text = package_data.read_text("readylint.schemas", "readylint-config.schema.json")
    return json.loads(text)


def _line_of(root, path) -> int:
    """Line of the deepest key along a JSON-schema error path."""
    return deepest_position(root, path)[0]


def _pointer(path) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "/"


def _describe(error, root) -> tuple[str, list]:
    """A one-line explanation and the path it is about, unknown keys named explicitly."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            known = ", ".join(sorted(allowed)) or "none"
            return f"unknown key '{extra[0]}' (allowed here: {known})", path + [extra[0]]
    if error.validator == "oneOf" and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)) * -1)
        return _describe(best, root)
    return error.message, path


def validate(data, root, source: str) -> None:
    from jsonschema import Draft202012Validator

    from .custom_rules import registry

    validator = Draft202012Validator(_schema(), registry=registry())
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        message, path = _describe(errors[0], root)
        raise ConfigError(f"{source}:{_line_of(root, path)}: invalid configuration at {_pointer(path)}: {message}")


def find_config(root: str, start: str | None) -> str | None:
    """The nearest `.readylint.yaml` from the linted folder up to the repository root.

    So `readylint check services/api` in a monorepo uses that service's configuration; paths in it
    stay relative to the repository root, like every path readylint prints.
    """
    folder = os.path.realpath(start or root)
    if not (folder == root or folder.startswith(root + os.sep)):
        folder = root
    while True:
        candidate = os.path.join(folder, CONFIG_NAME)
        if os.path.isfile(candidate):
            return candidate
        if folder == root or os.path.dirname(folder) == folder:
            return None
        folder = os.path.dirname(folder)


def load_config(root: str, explicit: str | None, start: str | None = None) -> Config:
    """The explicit `--config` file (must exist), else the nearest `.readylint.yaml` (may be absent)."""
    if explicit:
        path = explicit
        if not os.path.isfile(path):
            raise ConfigError(f"{explicit}: configuration file not found")
    else:
        path = find_config(root, start)
        if path is None:
            return Config()
    from .extends import load_chain  # one file, or the files it extends merged under it

    return load_chain(path, root)


def read_config_file(path: str, root: str) -> tuple[str, YMap | None]:
    """One configuration file, parsed and validated: (path as shown, its root mapping or None if empty)."""
    shown = os.path.relpath(path, root) if os.path.abspath(path).startswith(root + os.sep) else path
    shown = shown.replace(os.sep, "/")
    text, problem = read_text(path, 8 * 1024 * 1024)
    if problem is not None:
        raise ConfigError(f"{shown}:{problem.line}: {problem.message}")
    stream = load_stream(text)
    fatal = [i for i in stream.issues if i.fatal] or [i for i in stream.issues if not i.fatal]
    if fatal:
        issue = fatal[0]
        raise ConfigError(f"{shown}:{issue.line}:{issue.col}: invalid YAML: {issue.message}")
    docs = [d for d in stream.documents if d.data is not None]
    if not docs:
        return shown, None
    if len(docs) > 1:
        raise ConfigError(f"{shown}:{docs[1].line}: the configuration must be a single YAML document")
    data = docs[0].data
    if not isinstance(data, YMap):
        raise ConfigError(f"{shown}:{docs[0].line}: the configuration must be a mapping")
    if "custom_rules" in data:  # first, so a broken custom rule is named by its code (custom_rules.py)
        from .custom_rules import check_entries

        check_entries(data["custom_rules"], shown, data)
    validate(data, data, shown)
    return shown, data
