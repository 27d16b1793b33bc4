"""Readiness/liveness probes implemented.

## What it does
Checks every long-running container (native sidecars included, ordinary init containers skipped) of
Deployments, StatefulSets, DaemonSets, ReplicaSets and Argo Rollouts: a container that receives Service
traffic needs a `readinessProbe` (`error`); every container needs a `livenessProbe` (`warning`); the two
must not be identical (`warning`); and a probe may only name ports the container declares (`error`).

## Why it matters
Without readiness a Service sends traffic to pods that are still starting or are overloaded; without
liveness a hung process is never restarted. Identical probes restart pods that are only busy, and a
probe on an undeclared named port is rejected or never succeeds.

## How to fix
Add a cheap `readinessProbe` that reports whether the container can serve now, and a `livenessProbe`
that only fails when the process is stuck (a different endpoint or a higher `failureThreshold`).

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  template:
    spec:
      containers:
        - name: worker
          image: registry.example.com/worker:1.0.0
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  template:
    spec:
      containers:
        - name: worker
          image: registry.example.com/worker:1.0.0
          ports:
            - {name: http, containerPort: 8080}
          readinessProbe:
            httpGet: {path: /ready, port: http}
          livenessProbe:
            httpGet: {path: /healthz, port: http}
```
"""
from readylint.model.objects import key_path
from readylint.model.probes import named_port_problems, probe, same_probe, traffic_containers
from readylint.registry import rule


@rule(code="HA006", slug="health-probes", scope="workload", severity="error", confidence="high", evidence="M")
def check(index, opts):
    for wl in index.workloads_for(long_running=True):
        subject = wl.subject()
        serving = traffic_containers(index, wl) if index.is_serving(wl) else set()
        found = []
        for c in (c for c in wl.containers() if c.long_running):
            who = f"{c.kind_word} '{c.name}' of {wl.ref}"
            ready, live = probe(c, "readinessProbe"), probe(c, "livenessProbe")
            if ready is None and c.name in serving:
                found.append((f"{who} has no readinessProbe, so its Service sends traffic before it can serve.",
                              c.path, c.path + ("readinessProbe",), None))
            if live is None:
                found.append((f"{who} has no livenessProbe, so a hung process is never restarted.",
                              c.path, c.path + ("livenessProbe",), "warning"))
            elif same_probe(ready, live):
                found.append((f"{who} uses identical readiness and liveness probes, so a busy pod is restarted "
                              f"instead of taken out of rotation.", c.path + ("livenessProbe",),
                              c.path + ("livenessProbe",), "warning"))
            for name, handler, port in named_port_problems(c):
                found.append((f"{who} has a {name} on port {port!r}, which its ports[] does not declare.",
                              c.path + (name, handler, "port"), c.path + (name,), None))
        for message, where, path, level in found:
            yield subject.fail(message, at=wl.at(*where), key_path=key_path(*path), level=level)
        if not found:
            yield subject.passed()

