"""Monitoring dashboards created.

## What it does
Checks that every long-running workload appears on some dashboard of the repository (the set OBS002 accepts)
and that those dashboards together show its golden signals. A dashboard covers a workload when a query names
it (a `job`, `service`, `container`, `app`, `pod` or `deployment` matcher, a metric it exports such as
`grafana_http_...`) or when it is templated (`$namespace`, `$workload`) with a variable over kube-state-metrics
or cAdvisor series whose query can select the workload. Services (selected by a Service) need traffic, errors, latency and saturation (RED plus CPU and
memory); other workloads, and exporters whose Services exist only to be scraped, need saturation and errors
(USE). An alert whose `dashboard_url` annotation links to a Grafana uid (`/d/<uid>/…`) that no dashboard of the
repository has gets a `note` (not judged when dashboards come from jsonnet or remote sources, or from elsewhere).

## Why it matters
During an incident the first question is "is it this service?". Without a dashboard that shows its request
rate, error ratio, latency and resource use, responders guess from raw queries while users wait.

## How to fix
Add a dashboard (JSON in a ConfigMap labelled `grafana_dashboard: "1"`) with panels for request rate
(`rate(http_requests_total{job="api"}[5m])`), error ratio (5xx), latency (`histogram_quantile`) and CPU/memory
of the workload, or reuse a templated workload dashboard and add the RED panels.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-dashboard
  namespace: shop
  labels: {grafana_dashboard: "1"}
data:
  api.json: |
    {"title": "API", "uid": "api", "panels": [
      {"title": "CPU", "targets": [{"expr": "sum(rate(container_cpu_usage_seconds_total{container=\\"api\\"}[5m]))"}]},
      {"title": "Errors", "targets": [{"expr": "sum(rate(api_errors_total{app=\\"api\\"}[5m]))"}]}]}
```
"""
import re

from readylint import lazy_re
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT
from readylint.model.dashboards import dashboards, uid_of_url
from readylint.model.monitoring import (IDENTITY_LABELS, SERVICE_MONITOR_KINDS, MentionIndex, alerts, monitors,
                                        scrape_only, workload_names)
from readylint.model.promql import matchers
from readylint.registry import rule

SIGNALS = {
    "traffic": lazy_re.compile(r"\b(rate|irate|increase)\s*\([^)]*(request|http|grpc|rpc|_count|calls|quer|messages|"
                          r"operations|_ops|throughput)", re.IGNORECASE),
    "errors": lazy_re.compile(r"5\.\.|5xx|\berror|errors|fail|grpc_code\s*!=|status!?~?=\"?5|reject|oomkill|"
                         r"by\s*\([^)]*\b(status|status_code|code|grpc_code)\b|dropped|drops|restarts|oom",
                         re.IGNORECASE),
    "latency": lazy_re.compile(r"histogram_quantile|_duration|latency|_seconds_bucket|quantile\s*=", re.IGNORECASE),
    "saturation": lazy_re.compile(r"cpu|memory|_bytes|saturation|queue|throttl|utili[sz]", re.IGNORECASE),
}
RED = ("traffic", "errors", "latency", "saturation")
USE = ("saturation", "errors")
TEMPLATE_LABELS = IDENTITY_LABELS | {"namespace"}
# Metrics that exist for every workload (kube-state-metrics, cAdvisor and the kubernetes-mixin recordings).
GENERIC_SOURCES = lazy_re.compile(r"\b(kube_[a-z_]+|container_[a-z_]+|namespace_workload_pod[\w:]*|"
                             r"node_namespace_pod_container[\w:]*|up)\b")


def _signals(queries) -> frozenset:
    return frozenset(name for name, pattern in SIGNALS.items() if any(pattern.search(q) for q in queries))


