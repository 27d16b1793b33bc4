"""Grafana dashboards delivered from the repository: where they are, whether they parse, what they query.

Sources (rules.md OBS002): ConfigMaps the Grafana sidecar loads (label ``grafana_dashboard: "1"``) or that a
Grafana pod mounts, grafana-operator GrafanaDashboard objects (inline ``json``/``gzipJson``, ``configMapRef``,
or remote ``url``/``grafanaCom``/``jsonnet`` that cannot be inspected), JSON files under ``dashboards/``,
``grafana/``, a mixin or named ``*dashboard*.json``, jsonnet sources and Terraform ``grafana_dashboard``.
"""
from __future__ import annotations

import base64
import binascii
import re
import weakref
from dataclasses import dataclass, field

from .. import lazy_re
from ..findings import Location
from ..inputs import json_text
from .objects import K8sObject, dig, mapping, sequence
from .selectors import label_selector_matches

DASHBOARD_GLOBS = ("**/dashboards/**/*.json", "**/grafana/**/*.json", "**/*dashboard*.json",
                   "**/*mixin*/**/*.json")
JSONNET_GLOBS = ("**/dashboards/**/*.jsonnet", "**/dashboards/**/*.libsonnet", "**/grafana/**/*.jsonnet",
                 "**/*mixin*/**/dashboards*.libsonnet", "**/*dashboard*.jsonnet")
BUILTIN_DATASOURCES = {"grafana", "-- grafana --", "-- mixed --", "-- dashboard --", "mixed", "dashboard"}


@dataclass(eq=False)
class Dashboard:
    """One dashboard: ``data`` is the parsed JSON, None when it could not be read or is remote."""

    origin: str  # "configmap", "operator", "file", "jsonnet", "terraform", "remote"
    name: str  # how messages name it: "ConfigMap monitoring/x key a.json" or the path
    at: Location
    data: dict | None = None
    error: str | None = None  # why the JSON is invalid
    error_at: Location | None = None
    obj: K8sObject | None = None
    key: str = ""  # fingerprint key path
    notes: list = field(default_factory=list)

    @property
    def uid(self):
        return self.data.get("uid") if isinstance(self.data, dict) else None

    @property
    def inspectable(self) -> bool:
        return isinstance(self.data, dict)

    def panels(self) -> list[dict]:
        """All panels, rows' nested panels and legacy ``rows[].panels`` included."""
        if not isinstance(self.data, dict):
            return []
        out, stack = [], list(_list(self.data.get("panels")))
        for row in _list(self.data.get("rows")):
            if isinstance(row, dict):
                stack += _list(row.get("panels"))
        while stack:
            panel = stack.pop()
            if isinstance(panel, dict):
                out.append(panel)
                stack += _list(panel.get("panels"))
        return out

    def queries(self) -> list[str]:
        """Every PromQL/LogQL text of the dashboard: panel targets and template-variable queries."""
        out = []
        for panel in self.panels():
            for target in _list(panel.get("targets")):
                if isinstance(target, dict):
                    out += [v for k, v in target.items() if k in ("expr", "query", "rawSql") and isinstance(v, str)]
        for var in self.variables():
            out += [q for q in _variable_queries(var)]
        return out

    def variables(self) -> list[dict]:
        templating = self.data.get("templating") if isinstance(self.data, dict) else None
        return [v for v in _list(templating.get("list") if isinstance(templating, dict) else None)
                if isinstance(v, dict)]

    def hard_coded_datasource(self) -> str | None:
        """The first datasource UID written literally instead of through a variable, else None."""
        for panel in self.panels():
            for node in [panel] + [t for t in _list(panel.get("targets")) if isinstance(t, dict)]:
                ds = node.get("datasource")
                if isinstance(ds, dict):
                    uid = ds.get("uid")
                    if isinstance(uid, str) and uid and "$" not in uid and uid.lower() not in BUILTIN_DATASOURCES:
                        return uid
        return None


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _variable_queries(var: dict) -> list[str]:
    query = var.get("query")
    out = []
    if isinstance(query, str):
        out.append(query)
    elif isinstance(query, dict) and isinstance(query.get("query"), str):
        out.append(query["query"])
    if isinstance(var.get("definition"), str):
        out.append(var["definition"])
    return out


