"""Alertmanager routing as the repository declares it: receivers, the route tree and time intervals.

Shared by OPS001 (is a paging receiver reachable), OPS002 (where do critical alerts go) and OPS005 (which
time intervals mute routes). Configs are read from plain ``alertmanager.y*ml`` files (or any YAML document
holding ``route`` and ``receivers``, Helm values included), from Secrets that carry ``alertmanager.yaml``
(kube-prometheus), and from ``monitoring.coreos.com`` AlertmanagerConfig objects (camelCase fields).
Positions inside a Secret's block scalar are mapped back to the manifest's lines.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from readylint import lazy_re
from readylint.findings import Location
from readylint.inputs.yaml_docs import YMap, YSeq, load_stream
from readylint.model.objects import mapping, sequence

# Receiver integrations that page a person, and those that only notify a channel.
PAGING = {"pagerduty_configs": "PagerDuty", "pagerdutyConfigs": "PagerDuty", "opsgenie_configs": "Opsgenie",
          "opsgenieConfigs": "Opsgenie", "victorops_configs": "Splunk On-Call", "victoropsConfigs": "Splunk On-Call"}
NOTIFYING = ("slack_configs", "slackConfigs", "email_configs", "emailConfigs", "msteams_configs", "msteamsConfigs",
             "msteamsv2_configs", "telegram_configs", "telegramConfigs", "discord_configs", "discordConfigs",
             "webex_configs", "webexConfigs", "pushover_configs", "pushoverConfigs", "sns_configs", "snsConfigs",
             "wechat_configs", "wechatConfigs", "rocketchat_configs", "jira_configs")
WEBHOOKS = ("webhook_configs", "webhookConfigs")
PAGING_WEBHOOK = lazy_re.compile(r"oncall|incident\.io|squadcast|pagertree|ilert|firehydrant|rootly|zenduty",
                            re.IGNORECASE)
SECRET_KEYS = ("alertmanager.yaml", "alertmanager.yml")


@dataclass
class Receiver:
    name: str
    location: Location
    paging: list = field(default_factory=list)   # integration names that page ("PagerDuty")
    notifying: list = field(default_factory=list)  # integration keys that only notify ("slack_configs")


@dataclass
class Route:
    receiver: str | None
    matchers: list  # (label, op, value)
    location: Location  # the route's matchers line, else its receiver line, else the route itself
    continue_: bool = False
    repeat_interval: str | None = None
    mute: tuple = ()
    active: tuple = ()
    routes: list = field(default_factory=list)
    group_interval: str | None = None
    timing: dict = field(default_factory=dict)  # "repeat_interval"/"group_interval" -> Location of the key

    def walk(self):
        yield self
        for child in self.routes:
            yield from child.walk()


@dataclass
class AlertmanagerConfig:
    path: str
    where: str  # "alertmanager.yaml", "Secret monitoring/alertmanager-main", "AlertmanagerConfig ns/name"
    receivers: dict  # name -> Receiver
    route: Route | None
    time_intervals: dict  # name -> Location
    camel: bool = False

    def reachable(self) -> set[str]:
        return {r.receiver for r in self.route.walk() if r.receiver} if self.route else set()

    def receivers_for(self, labels: dict) -> list[tuple[str, "Route"]]:
        """(receiver, route) pairs an alert with ``labels`` reaches: first match wins unless ``continue``,
        receivers are inherited from the parent route."""
        if self.route is None:
            return []
        return _route(self.route, labels, self.route.receiver)


def _route(node: Route, labels, inherited) -> list:
    receiver = node.receiver or inherited
    found: list = []
    for child in node.routes:
        if all(_matches(m, labels) for m in child.matchers):
            found += _route(child, labels, receiver)
            if not child.continue_:
                return found
    return found or ([(receiver, node)] if receiver else [])


def _matches(matcher, labels) -> bool:
    label, op, value = matcher
    actual = str(labels.get(label, ""))
    if op in ("=", "=="):
        return actual == value
    if op == "!=":
        return actual != value
    try:
        hit = re.fullmatch(value, actual) is not None
    except re.error:
        return False
    return hit if op == "=~" else not hit


class _Pos:
    """Maps positions of a (possibly embedded) YAML tree to repository locations."""

    def __init__(self, path: str, offset: int = 0, fixed: int | None = None, indent: int = 0):
        self.path, self.offset, self.fixed, self.indent = path, offset, fixed, indent

    def key(self, node: YMap, key: str, fallback: Location | None = None) -> Location:
        pos = node.kpos.get(key) if isinstance(node, YMap) else None
        if pos is None:
            return fallback or self.node(node)
        return self._loc(pos[0], pos[1])

    def node(self, node) -> Location:
        return self._loc(getattr(node, "line", 1) or 1, getattr(node, "col", 1) or 1)

    def _loc(self, line, col) -> Location:
        if self.fixed is not None:
            return Location(self.path, self.fixed, 1)
        return Location(self.path, line + self.offset, col + self.indent)


_MATCHER = lazy_re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|==|=)\s*"?(.*?)"?\s*$')


def _matchers(node: YMap, camel: bool) -> list:
    found = []
    for key, op in (("match", "="), ("match_re", "=~")):
        for label, value in (mapping(node.get(key)) or {}).items():
            found.append((str(label), op, str(value)))
    for item in sequence(node.get("matchers")):
        if isinstance(item, str):
            parsed = _MATCHER.match(item.strip().strip("{}"))
            if parsed:
                found.append((parsed.group(1), parsed.group(2), parsed.group(3)))
        elif isinstance(item, YMap) and item.get("name"):
            op = str(item.get("matchType") or ("=~" if item.get("regex") else "="))
            found.append((str(item["name"]), op, str(item.get("value", ""))))
    return found


def _route_of(node, pos: _Pos, camel: bool, prefix: str = "") -> Route | None:
    if not isinstance(node, YMap):
        return None
    where = next((k for k in ("matchers", "match", "match_re", "receiver") if k in node), None)
    location = pos.key(node, where) if where else pos.node(node)
    mute = "muteTimeIntervals" if camel else "mute_time_intervals"
    active = "activeTimeIntervals" if camel else "active_time_intervals"
    route = Route(str(node["receiver"]) if node.get("receiver") else None, _matchers(node, camel), location,
                  node.get("continue") is True, str(node.get("repeat_interval") or node.get("repeatInterval") or "")
                  or None, tuple(str(v) for v in sequence(node.get(mute))),
                  tuple(str(v) for v in sequence(node.get(active))))
    for snake, camel_key in (("repeat_interval", "repeatInterval"), ("group_interval", "groupInterval")):
        key = camel_key if camel else snake
        if node.get(key) not in (None, ""):
            route.timing[snake] = pos.key(node, key)
    route.group_interval = str(node.get("groupInterval" if camel else "group_interval") or "") or None
    if camel and prefix and route.receiver and not route.receiver.startswith(prefix):
        route.receiver = prefix + route.receiver  # the operator prefixes receivers with namespace/name
    for child in sequence(node.get("routes")):
        sub = _route_of(child, pos, camel, prefix)
        if sub is not None:
            route.routes.append(sub)
    return route


def _receiver(node: YMap, pos: _Pos, prefix: str = "") -> Receiver:
    receiver = Receiver(prefix + str(node.get("name")), pos.key(node, "name"))
    for key, value in node.items():
        if not sequence(value):
            continue
        if key in PAGING:
            receiver.paging.append(PAGING[key])
        elif key in WEBHOOKS:
            for hook in sequence(value):
                url = str((mapping(hook) or {}).get("url") or (mapping(hook) or {}).get("url_file") or "")
                if PAGING_WEBHOOK.search(url):
                    receiver.paging.append("on-call webhook")
                else:
                    receiver.notifying.append(key)
        elif key in NOTIFYING:
            receiver.notifying.append(key)
    return receiver


def _config(data: YMap, pos: _Pos, path: str, where: str, camel=False, prefix="") -> AlertmanagerConfig:
    receivers = {}
    for item in sequence(data.get("receivers")):
        if isinstance(item, YMap) and item.get("name"):
            found = _receiver(item, pos, prefix)
            receivers[found.name] = found
    intervals = {}
    for key in (("timeIntervals", "muteTimeIntervals") if camel else ("time_intervals", "mute_time_intervals")):
        for item in sequence(data.get(key)):
            if isinstance(item, YMap) and item.get("name"):
                intervals[str(item["name"])] = pos.key(item, "name")
    return AlertmanagerConfig(path, where, receivers, _route_of(data.get("route"), pos, camel, prefix), intervals,
                              camel)


def _is_config(data) -> bool:
    return isinstance(data, YMap) and isinstance(data.get("route"), YMap) and "receivers" in data


def _nested(data, depth=0):
    """Alertmanager configs inside a YAML tree (Helm values put them under ``alertmanager.config``)."""
    if _is_config(data):
        yield data
        return
    if depth >= 4:
        return
    if isinstance(data, YMap):
        for value in data.values():
            yield from _nested(value, depth + 1)


def _embedded(index, obj) -> list[AlertmanagerConfig]:
    found = []
    for block in ("stringData", "data"):
        values = mapping(obj.data.get(block))
        if values is None:
            continue
        for key in SECRET_KEYS:
            text = values.get(key)
            if not isinstance(text, str):
                continue
            key_line = values.kpos[key][0]
            if block == "data":
                try:
                    text = base64.b64decode(text, validate=False).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError, ValueError):
                    continue
                pos = _Pos(obj.path, fixed=key_line)
            else:
                raw = (index.repo.text(obj.path) or "").splitlines()
                literal = key_line <= len(raw) and re.search(r":\s*[|>][-+0-9]*\s*(#.*)?$", raw[key_line - 1])
                body = raw[key_line] if literal and key_line < len(raw) else ""
                pos = _Pos(obj.path, offset=key_line, indent=len(body) - len(body.lstrip())) if literal else \
                    _Pos(obj.path, fixed=key_line)
            stream = load_stream(text)
            for doc in stream.documents:
                if _is_config(doc.data):
                    found.append(_config(doc.data, pos, obj.path, f"Secret {obj.namespace}/{obj.name}"))
    return found


def configs(index) -> list[AlertmanagerConfig]:
    """Every Alertmanager configuration in the repository (cached per run)."""
    cached = index.__dict__.get("_alertmanager_configs")
    if cached is not None:
        return cached
    found: list[AlertmanagerConfig] = []
    for path, documents in sorted(index.documents.items()):
        for doc in documents:
            for data in _nested(doc.data):
                found.append(_config(data, _Pos(path), path, path))
    for obj in index.of_kind("Secret"):
        if any(k in (mapping(obj.data.get(b)) or {}) for b in ("stringData", "data") for k in SECRET_KEYS):
            found += _embedded(index, obj)
    for obj in index.of_kind("AlertmanagerConfig"):
        if obj.group == "monitoring.coreos.com":
            prefix = f"{obj.namespace}/{obj.name}/"
            found.append(_config(obj.spec, _Pos(obj.path), obj.path, f"AlertmanagerConfig {obj.namespace}/"
                                 f"{obj.name}", camel=True, prefix=prefix))
    index.__dict__["_alertmanager_configs"] = found
    return found


_PROM_DURATION = lazy_re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
DEFAULT_TIMING = {"group_interval": 300.0, "repeat_interval": 14400.0}  # Alertmanager's defaults (5m, 4h)


def seconds(text) -> float | None:
    """Seconds in a Prometheus duration (``1h30m``, ``4h``); None when it is not one."""
    text = str(text or "").strip()
    parts = _PROM_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)


def timings(route: Route, inherited: dict | None = None, receiver: str | None = None):
    """(route, effective {"repeat_interval": (seconds, Location or None)}, receiver) for each route of the tree;
    children inherit the timing and receiver of their parent, the root Alertmanager's default timing."""
    inherited = inherited or {k: (v, None) for k, v in DEFAULT_TIMING.items()}
    receiver = route.receiver or receiver
    own = dict(inherited)
    for key, value in (("repeat_interval", route.repeat_interval), ("group_interval", route.group_interval)):
        parsed = seconds(value)
        if parsed is not None:
            own[key] = (parsed, route.timing.get(key))
    yield route, own, receiver
    for child in route.routes:
        yield from timings(child, own, receiver)


