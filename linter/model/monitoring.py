"""Monitoring as code: Prometheus rules and alerts, SLO objects, and which monitors scrape a workload.

Public API (used by OBS/OPS rules and by DOC002 / DEP005):

* ``alerts(index)`` → list of :class:`Alert` (PrometheusRule objects and plain ``groups:`` rule files), each
  with ``name``, ``expr``, ``for_``, ``severity``, ``labels``, ``annotations``, ``obj`` (the PrometheusRule, or
  None for a plain file), ``path``, ``location`` (the ``alert:`` line) and ``at(key)`` (the line of ``for``,
  ``expr``, ``labels``, ``labels.severity``, ``annotations.runbook_url`` ...).
* ``recording_rules(index)`` → the ``record:`` entries, same shape.
* ``slos(index)`` → list of :class:`Slo` (Sloth CR and CLI specs, Pyrra, OpenSLO, google slo-generator).
* ``workload_names(index, wl)`` → the values a query or alert would use to name the workload.
* ``scrape_paths(index, wl)`` → how Prometheus-compatible scrapers reach the workload (see OBS001).
* ``prometheus_selects(index, monitor)`` → whether a Prometheus CR, or the one kube-prometheus-stack values in
  the repository describe (``stack_prometheuses``), picks a ServiceMonitor, PodMonitor or PrometheusRule up.

Everything is built once per index and cached on it.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from ..findings import Location, Subject
from ..inputs.yaml_docs import YMap, YSeq, load_stream
from .context_folders import in_context_folder
from .gitops import applications
from .objects import K8sObject, dig, mapping, sequence
from .promql import matchers, metric_names
from .selectors import label_selector_matches

RULE_KINDS = ("PrometheusRule", "VMRule")
# Label names whose values identify a workload in queries and alert expressions.
IDENTITY_LABELS = frozenset({"job", "service", "container", "app", "app_kubernetes_io_name", "pod", "deployment",
                             "statefulset", "daemonset", "workload", "name", "sloth_service", "service_name",
                             "k8s_app", "app_name", "instance_name", "rollout"})
# Jobs that export metrics about other workloads: naming them does not make an alert about them.
EXPORTER_JOBS = frozenset({"kube-state-metrics", "kubelet", "cadvisor", "node-exporter", "apiserver"})
APP_LABEL_KEYS = ("app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "k8s-app", "name", "component",
                  "app.kubernetes.io/component")
# Cluster-level alerts of kubernetes-mixin: they watch every pod through kube-state-metrics, not the application.
GENERIC_ALERTS = frozenset({
    "KubePodCrashLooping", "KubePodNotReady", "KubeDeploymentGenerationMismatch", "KubeDeploymentReplicasMismatch",
    "KubeDeploymentRolloutStuck", "KubeStatefulSetReplicasMismatch", "KubeStatefulSetGenerationMismatch",
    "KubeStatefulSetUpdateNotRolledOut", "KubeDaemonSetRolloutStuck", "KubeDaemonSetNotScheduled",
    "KubeDaemonSetMisScheduled", "KubeContainerWaiting", "KubeJobNotCompleted", "KubeJobFailed",
    "KubeHpaReplicasMismatch", "KubeHpaMaxedOut", "CPUThrottlingHigh", "KubePdbNotEnoughHealthyPods",
    "KubeMemoryOverCommit", "KubeCPUOverCommit", "KubeQuotaAlmostFull", "KubeQuotaFullyUsed", "KubeQuotaExceeded",
    "KubePersistentVolumeFillingUp", "KubePersistentVolumeInodesFillingUp", "KubePersistentVolumeErrors",
    "TargetDown", "Watchdog", "InfoInhibitor"})


@dataclass(eq=False)
class Rule:
    """One entry of a rule group: an alerting rule (``alert``) or a recording rule (``record``)."""

    name: str
    expr: object
    data: YMap  # the rule item itself (positions of its keys in .kpos)
    path: str
    group: str
    index: int  # position among all rules of its file/object, for stable keys
    obj: K8sObject | None = None

    @property
    def is_alert(self) -> bool:
        return "alert" in self.data

    @property
    def for_(self):
        value = self.data.get("for")
        return value if isinstance(value, str) else (None if value is None else str(value))

    @property
    def labels(self) -> YMap:
        return mapping(self.data.get("labels")) or YMap()

    @property
    def annotations(self) -> YMap:
        return mapping(self.data.get("annotations")) or YMap()

    @property
    def severity(self) -> str | None:
        value = self.labels.get("severity")
        return None if value is None else str(value)

    @property
    def location(self) -> Location:
        return self.at("alert" if self.is_alert else "record")

    def at(self, key: str = "") -> Location:
        """The line of ``key`` in this rule (dotted for nested: ``labels.severity``); the rule line if absent."""
        node, pos = self.data, None
        for part in key.split(".") if key else ():
            if not isinstance(node, YMap) or part not in node.kpos:
                break
            pos = node.kpos[part]
            node = node[part]
        if pos is None:
            first = "alert" if "alert" in self.data.kpos else ("record" if "record" in self.data.kpos else None)
            pos = self.data.kpos.get(first) if first else (self.data.line, self.data.col, None)
        return Location(self.path, pos[0], pos[1], pos[2] if len(pos) > 2 else None)

    @property
    def owner(self) -> str:
        """How messages name where the rule lives: ``PrometheusRule monitoring/x`` or the file path."""
        return self.obj.ref if self.obj is not None else self.path

    def subject(self) -> Subject:
        key = f"rule:{self.obj.subject().key if self.obj is not None else self.path}#{self.group}/{self.name}"
        waivers = self.obj.waivers() if self.obj is not None else ()
        fqn = f"{self.obj.namespace}/{self.obj.api_version}/{self.obj.kind}/{self.obj.name}" if self.obj else ""
        env = self.obj.environment if self.obj is not None else ""
        kind = "alert" if self.is_alert else "recording rule"
        return Subject(key=key, display=f"{kind} {self.name} ({self.owner})", fqn=fqn, environment=env,
                       waivers=waivers, location=self.location)

    @property
    def is_burn_rate(self) -> bool:
        """An SLO burn-rate alert generated by Sloth or Pyrra, or written over ``slo:*`` recording rules."""
        labels = self.labels
        if any(k in labels for k in ("sloth_id", "sloth_slo", "slo")):
            return True
        expr = self.expr if isinstance(self.expr, str) else ""
        return "slo:" in expr and ("burn" in expr or "error_budget" in expr or "sli_error" in expr)


Alert = Rule  # an alerting rule is a Rule whose ``is_alert`` is true


@dataclass(eq=False)
class Slo:
    """One SLO objective, normalised to a percentage."""

    kind: str  # "sloth", "sloth-cli", "pyrra", "openslo", "slo-generator"
    name: str
    service: str
    objective: float | None  # percent, e.g. 99.9
    at: Location  # where the objective is written (else the SLO's name)
    path: str
    obj: K8sObject | None = None
    queries: list = field(default_factory=list)  # PromQL strings of the SLI
    alerting: str = "enabled"  # enabled | page-disabled | disabled | none (no alerting declared)
    key: str = ""
    alerting_at: Location | None = None  # the ``alerting`` key, when written

    @property
    def owner(self) -> str:
        return self.obj.ref if self.obj is not None else self.path

    def subject(self) -> Subject:
        if self.obj is not None:
            base = self.obj.subject()
            return Subject(key=f"{base.key}#{self.name}", display=f"SLO {self.name} ({self.obj.ref})",
                           fqn=base.fqn, environment=base.environment, waivers=base.waivers, location=self.at)
        return Subject(key=f"slo:{self.path}#{self.name}", display=f"SLO {self.name} ({self.path})",
                       location=self.at)


class _Model:
    """Everything parsed once per run."""

    def __init__(self, index):
        self.index = index
        self.rules: list[Rule] = []
        for obj in index.of_kind(*RULE_KINDS):
            if obj.group in ("monitoring.coreos.com", "operator.victoriametrics.com"):
                self.rules += _rules_of(obj.spec, obj.path, obj, ("spec",))
        files = [(path, doc) for path, docs in sorted(index.documents.items()) for doc in docs
                 if is_rule_file(doc.data)]
        base = index.repo.base
        elsewhere = index.objects or self.rules or any(not in_context_folder(p, base) for p, _ in files)
        if elsewhere and not _manifest_inputs_configured(index):  # example rule files are context, as manifests
            files = [(p, doc) for p, doc in files if not in_context_folder(p, base)]
        for path, doc in files:
            self.rules += _rules_of(doc.data, path, None, ())
        self.slos = _collect_slos(index)


def _manifest_inputs_configured(index) -> bool:
    config = index.settings.get("config")
    return bool(config is not None and config.manifest_inputs)


_MODELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def model(index) -> _Model:
    found = _MODELS.get(index)
    if found is None:
        found = _MODELS[index] = _Model(index)
    return found


def alerts(index) -> list[Rule]:
    """Every alerting rule in production manifests and plain Prometheus rule files."""
    return [r for r in model(index).rules if r.is_alert]


def recording_rules(index) -> list[Rule]:
    return [r for r in model(index).rules if not r.is_alert]


def all_rules(index) -> list[Rule]:
    return list(model(index).rules)


def slos(index) -> list[Slo]:
    """Every SLO objective declared in the repository (CRs, CLI specs, OpenSLO, slo-generator)."""
    return list(model(index).slos)


def is_rule_file(data) -> bool:
    """A plain Prometheus rule file: ``groups:`` of mappings that each hold ``rules:``."""
    groups = data.get("groups") if isinstance(data, YMap) else None
    return (isinstance(groups, YSeq) and bool(groups) and "apiVersion" not in data
            and all(isinstance(g, YMap) and isinstance(g.get("rules"), YSeq) for g in groups))


def _rules_of(root: YMap, path: str, obj, prefix) -> list[Rule]:
    found = []
    for group in sequence(root.get("groups")):
        if not isinstance(group, YMap):
            continue
        group_name = str(group.get("name") or "")
        for item in sequence(group.get("rules")):
            if not isinstance(item, YMap) or not ("alert" in item or "record" in item):
                continue
            name = str(item.get("alert") if "alert" in item else item.get("record"))
            found.append(Rule(name, item.get("expr"), item, path, group_name, len(found), obj))
    return found


# -- who is the workload --------------------------------------------------------------------------------------

def workload_names(index, wl) -> set[str]:
    """Values a query uses to name the workload: its name, container names, app labels, its Services (and
    ``<name>-metrics``, the usual job of a dedicated metrics endpoint)."""
    names = {wl.obj.name}
    names.update(c.name for c in wl.containers())
    for key in APP_LABEL_KEYS:
        value = wl.labels.get(key)
        if isinstance(value, str) and value:
            names.add(value)
    for svc in index.services_selecting(wl):
        names.add(svc.name)
    names.discard("")
    names.update([f"{name}-metrics" for name in names])  # the usual name of a dedicated metrics Service or job
    return names


def mentions(expr, names: set[str], namespace: str | None = None, with_namespace: bool = True) -> bool:
    """True when a positive label matcher of ``expr`` names one of ``names``.

    A ``namespace`` matcher counts only in expressions that name no workload at all (namespace-wide
    alerts): ``up{job="alertmanager", namespace="monitoring"}`` watches alertmanager, not its neighbours.
    """
    found = matchers(expr)
    identity = [m for m in found if m.label in IDENTITY_LABELS and m.op in ("=", "=~")
                and m.value not in ("", ".*", ".+")]
    if any(m.selects(n) for m in identity for n in names):
        return True
    if _metric_prefix_names(expr, names):
        return True
    identity = [m for m in identity if not (m.label == "job" and m.value in EXPORTER_JOBS)]
    if with_namespace and namespace and not identity:
        return any(m.label == "namespace" and m.selects(namespace) for m in found)
    return False


def _metric_prefix_names(expr, names: set[str]) -> bool:
    """A metric the workload exports itself: ``grafana_http_requests_total`` names ``grafana``."""
    prefixes = tuple(n.replace("-", "_").lower() + "_" for n in names if len(n) >= 3)
    if not prefixes:
        return False
    for metric in metric_names(expr):
        for segment in metric.lower().split(":"):
            if segment.startswith(prefixes):
                return True
    return False


def rule_mentions(rule: Rule, names: set[str], namespace: str | None) -> bool:
    """An alert names the workload in its expression or in its own identity labels (Sloth sets sloth_service)."""
    if mentions(rule.expr, names, namespace):
        return True
    labels = rule.labels
    return any(str(labels.get(k)) in names for k in ("service", "sloth_service", "job", "app") if k in labels)


class MentionIndex:
    """Which of many expressions name a workload, answered per workload without rescanning every query.

    Built once from ``(expression, payload)`` pairs (a dashboard's queries, the repository's alerts); the
    same semantics as :func:`mentions`, plus ``extra`` exact values per item (an alert's own labels).
    """

    def __init__(self, items):
        self.payloads = []
        self.exact: dict[str, list[int]] = {}
        self.regex: list[tuple] = []
        self.prefixes: dict[str, list[int]] = {}
        self.ns_exact: dict[str, list[int]] = {}
        self.ns_regex: list[tuple] = []
        for order, item in enumerate(items):
            expr, payload = item[0], item[1]
            self.payloads.append(payload)
            for value in (item[2] if len(item) > 2 else ()):
                self.exact.setdefault(value, []).append(order)
            found = matchers(expr)
            identity = [m for m in found if m.label in IDENTITY_LABELS and m.op in ("=", "=~")
                        and m.value not in ("", ".*", ".+")]
            for m in identity:
                if "$" in m.value:
                    continue
                if m.op == "=":
                    self.exact.setdefault(m.value, []).append(order)
                else:
                    self.regex.append((m, order))
            for metric in metric_names(expr):
                for segment in metric.lower().split(":"):
                    parts = segment.split("_")
                    for i in range(1, len(parts)):
                        self.prefixes.setdefault("_".join(parts[:i]) + "_", []).append(order)
            if not [m for m in identity if not (m.label == "job" and m.value in EXPORTER_JOBS)]:
                for m in found:
                    if m.label == "namespace" and m.op == "=":
                        self.ns_exact.setdefault(m.value, []).append(order)
                    elif m.label == "namespace" and m.op == "=~" and "$" not in m.value:
                        self.ns_regex.append((m, order))

    def orders(self, names: set[str], namespace: str | None = None) -> set[int]:
        hits: set[int] = set()
        for name in names:
            hits.update(self.exact.get(name, ()))
            if len(name) >= 3:
                hits.update(self.prefixes.get(name.replace("-", "_").lower() + "_", ()))
        for m, order in self.regex:
            if order not in hits and any(m.selects(n) for n in names):
                hits.add(order)
        if namespace:
            hits.update(self.ns_exact.get(namespace, ()))
            hits.update(order for m, order in self.ns_regex if m.selects(namespace))
        return hits

    def first(self, names: set[str], namespace: str | None = None):
        """The payload of the first item that names the workload, or None."""
        hits = self.orders(names, namespace)
        return self.payloads[min(hits)] if hits else None


# -- SLOs -----------------------------------------------------------------------------------------------------

def _percent(value, fraction: bool = False) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        return None
    return number * 100 if fraction else number


def _loc(path: str, node: YMap, key: str, fallback: Location) -> Location:
    pos = node.kpos.get(key) if isinstance(node, YMap) else None
    return Location(path, pos[0], pos[1], pos[2]) if pos else fallback


def _alerting_state(alerting, camel: bool) -> str:
    alerting = mapping(alerting)
    if alerting is None:
        return "none"
    page = mapping(alerting.get("pageAlert" if camel else "page_alert")) or YMap()
    ticket = mapping(alerting.get("ticketAlert" if camel else "ticket_alert")) or YMap()
    page_off, ticket_off = page.get("disable") is True, ticket.get("disable") is True
    if page_off and ticket_off:
        return "disabled"
    return "page-disabled" if page_off else "enabled"


def _sli_queries(sli, camel: bool) -> list[str]:
    sli = mapping(sli) or YMap()
    events = mapping(sli.get("events")) or YMap()
    raw = mapping(sli.get("raw")) or YMap()
    keys = ("errorQuery", "totalQuery") if camel else ("error_query", "total_query")
    out = [events.get(k) for k in keys] + [raw.get("errorRatioQuery" if camel else "error_ratio_query")]
    return [q for q in out if isinstance(q, str)]


def _sloth_slos(root: YMap, path: str, obj, camel: bool) -> list[Slo]:
    found = []
    service = str(root.get("service") or "")
    fallback = obj.name_at() if obj else Location(path, root.line, root.col)
    for i, item in enumerate(sequence(root.get("slos"))):
        if not isinstance(item, YMap):
            continue
        name = str(item.get("name") or f"slos[{i}]")
        at = _loc(path, item, "objective", _loc(path, item, "name", fallback))
        found.append(Slo("sloth" if obj else "sloth-cli", name, service, _percent(item.get("objective")), at, path,
                         obj, _sli_queries(item.get("sli"), camel), _alerting_state(item.get("alerting"), camel),
                         key=f"slos[{i}].objective", alerting_at=_loc(path, item, "alerting", at)))
    return found


def _pyrra(obj) -> Slo:
    spec = obj.spec
    queries = []
    indicator = mapping(spec.get("indicator")) or YMap()
    for kind in indicator.values():
        kind = mapping(kind) or YMap()
        for name, part in kind.items():
            metric = dig(part, "metric") if isinstance(part, YMap) else (part if name == "metric" else None)
            if isinstance(metric, str):
                queries.append(metric)
    disabled = dig(spec, "alerting", "disabled") is True
    service = str(obj.labels.get("service") or obj.labels.get("app") or obj.name)
    return Slo("pyrra", obj.name, service, _percent(spec.get("target")), obj.at("spec", "target"), obj.path, obj,
               queries, "disabled" if disabled else "enabled", key="spec.target",
               alerting_at=obj.at("spec", "alerting", "disabled"))


def _openslo(obj) -> list[Slo]:
    spec = obj.spec
    found = []
    service = str(spec.get("service") or "")
    queries = _strings_under(spec.get("indicator")) + _strings_under(spec.get("objectives"))
    for i, item in enumerate(sequence(spec.get("objectives"))):
        if not isinstance(item, YMap):
            continue
        if "targetPercent" in item:
            value, key = _percent(item.get("targetPercent")), "targetPercent"
        else:
            value, key = _percent(item.get("target"), fraction=True), "target"
        at = obj.at("spec", "objectives", i, key)
        name = str(item.get("displayName") or obj.name)
        found.append(Slo("openslo", name, service, value, at, obj.path, obj, queries, "none",
                         key=f"spec.objectives[{i}].{key}"))
    if not found:
        found.append(Slo("openslo", obj.name, service, None, obj.at("spec", "objectives"), obj.path, obj,
                         queries, "none", key="spec.objectives"))
    return found


def _strings_under(node) -> list[str]:
    out = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, YMap):
            stack.extend(item.values())
        elif isinstance(item, YSeq):
            stack.extend(item)
        elif isinstance(item, str) and "{" in item:
            out.append(item)
    return out


def _collect_slos(index) -> list[Slo]:
    found: list[Slo] = []
    for obj in index.of_kind("PrometheusServiceLevel"):
        if obj.group == "sloth.slok.dev":
            found += _sloth_slos(obj.spec, obj.path, obj, camel=True)
    for obj in index.of_kind("ServiceLevelObjective"):
        if obj.group == "pyrra.dev":
            found.append(_pyrra(obj))
        elif obj.group == "sre.google.com":
            goal = _percent(obj.spec.get("goal"), fraction=True)
            service = str(obj.labels.get("service_name") or obj.name)
            found.append(Slo("slo-generator", obj.name, service, goal, obj.at("spec", "goal"), obj.path, obj,
                             _strings_under(obj.spec), "none", key="spec.goal"))
    for obj in index.of_kind("SLO"):
        if obj.api_version.startswith("openslo/"):
            found += _openslo(obj)
    for path, docs in sorted(index.documents.items()):
        for doc in docs:
            data = doc.data
            if not isinstance(data, YMap):
                continue
            if str(data.get("version", "")).startswith("prometheus/") and isinstance(data.get("slos"), YSeq):
                found += _sloth_slos(data, path, None, camel=False)
            elif "slo_target" in data and ("service_name" in data or "slo_name" in data):
                at = _loc(path, data, "slo_target", Location(path, data.line, data.col))
                found.append(Slo("slo-generator", str(data.get("slo_name") or path), str(data.get("service_name")),
                                 _percent(data.get("slo_target"), fraction=True), at, path, None,
                                 _strings_under(data), "none", key="slo_target"))
    return found


def slo_matches(slo: Slo, names: set[str], namespace: str) -> bool:
    """An SLO belongs to a workload when its service is one of the workload's names or its SLI names it."""
    if slo.service and slo.service in names:
        return True
    return any(mentions(q, names, namespace, with_namespace=False) for q in slo.queries)


# -- scraping (OBS001) ----------------------------------------------------------------------------------------

SERVICE_MONITOR_KINDS = {("monitoring.coreos.com", "ServiceMonitor"): "endpoints",
                         ("operator.victoriametrics.com", "VMServiceScrape"): "endpoints"}
POD_MONITOR_KINDS = {("monitoring.coreos.com", "PodMonitor"): "podMetricsEndpoints",
                     ("operator.victoriametrics.com", "VMPodScrape"): "podMetricsEndpoints",
                     ("monitoring.googleapis.com", "PodMonitoring"): "endpoints",
                     ("monitoring.googleapis.com", "ClusterPodMonitoring"): "endpoints"}
CLUSTER_WIDE_MONITORS = ("ClusterPodMonitoring",)


def watched_namespaces(monitor: K8sObject) -> frozenset[str] | None:
    """``spec.namespaceSelector``: absent → the monitor's own namespace; ``any: true`` → None (every one);
    ``matchNames``."""
    if monitor.kind in CLUSTER_WIDE_MONITORS:
        return None
    selector = mapping(monitor.spec.get("namespaceSelector"))
    if selector is None or not selector:
        return frozenset((monitor.namespace,))
    if selector.get("any") is True:
        return None
    names = selector.get("matchNames")
    if isinstance(names, list):
        return frozenset(str(n) for n in names)
    return frozenset((monitor.namespace,))


def namespace_selected(monitor: K8sObject, namespace: str) -> bool:
    """Whether the monitor's ``spec.namespaceSelector`` takes in ``namespace`` (see ``watched_namespaces``)."""
    spaces = watched_namespaces(monitor)
    return spaces is None or namespace in spaces


def own_namespace(monitor: K8sObject) -> frozenset[str]:
    """The monitor's own namespace only (how ``scrape_only`` pairs monitors with Services)."""
    return frozenset((monitor.namespace,))


class MonitorLookup:
    """Which monitors of a list watch a namespace and select a label set, answered once per distinct question.

    Rules ask per workload. With many copies of a namespace (one chart rendered per environment, a monorepo),
    asking every monitor about every Service of every workload grows with the cube of the copies; the answer
    depends only on the namespace and the labels, so it is computed once for each and kept. ``spaces(monitor)``
    gives the namespaces a monitor watches (None: every one); answers keep the order of ``monitors``.
    """

    def __init__(self, monitors, spaces=watched_namespaces):
        self.monitors = list(monitors)
        self._everywhere: list[tuple[int, K8sObject]] = []
        self._by_namespace: dict[str, list[tuple[int, K8sObject]]] = {}
        for order, monitor in enumerate(self.monitors):
            watched = spaces(monitor)
            if watched is None:
                self._everywhere.append((order, monitor))
            for namespace in watched or ():
                self._by_namespace.setdefault(namespace, []).append((order, monitor))
        self._watching: dict[str, list[K8sObject]] = {}
        self._selecting: dict[tuple, list[K8sObject]] = {}

    def watching(self, namespace: str) -> list[K8sObject]:
        """Monitors whose namespace selection takes in ``namespace``."""
        found = self._watching.get(namespace)
        if found is None:
            pairs = sorted(self._by_namespace.get(namespace, []) + self._everywhere, key=lambda pair: pair[0])
            found = self._watching[namespace] = [monitor for _, monitor in pairs]
        return found

    def selecting(self, namespace: str, labels) -> list[K8sObject]:
        """Monitors watching ``namespace`` whose ``spec.selector`` matches ``labels`` (a Service's or pods')."""
        key = (namespace, labels_key(labels))
        found = self._selecting.get(key)
        if found is None:
            found = self._selecting[key] = [m for m in self.watching(namespace)
                                            if label_selector_matches(m.spec.get("selector"), labels)]
        return found


def labels_key(labels) -> tuple:
    """Hashable form of a label mapping; by repr, so that ``1``, ``true`` and ``"1"`` stay apart."""
    return tuple(sorted((repr(k), repr(v)) for k, v in labels.items()))


def monitors(index, kinds: dict) -> list[K8sObject]:
    out = []
    for (group, kind) in kinds:
        out += [o for o in index.of_kind(kind) if o.group == group]
    return out


def prometheus_selects(index, monitor: K8sObject) -> tuple[bool | None, K8sObject | None]:
    """Whether some Prometheus CR in the repository picks this monitor up (None when no CR is rendered).

    Returns (verdict, the first Prometheus CR) so a finding can name it.
    """
    if monitor.group != "monitoring.coreos.com":
        return None, None
    crs = [p for p in index.of_kind("Prometheus", "PrometheusAgent") if p.group == "monitoring.coreos.com"]
    if not crs:
        crs = stack_prometheuses(index)
        if not crs:
            return None, None
    field_name = {"ServiceMonitor": "serviceMonitor", "PodMonitor": "podMonitor",
                  "PrometheusRule": "rule"}.get(monitor.kind)
    if field_name is None:
        return None, None
    for cr in crs:
        selector = cr.spec.get(f"{field_name}Selector")
        ns_selector = cr.spec.get(f"{field_name}NamespaceSelector")
        if isinstance(cr, StackPrometheus):
            if cr.selects(field_name, monitor.labels) and (
                    ns_selector is None or _namespace_labels_match(index, ns_selector, monitor.namespace)):
                return True, cr
            continue
        if not label_selector_matches(selector, monitor.labels):
            continue
        if ns_selector is None:
            if monitor.namespace != cr.namespace:
                continue
        elif not _namespace_labels_match(index, ns_selector, monitor.namespace):
            continue
        return True, cr
    return False, crs[0]


def _namespace_labels_match(index, selector, namespace: str) -> bool:
    selector = mapping(selector)
    if selector is None:
        return False
    if not selector:
        return True
    ns = next((n for n in index.all_objects if n.kind == "Namespace" and n.name == namespace), None)
    labels = dict(ns.labels) if ns is not None else {}
    labels.setdefault("kubernetes.io/metadata.name", namespace)
    return label_selector_matches(selector, labels)


def scrape_only(index, wl, service_monitors) -> bool:
    """Every port of every Service of the workload is a ServiceMonitor endpoint: an exporter, not a service
    users call (its Services exist to be scraped)."""
    services = index.services_selecting(wl)
    lookup = _own_namespace_lookup(index, service_monitors)
    for svc in services:
        scraped = {str(e.get("port")) for m in lookup.selecting(svc.namespace, svc.labels)
                   for e in sequence(m.spec.get("endpoints")) if mapping(e) is not None}
        ports = {str(p.get("name")) for p in sequence(svc.spec.get("ports")) if mapping(p) is not None}
        if not ports or not ports <= scraped:
            return False
    return bool(services)


def _own_namespace_lookup(index, service_monitors) -> MonitorLookup:
    """One lookup per monitor list per run: rules call ``scrape_only`` per workload with the same list.

    The cache holds the list itself, so its id names it for as long as the entry lives.
    """
    cache = index.__dict__.setdefault("_scrape_only_lookups", {})
    entry = cache.get(id(service_monitors))
    if entry is None:
        entry = cache[id(service_monitors)] = (service_monitors, MonitorLookup(service_monitors, own_namespace))
    return entry[1]


# -- the Prometheus that kube-prometheus-stack values describe (OBS001, OBS003) --------------------------------

STACK_CHART = "kube-prometheus-stack"
_SELECTOR_FIELDS = ("serviceMonitor", "podMonitor", "rule")


class StackPrometheus:
    """The Prometheus CR kube-prometheus-stack would render, read from its values in the repository.

    Quacks like the rendered CR for ``prometheus_selects``: ``spec`` holds ``<field>Selector`` and
    ``<field>NamespaceSelector`` as the chart renders them. With ``<field>SelectorNilUsesHelmValues`` (default
    true) and no selector of its own, the chart selects ``release: <release name>``; when the release name is
    not known (a chart dependency rendered under an unknown release) only the presence of a ``release`` label
    is required.
    """

    def __init__(self, where: str, at, release: str | None, prometheus_spec):
        self.where, self._at, self.release = where, at, release
        spec = prometheus_spec if isinstance(prometheus_spec, dict) else {}
        self.spec = {}
        self.wants = {}
        for name in _SELECTOR_FIELDS:
            selector = mapping(spec.get(f"{name}Selector"))
            nil_uses_helm = spec.get(f"{name}SelectorNilUsesHelmValues", True) is not False
            if selector:
                self.spec[f"{name}Selector"] = selector
                self.wants[name] = None
            elif nil_uses_helm:
                self.wants[name] = release or ""
            else:
                self.spec[f"{name}Selector"] = YMap()  # every monitor
                self.wants[name] = None
            ns_selector = mapping(spec.get(f"{name}NamespaceSelector"))
            if ns_selector:  # {} (the default) selects every namespace
                self.spec[f"{name}NamespaceSelector"] = ns_selector
        self.ref = f"the Prometheus of kube-prometheus-stack {f'release {release!r} ' if release else ''}({where})"

    def selects(self, field_name: str, labels) -> bool:
        wanted = self.wants.get(field_name)
        if wanted is None:
            return label_selector_matches(self.spec.get(f"{field_name}Selector"), labels)
        value = labels.get("release")
        return value is not None and (not wanted or str(value) == wanted)

    def hint(self, field_name: str) -> str:
        wanted = self.wants.get(field_name)
        if wanted is None:
            return f"the labels of {field_name}Selector in its values"
        return f"release: {wanted}" if wanted else "release: <release name>"

    def at(self, *segments):
        return self._at


def stack_prometheuses(index) -> list[StackPrometheus]:
    """kube-prometheus-stack installations whose values are in the repository (cached per index).

    Two forms: an Argo CD Application whose source chart is kube-prometheus-stack with inline values (none,
    ``helm.values`` or ``helm.valuesObject``; values files kept elsewhere leave it unknown), and a chart of the
    repository that depends on kube-prometheus-stack, whose ``values.yaml`` holds the subchart's block.
    """
    cached = index.__dict__.get("_stack_prometheuses")
    if cached is None:
        cached = index.__dict__["_stack_prometheuses"] = _application_stacks(index) + _dependency_stacks(index)
    return cached


def _prometheus_spec(values):
    """``prometheus.prometheusSpec`` of the chart's values ({} when unset), None when Prometheus is disabled."""
    values = mapping(values) or YMap()
    if dig(values, "prometheus", "enabled") is False:
        return None
    return mapping(dig(values, "prometheus", "prometheusSpec")) or YMap()


def _application_stacks(index) -> list[StackPrometheus]:

    found = []
    for app in applications(index):
        if app.obj.kind != "Application":
            continue  # an ApplicationSet template's release name is a template
        for source in app.sources():
            if source.chart.rsplit("/", 1)[-1] != STACK_CHART:
                continue
            data = mapping(dig(app.obj.data, *source.segments)) or YMap()
            helm = mapping(data.get("helm")) or YMap()
            if sequence(helm.get("valueFiles")) or sequence(helm.get("parameters")):
                continue  # values kept in files or set elsewhere: not readable here
            if mapping(helm.get("valuesObject")) is not None:
                values = helm["valuesObject"]
            elif isinstance(helm.get("values"), str):
                docs = load_stream(helm["values"]).documents
                values = mapping(docs[0].data) if docs else None
            else:
                values = YMap()
            spec = _prometheus_spec(values)
            if spec is None:
                continue
            release = str(helm.get("releaseName") or app.obj.name)
            at = app.at(*source.segments[len(app.spec_path):], "helm") if helm else app.at(
                *source.segments[len(app.spec_path):], "chart")
            found.append(StackPrometheus(app.obj.ref, at, release, spec))
    return found


def _dependency_stacks(index) -> list[StackPrometheus]:
    charts = {}
    config = index.settings.get("config")
    for entry in (config.section("inputs").get("charts") or []) if config is not None else []:
        if isinstance(entry, dict) and entry.get("path"):
            charts[str(entry["path"]).strip("/")] = entry.get("release")
    found = []
    for path, docs in sorted(index.documents.items()):
        base = path.rsplit("/", 1)[-1].lower()
        if base not in ("chart.yaml", "requirements.yaml"):
            continue
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        for doc in docs:
            for dep in sequence(dig(doc.data, "dependencies")):
                if mapping(dep) is None or str(dep.get("name")) != STACK_CHART:
                    continue
                values_path = f"{folder}/values.yaml" if folder else "values.yaml"
                if not index.repo.exists(values_path):
                    continue  # the values are not in the repository: keep the CR-only behaviour
                text = index.repo.text(values_path) or ""
                parsed = load_stream(text).documents
                values = parsed[0].data if parsed and isinstance(parsed[0].data, YMap) else YMap()
                key = str(dep.get("alias") or STACK_CHART)
                block = values.get(key)
                spec = _prometheus_spec(block)
                if spec is None or dep.get("condition") and _disabled(values, str(dep["condition"])):
                    continue
                if key in values.kpos:
                    at = Location(values_path, values.kpos[key][0], values.kpos[key][1])
                else:
                    at = Location(path, dep.kpos.get("name", (dep.line,))[0], 1)
                release = charts.get(folder)
                if folder in charts and not release:
                    release = str(dig(doc.data, "name") or "") or None  # the release defaults to the chart name
                found.append(StackPrometheus(values_path, at, release, spec))
    return found


def _disabled(values, condition: str) -> bool:
    node = values
    for part in condition.split(","):
        node = values
        for key in part.strip().split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, bool):
            return node is False
    return False