class _Board:
    """One dashboard as OPS003 reads it, analysed once: which workloads it names, its template variables."""

    def __init__(self, board):
        self.board = board
        queries = board.queries()
        self.mentions = MentionIndex((q, None) for q in queries)
        self.signals = _signals(queries)
        self.variables = []  # (name, literal matchers of its query) of variables over generic series
        for var in board.variables():
            name = str(var.get("name") or "")
            query = var.get("query")
            text = query.get("query") if isinstance(query, dict) else query
            text = text if isinstance(text, str) else str(var.get("definition") or "")
            target = re.search(r"label_values\s*\((?:.*,)?\s*([A-Za-z_]\w*)\s*\)\s*$", text.strip())
            label = target.group(1) if target else name
            if (label in TEMPLATE_LABELS or name in TEMPLATE_LABELS) and GENERIC_SOURCES.search(text):
                self.variables.append((name, [m for m in matchers(text) if "$" not in m.value]))
        self._templated = {}
        self._queries = queries

    def template_signals(self, names, namespace):
        """Signals of the generic, templated queries that can show this workload, or None.

        A variable over workload labels counts when its own query reads kube-state-metrics or cAdvisor series
        without excluding the workload; only queries that use such a variable over such series count (an
        application dashboard with a ``$namespace`` selector shows that application, not its neighbours).
        """
        usable = tuple(name for name, literal in self.variables if not any(
            (m.label == "namespace" and m.op in ("=", "=~") and m.value != ".*" and not m.selects(namespace))
            or (m.label in IDENTITY_LABELS and m.op == "=" and m.value not in names) for m in literal))
        if not usable:
            return None
        if usable not in self._templated:
            refs = tuple(f"${n}" for n in usable) + tuple(f"${{{n}" for n in usable)
            chosen = [q for q in self._queries if any(r in q for r in refs) and GENERIC_SOURCES.search(q)]
            self._templated[usable] = _signals(chosen) if chosen else None
        return self._templated[usable]

    def shows(self, names, namespace):
        """(names it explicitly, the signals it shows for the workload), or (False, None) when it does not."""
        if self.mentions.orders(names, namespace):
            return True, self.signals
        return False, self.template_signals(names, namespace)


@rule(code="OPS003", slug="monitoring-dashboards", scope="workload", severity="warning", confidence="medium",
      evidence="M, R", options={"sidecar_label": "grafana_dashboard", "sidecar_value": "1"})
def check(index, opts):
    external = (index.settings.get("platform") or {}).get("dashboards") == "external"
    found = dashboards(index, str(opts["sidecar_label"]), str(opts["sidecar_value"]))
    boards = [b for b in found.items if b.inspectable and not b.error]
    opaque = [b for b in found.items if not b.inspectable and not b.error]
    service_monitors = monitors(index, SERVICE_MONITOR_KINDS)
    views = [_Board(b) for b in boards]
    for wl in index.workloads_for(long_running=None):
        subject = wl.subject()
        if not wl.long_running:
            yield subject.not_applicable(NOT_RELEVANT, f"{wl.kind}: batch pods are not watched on dashboards")
            continue
        names = workload_names(index, wl)
        shown = [(view, *view.shows(names, wl.namespace)) for view in views]
        covering = [(view, named) for view, named, signals in shown if signals is not None]
        if not covering:
            if external or opaque:
                where = "platform.dashboards: external" if external else f"{opaque[0].name} cannot be inspected"
                yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"dashboards not in readable form ({where})")
                continue
            yield subject.fail(f"No dashboard of the repository shows {wl.ref}: no panel query or template "
                               f"variable selects it. Add a dashboard with its request rate, errors, latency and "
                               f"CPU/memory.", at=wl.obj.name_at(), key_path="metadata.name")
            continue
        present = frozenset().union(*(signals for _, _, signals in shown if signals is not None))
        serving = index.is_serving(wl) and not scrape_only(index, wl, service_monitors)
        wanted = RED if serving else USE
        missing = [signal for signal in wanted if signal not in present]
        if not missing:
            yield subject.passed(f"{', '.join(wanted)} on {covering[0][0].board.name}")
            continue
        specific = next((view for view, named in covering if named), covering[0][0]).board
        kind = "RED" if serving else "USE"
        yield subject.fail(f"The dashboards showing {wl.ref} lack {', '.join(missing)} ({kind} signals); add "
                           f"panels for {' and '.join(missing)} so responders see them in one place.",
                           at=specific.at, key_path=f"dashboards#{'+'.join(missing)}")
    if not external:
        yield from _dashboard_links(index, found)


LINK_ANNOTATIONS = ("dashboard_url", "dashboard")


def _dashboard_links(index, found):
    """A note per alert whose ``dashboard_url`` names a uid no dashboard of the repository has.

    Judged only when the repository delivers dashboards: links into a Grafana managed elsewhere cannot be
    resolved here, and dashboards built from jsonnet or remote sources may define any uid.
    """
    if not found.items and not found.unloaded:
        return
    for alert in alerts(index):
        for key in LINK_ANNOTATIONS:
            uid = uid_of_url(alert.annotations.get(key))
            if uid is None or found.defines_uid(uid) is not False:
                continue
            yield alert.subject().fail(f"Alert {alert.name} in {alert.owner} links {key} to dashboard uid {uid!r}, "
                                       f"but no dashboard of the repository has that uid, so responders land on "
                                       f"'dashboard not found'. Point it at an existing dashboard uid.",
                                       at=alert.at(f"annotations.{key}"),
                                       key_path=f"{alert.group}/{alert.name}.annotations.{key}", level="note")
