"""Dependency health checks implemented.

## What it does
For each long-running workload with discovered dependencies (env URLs and hosts, see rules.md 0.10),
checks that readiness can reflect them (a readiness endpoint distinct from liveness, such as `/ready` or
`/actuator/health/readiness`) while liveness stays dependency-free: not the readiness endpoint, not an
aggregate such as `/actuator/health` or `/health` next to a `/ready` endpoint. A blackbox `Probe` object
that checks the dependency also counts. Path names are conventions: confirm what the endpoints check.

## Why it matters
A liveness probe that checks the database restarts every replica when the database has a hiccup, turning
a dependency blip into a full outage. A readiness probe that ignores dependencies keeps sending traffic to
pods that can only fail.

## How to fix
Serve a dependency-aware readiness endpoint and a shallow liveness endpoint (Spring Boot:
`/actuator/health/readiness` and `/actuator/health/liveness`), or use `tcpSocket` for liveness.

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
          env:
            - name: DATABASE_URL
              value: postgres://db.example.com:5432/api
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          livenessProbe:
            httpGet: {path: /ready, port: 8080}
            periodSeconds: 20
```
```yaml pass
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
          env:
            - name: DATABASE_URL
              value: postgres://db.example.com:5432/api
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          livenessProbe:
            httpGet: {path: /livez, port: 8080}
```
"""
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.dependencies import workload_dependencies
from readylint.model.objects import dig, mapping, sequence
from readylint.model.probes import same_probe
from readylint.registry import rule

AGGREGATES = ("/actuator/health", "/health")
READY_PATHS = ("/ready", "/readyz", "/readiness", "/health/ready", "/healthz/ready", "/actuator/health/readiness")


def endpoint(probe):
    """What a probe calls: (handler, port, path/service/command), or None."""
    if mapping(probe) is None:
        return None
    for handler, detail in (("httpGet", "path"), ("grpc", "service"), ("tcpSocket", None), ("exec", "command")):
        block = mapping(probe.get(handler))
        if block is not None:
            value = block.get(detail) if detail else None
            if handler == "httpGet":
                value = "/" + str(value or "/").strip("/").split("?")[0]
            return handler, str(block.get("port")), str(value)
    return None


def _probe_checked(index, deps) -> bool:
    """A blackbox-exporter Probe lists one of the dependency hosts among its static targets."""
    hosts = {d.host for d in deps if d.host}
    for probe in index.of_kind("Probe"):
        if probe.group != "monitoring.coreos.com":
            continue
        targets = " ".join(str(t) for t in sequence(dig(probe.spec, "targets", "staticConfig", "static")))
        if any(h in targets for h in hosts):
            return True
    return False


def judge(index, wl, deps):
    subject = wl.subject()
    names = ", ".join(sorted({d.label for d in deps})[:3])
    confirm = "; confirm what the endpoints check."
    for c in wl.containers():
        if not c.long_running:
            continue
        ready, live = mapping(c.data.get("readinessProbe")), mapping(c.data.get("livenessProbe"))
        if same_probe(ready, live):
            return subject.not_applicable(NOT_RELEVANT, "identical readiness and liveness probes: HA006 reports it")
        r, lv = endpoint(ready), endpoint(live)
        if lv is None or lv[0] == "tcpSocket":
            continue
        path = dig(live, "httpGet", "path")
        at = c.path + ("livenessProbe", "httpGet", "path") if path is not None else c.path + ("livenessProbe",)
        if r is not None and lv == r:
            return subject.fail(f"{c.kind_word} '{c.name}' of {wl.ref} probes one endpoint for readiness and "
                                f"liveness: either readiness ignores its dependencies ({names}) or their failure "
                                f"restarts every replica. Split a shallow liveness endpoint from a dependency-aware "
                                f"readiness one{confirm}", at=wl.at(*at),
                                key_path=f"containers[{c.name}].livenessProbe",
                                related=(Related(wl.at(*c.path, "readinessProbe"), "the readiness probe"),))
        aggregate = lv[0] == "httpGet" and (lv[2] == AGGREGATES[0] or (
            lv[2] == AGGREGATES[1] and r is not None and r[2] in READY_PATHS))
        if aggregate:
            return subject.fail(f"{c.kind_word} '{c.name}' of {wl.ref} points liveness at the aggregate {lv[2]} "
                                f"endpoint, which includes dependency checks ({names}): a dependency outage restarts "
                                f"every replica. Use a shallow liveness endpoint{confirm}", at=wl.at(*at),
                                key_path=f"containers[{c.name}].livenessProbe")
    aware = [c for c in wl.containers() if c.long_running and (endpoint(mapping(c.data.get("readinessProbe")))
                                                              or ("", "", ""))[0] in ("httpGet", "grpc", "exec")]
    if aware or _probe_checked(index, deps):
        return subject.passed("readiness may reflect dependencies" + confirm)
    if not index.is_serving(wl):
        return subject.passed("liveness is dependency-free; no Service routes by its readiness")
    main = next((c for c in wl.containers() if c.long_running), None)
    at = wl.at(*main.path, "readinessProbe") if main else wl.obj.name_at()
    return subject.fail(f"Nothing checks the dependencies of {wl.ref} ({names}): its readiness probe cannot see them "
                        f"and no blackbox Probe watches them; add a dependency-aware readiness endpoint{confirm}",
                        at=at, key_path="readinessProbe")


@rule(code="DEP002", slug="dependency-health-checks", scope="workload", severity="warning", confidence="low",
      evidence="M, R", options={"infrastructure_hosts": ""})
def check(index, opts):
    infra = tuple(h.strip() for h in opts["infrastructure_hosts"].split(",") if h.strip())
    for wl in index.workloads_for(long_running=None):
        if not wl.long_running:
            yield wl.subject().not_applicable(NOT_RELEVANT, "a batch workload")
            continue
        deps = workload_dependencies(index, wl, infra)
        if not deps:
            yield wl.subject().not_applicable(NOT_RELEVANT, "no outbound dependency discovered")
        else:
            yield judge(index, wl, deps)
