"""Prometheus metrics exposed.

## What it does
Checks that every long-running workload is scraped: a ServiceMonitor (or VictoriaMetrics VMServiceScrape)
selects a Service of the workload and names one of that Service's ports, a PodMonitor (VMPodScrape, GKE
PodMonitoring) selects its pods and names a container port, or the `prometheus.io/scrape: "true"` annotation
convention or an OpenTelemetry Collector's Kubernetes discovery covers it. When a `Prometheus` CR is rendered,
the monitor must also carry the labels its `serviceMonitorSelector` / `podMonitorSelector` requires; without a
rendered CR, kube-prometheus-stack values in the repository (an Argo CD Application of the chart with inline
values, or a chart depending on it with its `values.yaml`) give the selector: by default `release: <release
name>`, unless `serviceMonitorSelectorNilUsesHelmValues: false` or an explicit selector says otherwise. A monitor
that selects no rendered Service or pod of its namespaces gets a `note`.

## Why it matters
A service nobody scrapes has no metrics: no dashboard, no alert and no SLO can see it fail. A monitor with
a mistyped port name or a missing `release` label looks right in review and scrapes nothing.

## How to fix
Name the metrics port on the Service (`ports[].name: metrics`) and add a `monitoring.coreos.com/v1`
ServiceMonitor whose `spec.selector` matches the Service labels and whose `endpoints[].port` is that name.
Give it the labels your Prometheus selects (kube-prometheus-stack: `release: <release name>`).

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          ports: [{name: http, containerPort: 8080}]
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: api, namespace: shop}
spec:
  selector:
    matchLabels: {app: api}
  endpoints: [{port: http}]
```
"""
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.monitoring import (POD_MONITOR_KINDS, SERVICE_MONITOR_KINDS, MonitorLookup, labels_key,
                                        monitors, prometheus_selects)
from readylint.model.objects import dig, key_path, mapping, sequence
from readylint.model.selectors import label_selector_matches
from readylint.registry import rule

SCRAPE = "prometheus.io/scrape"


def _service_ports(svc):
    names, targets = set(), set()
    for port in sequence(svc.spec.get("ports")):
        if mapping(port) is None:
            continue
        if port.get("name") is not None:
            names.add(str(port["name"]))
        targets.add(str(port.get("targetPort", port.get("port"))))
        targets.add(str(port.get("port")))
    return names, targets


def _container_ports(wl):
    found = set()
    for container in wl.containers():
        for port in sequence(container.data.get("ports")):
            if mapping(port) is not None:
                found.update(str(port[k]) for k in ("name", "containerPort") if port.get(k) is not None)
    return found


def _endpoint_hits(endpoint, allowed):
    """True when a monitor endpoint names one of the ports (no port given: every port is scraped).

    ``allowed`` maps the endpoint key (``port``, ``targetPort``, ``portNumber``) to the values it may take.
    """
    keys = [k for k in allowed if endpoint.get(k) is not None]
    if not keys:
        return True
    return any(str(endpoint[k]) in allowed[k] for k in keys)


def _labels_at(obj):
    return obj.at("metadata", "labels") if "labels" in obj.metadata else obj.name_at()


def _selection_problem(index, monitor):
    ok, cr = prometheus_selects(index, monitor)
    if ok is False:
        field = {"ServiceMonitor": "serviceMonitorSelector", "PodMonitor": "podMonitorSelector"}[monitor.kind]
        wanted = cr.hint(field[:-len("Selector")]) if hasattr(cr, "hint") else \
            "the labels that selector requires (kube-prometheus-stack: release: <release>)"
        whose = "its" if hasattr(cr, "hint") else "the CR's"
        return (f"{monitor.ref} is not picked up by {cr.ref}: its labels or namespace do not match {whose} "
                f"{field}. Add {wanted}.",
                _labels_at(monitor), "metadata.labels", (Related(cr.at("spec", field),
                                                                      f"{cr.ref} selects monitors here."),))
    return None


