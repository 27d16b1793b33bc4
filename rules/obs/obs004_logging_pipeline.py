"""Logging pipeline established.

## What it does
Checks that the repository deploys a log collector (a DaemonSet running fluent-bit, fluentd, Vector,
Promtail, Grafana Alloy, Filebeat, the Datadog agent or an OpenTelemetry Collector with a `filelog`
receiver; Logging operator or Fluent Operator objects), or that `platform.logging: provided` says the
platform ships logs. Logging operator Flows must name Outputs that exist. Per workload it checks that
logs go to stdout: a container writing to a log folder on an `emptyDir` needs a sidecar that ships it,
and with the Logging operator some Flow must select the workload's pods.

## Why it matters
Container logs on a node are rotated away within hours and vanish with the node. Without a collector the
logs of an incident are gone by the time someone looks; files written inside the pod are never collected.

## How to fix
Deploy a collector DaemonSet (or declare `platform.logging: provided` when the cluster ships logs, e.g. GKE
Cloud Logging), log to stdout/stderr, and give every Flow an existing Output.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
```
```yaml pass
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluent-bit
  namespace: logging
spec:
  selector:
    matchLabels: {app: fluent-bit}
  template:
    metadata:
      labels: {app: fluent-bit}
    spec:
      containers:
        - name: fluent-bit
          image: cr.fluentbit.io/fluent/fluent-bit:3.1.4
```
"""
from readylint.findings import NOT_RELEVANT, Location
from readylint.model.objects import mapping, sequence
from readylint.model.selectors import matches_labels
from readylint.model.telemetry import LOG_COLLECTOR_IMAGES, LOGGING_OPERATOR_GROUPS, log_collectors
from readylint.registry import rule

FLOW_KINDS, OUTPUT_KINDS = ("Flow", "ClusterFlow"), ("Output", "ClusterOutput")


def _operator(index, kinds):
    return [o for o in index.of_kind(*kinds) if o.group in LOGGING_OPERATOR_GROUPS]


def repository(index):
    subject = index.repo.subject("OBS004", "the repository's logging pipeline")
    if (index.settings.get("platform") or {}).get("logging") == "provided":
        yield subject.passed("claim: platform.logging provided")
        return
    collectors = log_collectors(index)
    local = {(o.namespace, o.name) for o in _operator(index, ("Output",))}
    cluster = {o.name for o in _operator(index, ("ClusterOutput",))}
    broken = []
    for flow in _operator(index, FLOW_KINDS):
        for field, kind in (("localOutputRefs", "Output"), ("outputRefs", "Output"),
                            ("globalOutputRefs", "ClusterOutput")):
            for i, name in enumerate(sequence(flow.spec.get(field))):
                found = (flow.namespace, str(name)) in local if kind == "Output" else str(name) in cluster
                if not found:
                    broken.append((flow, field, i, kind, name))
    for flow, field, i, kind, name in broken:
        yield subject.fail(f"{flow.ref} sends logs to {kind} '{name}', which is not in the repository, so "
                           f"those logs are dropped.", at=flow.at("spec", field, i),
                           key_path=f"{flow.kind}/{flow.name}.spec.{field}[{i}]")
    if not collectors:
        yield subject.fail("No log collector is deployed from the repository, so container logs vanish with "
                           "their node; deploy one (fluent-bit, Vector, Alloy...) or set platform.logging: "
                           "provided.", at=_anchor(index), key_path="logging.collector")
    elif not broken:
        yield subject.passed(collectors[0][1])


def _anchor(index):
    """rules.md OBS004: the repository part is reported at Chart.yaml, else README.md."""
    chart = index.repo.actual("Chart.yaml")
    return Location(chart, 1, 1) if chart else index.repo.anchor()


def _flows_select(index, wl) -> bool:
    for flow in _operator(index, FLOW_KINDS):
        if flow.kind == "Flow" and flow.namespace != wl.namespace:
            continue
        matches = [m for m in sequence(flow.spec.get("match")) if mapping(m) is not None]
        if not matches:
            selectors = mapping(flow.spec.get("selectors"))  # legacy form
            if selectors is None or matches_labels(selectors, wl.labels):
                return True
        for m in matches:
            select = mapping(m.get("select"))
            if select is not None and matches_labels(mapping(select.get("labels")) or {}, wl.labels):
                return True
    return False


def workload(index, wl, operator_present):
    subject = wl.subject()
    volumes = {str(v.get("name")): v for v in sequence(wl.pod_spec.get("volumes")) if mapping(v) is not None}
    containers = wl.containers()
    for c in containers:
        if LOG_COLLECTOR_IMAGES.search(str(c.data.get("image") or "").lower()):
            continue  # the shipper reads the files, it does not lose them
        for i, mount in enumerate(sequence(c.data.get("volumeMounts"))):
            if mapping(mount) is None or "log" not in str(mount.get("mountPath", "")).lower():
                continue
            volume = volumes.get(str(mount.get("name")))
            if volume is None or "emptyDir" not in volume:
                continue
            shippers = [o for o in containers if o is not c and LOG_COLLECTOR_IMAGES.search(
                str(o.data.get("image") or "").lower()) and any(
                mapping(m) is not None and m.get("name") == mount.get("name")
                for m in sequence(o.data.get("volumeMounts")))]
            if not shippers:
                yield subject.fail(f"{c.kind_word} '{c.name}' of {wl.ref} writes logs to {mount.get('mountPath')} "
                                   f"on an emptyDir that no sidecar ships, so they are lost with the pod; log to "
                                   f"stdout.", at=wl.at(*c.path, "volumeMounts", i),
                                   key_path=f"containers[{c.name}].volumeMounts[{i}]")
                return
    if operator_present and not _flows_select(index, wl):
        yield subject.fail(f"No Logging operator Flow selects the pods of {wl.ref}, so their logs are not "
                           f"forwarded; add a Flow whose match selects their labels.",
                           at=wl.at(*wl.template_meta_path, "labels"), key_path="flow")
        return
    yield subject.passed()


@rule(code="OBS004", slug="logging-pipeline", scope="repository", severity="warning", confidence="medium",
      evidence="M, R")
def check(index, opts):
    yield from repository(index)
    operator_present = bool(_operator(index, FLOW_KINDS + ("Logging",)))
    for wl in index.workloads_for(long_running=None):
        if not wl.long_running:
            yield wl.subject().not_applicable(NOT_RELEVANT, "a batch workload (its logs still need the collector)")
        else:
            yield from workload(index, wl, operator_present)