def looks_like_dashboard(data) -> bool:
    return isinstance(data, dict) and ("panels" in data or "rows" in data) and (
        "title" in data or "schemaVersion" in data or "uid" in data)


def _parse(text: str, fallback: Location, in_file: bool = False):
    """(data, error, error location) of a JSON text; JSON errors point at their own line when in a file."""
    try:
        return json_text.loads(text), None, None
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        msg = getattr(exc, "msg", str(exc))
        if in_file:
            return None, f"{msg} (line {line}, column {col})", Location(fallback.path, line, col)
        return None, f"{msg} (line {line}, column {col} of the value)", fallback


def _json_key_line(text: str, key: str) -> int:
    match = re.search(r'^\s*"' + re.escape(key) + r'"\s*:', text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


class _Dashboards:
    def __init__(self, index, label: str, value: str):
        self.index = index
        self.items: list[Dashboard] = []
        self.unloaded: list[Dashboard] = []  # dashboard JSON in ConfigMaps that no Grafana loads
        self.grafana_errors: list[tuple[K8sObject, str]] = []  # GrafanaDashboards no Grafana CR selects
        mounted = self._mounted_config_maps()
        operator_refs = set()
        for obj in index.of_kind("GrafanaDashboard"):
            if obj.group == "grafana.integreatly.org":
                operator_refs |= self._operator(obj)
        for cm in index.of_kind("ConfigMap"):
            labelled = str(cm.labels.get(label, "")).lower() == str(value).lower() and label in cm.labels
            loaded = labelled or (cm.namespace, cm.name) in mounted
            if (cm.namespace, cm.name) in operator_refs:
                continue
            for key, text in (mapping(cm.data.get("data")) or {}).items():
                if not isinstance(text, str):
                    continue
                at = cm.at("data", key)
                if not (str(key).endswith(".json") or looks_like_text(text)):
                    continue
                data, error, error_at = _parse(text, at)
                if error is None and not looks_like_dashboard(data):
                    continue  # provider configs, datasources and other JSON
                board = Dashboard("configmap", f"ConfigMap {cm.namespace}/{cm.name} key {key}", at, data, error,
                                  error_at, cm, key=f"data.{key}")
                (self.items if loaded else self.unloaded).append(board)
        for path in index.repo.glob(*DASHBOARD_GLOBS):
            text = index.repo.text(path)
            if text is None:
                continue
            data, error, error_at = _parse(text, Location(path, 1, 1), in_file=True)
            if error is None and not looks_like_dashboard(data):
                continue
            line = _json_key_line(text, "uid") if error is None else 1
            self.items.append(Dashboard("file", path, Location(path, line, 1), data, error, error_at, key=path))
        for path in index.repo.glob(*JSONNET_GLOBS):
            self.items.append(Dashboard("jsonnet", path, Location(path, 1, 1), key=path,
                                        notes=["jsonnet source: rendered JSON not inspected"]))
        for path in index.repo.glob("**/*.tf"):
            text = index.repo.text(path) or ""
            for m in re.finditer(r'resource\s+"grafana_dashboard"\s+"([^"]+)"', text):
                line = text.count("\n", 0, m.start()) + 1
                self.items.append(Dashboard("terraform", f"{path} grafana_dashboard.{m.group(1)}",
                                            Location(path, line, 1), key=f"{path}#{m.group(1)}"))

    def defines_uid(self, uid: str) -> bool | None:
        """Whether some dashboard of the repository has this uid; None when uninspectable sources might."""
        if any(b.uid == uid for b in self.items if b.inspectable) or any(b.uid == uid for b in self.unloaded):
            return True
        if any(not b.inspectable and not b.error for b in self.items):
            return None  # a jsonnet, Terraform or remote source may define it
        return False

    def _mounted_config_maps(self) -> set:
        """(namespace, name) of ConfigMaps mounted into a pod running a Grafana image."""
        found = set()
        for wl in self.index.workloads:
            if not any("grafana" in str(c.data.get("image", "")).split("/")[-1] for c in wl.containers()):
                continue
            for volume in sequence(wl.pod_spec.get("volumes")):
                name = dig(volume, "configMap", "name")
                if isinstance(name, str):
                    found.add((wl.namespace, name))
                for source in sequence(dig(volume, "projected", "sources")):
                    name = dig(source, "configMap", "name")
                    if isinstance(name, str):
                        found.add((wl.namespace, name))
        return found

    def _operator(self, obj: K8sObject) -> set:
        spec, refs = obj.spec, set()
        name = f"{obj.ref}"
        grafanas = [g for g in self.index.of_kind("Grafana") if g.group == "grafana.integreatly.org"]
        selector = dig(spec, "instanceSelector")
        if grafanas and not any(label_selector_matches(selector, g.labels) for g in grafanas):
            self.grafana_errors.append((obj, "spec.instanceSelector"))
        if isinstance(spec.get("json"), str):
            at = obj.at("spec", "json")
            data, error, error_at = _parse(spec["json"], at)
            self.items.append(Dashboard("operator", name, at, data, error, error_at, obj, key="spec.json"))
        elif isinstance(spec.get("gzipJson"), str):
            at = obj.at("spec", "gzipJson")
            import gzip  # only for a gzipJson dashboard

            try:
                text = gzip.decompress(base64.b64decode(spec["gzipJson"], validate=False)).decode("utf-8")
                data, error, error_at = _parse(text, at)
            except (binascii.Error, OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
                data, error, error_at = None, f"gzipJson is not base64 gzip data ({exc})", at
            self.items.append(Dashboard("operator", name, at, data, error, error_at, obj, key="spec.gzipJson"))
        elif mapping(spec.get("configMapRef")) is not None:
            ref = spec["configMapRef"]
            at = obj.at("spec", "configMapRef")
            cm = self.index.get("ConfigMap", obj.namespace, str(ref.get("name")))
            text = dig(cm.data, "data", str(ref.get("key"))) if cm is not None else None
            if cm is not None:
                refs.add((cm.namespace, cm.name))
            if isinstance(text, str):
                data, error, error_at = _parse(text, cm.at("data", str(ref.get("key"))))
                self.items.append(Dashboard("operator", name, cm.at("data", str(ref.get("key"))), data, error,
                                            error_at, obj, key="spec.configMapRef"))
            else:
                self.items.append(Dashboard("remote", name, at, obj=obj, key="spec.configMapRef",
                                            notes=["its ConfigMap is not in the repository"]))
        else:
            for source in ("url", "grafanaCom", "jsonnet", "jsonnetLib"):
                if source in spec:
                    self.items.append(Dashboard("remote", name, obj.at("spec", source), obj=obj,
                                                key=f"spec.{source}", notes=[f"{source} source not inspected"]))
                    break
        return refs


_UID_IN_URL = lazy_re.compile(r"/d(?:-solo)?/([A-Za-z0-9_.-]+)(?:[/?#]|$)")


def uid_of_url(url) -> str | None:
    """The dashboard uid a Grafana link names (``…/d/<uid>/<slug>``, ``/d-solo/<uid>``), else None.

    Links whose uid is a template (``{{ $labels.x }}``) or that use the legacy slug form name no uid.
    """
    match = _UID_IN_URL.search(str(url or "").strip())
    return match.group(1) if match else None


def looks_like_text(text: str) -> bool:
    return text.lstrip().startswith("{") and '"panels"' in text


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def dashboards(index, label: str = "grafana_dashboard", value: str = "1") -> _Dashboards:
    """The repository's dashboards (cached per index and sidecar label)."""
    per_index = _CACHE.setdefault(index, {})
    key = (label, str(value))
    if key not in per_index:
        per_index[key] = _Dashboards(index, label, str(value))
    return per_index[key]