class Monitors:
    """The run's monitors, indexed so that judging a workload costs what it finds, not monitors x Services.

    Which monitors watch a namespace and select a label set (``MonitorLookup``), a monitor's endpoints and
    Prometheus verdict, and a Service's ports are each worked out once per run: with many copies of a namespace
    they would otherwise be recomputed for every workload.
    """

    def __init__(self, index, service_monitors, pod_monitors):
        self.index = index
        self.service = MonitorLookup(service_monitors)
        self.pod = MonitorLookup(pod_monitors)
        self.first_in_namespace = {}  # where "nothing selects it" points
        for monitor in service_monitors + pod_monitors:
            self.first_in_namespace.setdefault(monitor.namespace, monitor)
        self._problems, self._endpoints, self._ports, self._scrapers = {}, {}, {}, {}

    def scrapers(self, svc):
        """ids of the service monitors that watch the Service's namespace and select it."""
        found = self._scrapers.get(id(svc))
        if found is None:
            found = self._scrapers[id(svc)] = {id(m) for m in self.service.selecting(svc.namespace, svc.labels)}
        return found

    def problem(self, monitor):
        """``_selection_problem`` of the monitor, asked once."""
        if id(monitor) not in self._problems:
            self._problems[id(monitor)] = _selection_problem(self.index, monitor)
        return self._problems[id(monitor)]

    def endpoints(self, monitor, field):
        found = self._endpoints.get(id(monitor))
        if found is None:
            found = self._endpoints[id(monitor)] = [e for e in sequence(monitor.spec.get(field))
                                                    if mapping(e) is not None]
        return found

    def service_ports(self, svc):
        found = self._ports.get(id(svc))
        if found is None:
            found = self._ports[id(svc)] = _service_ports(svc)
        return found


def judge(index, wl, opts, found: Monitors, collectors):
    subject = wl.subject()
    services = index.services_selecting(wl)
    passes, problems = [], []
    local = [s for s in services if s.namespace == wl.namespace]
    chosen = {id(s): found.scrapers(s) for s in local}
    hit = set().union(*chosen.values())
    for monitor in found.service.watching(wl.namespace):
        if id(monitor) not in hit:
            continue
        selected = [s for s in local if id(monitor) in chosen[id(s)]]
        endpoints = found.endpoints(monitor, "endpoints")
        for svc in selected:
            names, targets = found.service_ports(svc)
            if any(_endpoint_hits(e, {"port": names, "targetPort": targets}) for e in endpoints):
                problem = found.problem(monitor)
                (problems.append(problem) if problem else passes.append(f"{monitor.ref} scrapes {svc.ref}"))
            else:
                wanted = ", ".join(sorted(str(e.get("port", e.get("targetPort"))) for e in endpoints)) or "none"
                ports = ", ".join(sorted(names)) or "no named ports"
                problems.append((f"{monitor.ref} selects {svc.ref} but none of its endpoint ports ({wanted}) is a "
                                 f"port of that Service ({ports}), so {wl.ref} is never scraped. Use the "
                                 f"Service port's name in endpoints[].port.",
                                 monitor.at("spec", "endpoints", 0, "port"), "spec.endpoints[0].port",
                                 (Related(svc.at("spec", "ports"), f"{svc.ref} declares its ports here."),)))
    container_ports = None
    for monitor in found.pod.selecting(wl.namespace, wl.labels):
        field = POD_MONITOR_KINDS[(monitor.group, monitor.kind)]
        endpoints = found.endpoints(monitor, field)
        container_ports = _container_ports(wl) if container_ports is None else container_ports
        allowed = {"port": container_ports, "targetPort": container_ports, "portNumber": container_ports}
        if any(_endpoint_hits(e, allowed) for e in endpoints):
            problem = found.problem(monitor) if monitor.kind == "PodMonitor" else None
            (problems.append(problem) if problem else passes.append(f"{monitor.ref} scrapes its pods"))
        else:
            wanted = ", ".join(sorted(str(e.get("port", e.get("portNumber"))) for e in endpoints)) or "none"
            problems.append((f"{monitor.ref} selects the pods of {wl.ref} but none of its ports ({wanted}) is a "
                             f"container port ({', '.join(sorted(container_ports)) or 'none declared'}), so "
                             f"nothing is scraped. Name the container port and use that name.",
                             monitor.at("spec", field, 0, "port"), f"spec.{field}[0].port",
                             (Related(wl.obj.name_at(), f"{wl.ref} is one of the workloads it selects."),)))
    if not passes:
        note = _annotation_or_collector(wl, services, collectors)
        if note:
            passes.append(note)
    for message, at, path, related in problems:
        yield subject.fail(message, at=at, key_path=path, related=related)
    if passes and not problems:
        yield subject.passed("; ".join(passes))
    elif not passes and not problems:
        meta_path = wl.template_meta_path
        nearest = found.first_in_namespace.get(wl.namespace)
        related = (Related(nearest.at("spec", "selector"), f"{nearest.ref} does not select it."),) if nearest else ()
        yield subject.fail(f"No ServiceMonitor, PodMonitor or scrape annotation covers {wl.ref}, so Prometheus "
                           f"never scrapes its metrics. Add a ServiceMonitor for its Service's metrics port.",
                           at=wl.at(*meta_path), key_path=key_path(*meta_path), related=related)