def catalog_entities(index) -> list[tuple[str, YMap]]:
    """(path, entity) of Backstage catalog descriptors (``catalog-info.yaml``)."""
    found = []
    for path, documents in sorted(index.documents.items()):
        if not path.lower().rsplit("/", 1)[-1].startswith("catalog-info."):
            continue
        for doc in documents:
            if isinstance(doc.data, YMap) and str(doc.data.get("apiVersion", "")).startswith("backstage.io/"):
                found.append((path, doc.data))
    for obj in index.all_objects:  # with apiVersion and kind, catalog entities load as objects
        if obj.api_version.startswith("backstage.io/"):
            found.append((obj.path, obj.data))
    return found


def experimental(index) -> str | None:
    """Why on-call does not apply: a catalog Component whose lifecycle is experimental."""
    for path, entity in catalog_entities(index):
        spec = mapping(entity.get("spec")) or {}
        if str(entity.get("kind", "")).lower() == "component" and str(spec.get("lifecycle", "")).lower() == \
                "experimental":
            return f"{path} declares spec.lifecycle: experimental"
    return None


def line_of(seq_or_map, key) -> int | None:
    if isinstance(seq_or_map, YMap):
        pos = seq_or_map.kpos.get(key)
        return pos[0] if pos else None
    if isinstance(seq_or_map, YSeq) and isinstance(key, int) and key < len(seq_or_map.ipos):
        return seq_or_map.ipos[key][0]
    return None