def _annotation_or_collector(wl, services, collectors):
    if str(wl.template_annotations.get(SCRAPE, "")).lower() == "true":
        return (f"pod annotation {SCRAPE}: \"true\" (works only with a scrape config written for it; prefer a "
                f"PodMonitor)")
    for svc in services:
        if str(svc.annotations.get(SCRAPE, "")).lower() == "true":
            return f"{svc.ref} annotation {SCRAPE}: \"true\" (works only with a scrape config written for it)"
    if collectors:
        return (f"{collectors[0].ref} discovers Kubernetes targets with its prometheus receiver (confirm its "
                f"relabel rules keep these pods)")
    return None


def _collectors(index):
    found = []
    for obj in index.of_kind("OpenTelemetryCollector"):
        config = obj.spec.get("config")
        text = config if isinstance(config, str) else repr(config)
        if "kubernetes_sd_configs" in text and "prometheus" in text:
            found.append(obj)
    return found


def _idle_monitors(index, service_monitors, pod_monitors):
    """Monitors that select no rendered Service or pod in namespaces where objects are rendered.

    Each namespace's label sets are gathered once, without repeats: copies of a chart share them.
    """
    pods_by_ns, services_by_ns = {}, {}
    for wl in index.workloads:
        pods_by_ns.setdefault(wl.namespace, {}).setdefault(labels_key(wl.labels), wl.labels)
    for svc in index.of_kind("Service"):
        services_by_ns.setdefault(svc.namespace, {}).setdefault(labels_key(svc.labels), svc.labels)
    rendered = {o.namespace for o in index.objects if o.namespace}
    for monitor in service_monitors + pod_monitors:
        if index.is_excluded(monitor):
            continue
        is_service = (monitor.group, monitor.kind) in SERVICE_MONITOR_KINDS
        spaces = _namespaces(monitor, rendered)
        by_ns = services_by_ns if is_service else pods_by_ns
        candidates = [labels for ns in spaces for labels in by_ns.get(ns, {}).values()]
        if not candidates:
            continue  # the targets live in namespaces this repository does not render
        if not any(label_selector_matches(monitor.spec.get("selector"), labels) for labels in candidates):
            what = "Service" if is_service else "pod"
            yield monitor.subject().fail(f"{monitor.ref} selects no rendered {what} in "
                                         f"{', '.join(sorted(spaces))}; check its selector against the "
                                         f"{what} labels.", at=monitor.at("spec", "selector"),
                                         key_path="spec.selector", level="note")


def _namespaces(monitor, rendered):
    selector = mapping(monitor.spec.get("namespaceSelector"))
    if monitor.kind == "ClusterPodMonitoring" or (selector and selector.get("any") is True):
        return rendered
    names = dig(selector, "matchNames") if selector else None
    if isinstance(names, list):
        return {str(n) for n in names} & rendered
    return {monitor.namespace}


@rule(code="OBS001", slug="prometheus-metrics", scope="workload", severity="warning", confidence="high",
      evidence="M")
def check(index, opts):
    service_monitors = monitors(index, SERVICE_MONITOR_KINDS)
    pod_monitors = monitors(index, POD_MONITOR_KINDS)
    collectors = _collectors(index)
    found = Monitors(index, service_monitors, pod_monitors)
    for wl in index.workloads_for(long_running=None):
        if not wl.long_running:
            yield wl.subject().not_applicable(NOT_RELEVANT, f"{wl.kind}: batch pods push metrics through a "
                                                            "Pushgateway, if at all")
            continue
        yield from judge(index, wl, opts, found, collectors)
    yield from _idle_monitors(index, service_monitors, pod_monitors)
