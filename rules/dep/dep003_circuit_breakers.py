"""Circuit breakers configured.

## What it does
For each outbound dependency (env URLs and hosts, ExternalName Services, ServiceEntry hosts) looks for a
circuit breaker: an Istio `DestinationRule` for the host with `outlierDetection` or `connectionPool`
limits, Linkerd failure accrual on the target Service, an Envoy Gateway `BackendTrafficPolicy` with
`circuitBreaker` or passive health checks, or a circuit-breaker library (resilience4j, Polly, opossum,
gobreaker, pybreaker) in the dependency manifests. It also flags `maxEjectionPercent: 100` over fewer than
three endpoints, and DestinationRules that cannot apply because the calling pods are outside the mesh.

## Why it matters
Without a breaker every caller keeps waiting on a failing dependency until its threads, connections and
retries are exhausted, and the failure spreads upstream. Ejecting all of few endpoints leaves none.

## How to fix
Add a DestinationRule for the host with `trafficPolicy.outlierDetection` (`consecutive5xxErrors`,
`interval`, `baseEjectionTime`, `maxEjectionPercent` below 100) and `connectionPool` limits, or configure
a circuit breaker in the client library.

## Options
* `infrastructure_hosts`: comma-separated host globs that are platform endpoints, not dependencies.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          env:
            - name: PAYMENTS_URL
              value: https://payments.example.com
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          env:
            - name: PAYMENTS_URL
              value: https://payments.example.com
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: payments
spec:
  host: payments.example.com
  trafficPolicy:
    outlierDetection:
      consecutive5xxErrors: 5
      interval: 30s
      baseEjectionTime: 1m
      maxEjectionPercent: 50
```
"""
from readylint.findings import EVIDENCE_UNAVAILABLE, Related, Subject
from readylint.model.dependencies import all_dependencies, backends
from readylint.model.mesh import breaker_settings, destination_rules, meshed
from readylint.model.objects import dig, mapping, sequence
from readylint.registry import rule

LIBRARIES = (("**/pom.xml", "resilience4j"), ("**/build.gradle*", "resilience4j"), ("**/*.csproj", "Polly"),
             ("**/package.json", '"opossum"'), ("**/go.mod", "gobreaker"), ("**/go.mod", "hystrix-go"),
             ("**/requirements*.txt", "pybreaker"), ("**/pyproject.toml", "pybreaker"),
             ("**/requirements*.txt", "circuitbreaker"))


def library(index):
    """(path, library) of the first circuit-breaker library in a dependency manifest, or None."""
    for pattern, token in LIBRARIES:
        for path in index.repo.glob(pattern)[:50]:
            if token in (index.repo.text(path) or ""):
                return path, token.strip('"')
    return None


def _gateway_policy(index, service):
    """An Envoy Gateway BackendTrafficPolicy with a breaker on a route that sends traffic to the Service."""
    routes = {r.name for r in index.in_namespace(service.namespace, "HTTPRoute", "GRPCRoute")
              if any(str(b.get("name")) == service.name for rule_ in sequence(r.spec.get("rules"))
                     for b in sequence(dig(rule_, "backendRefs")) if mapping(b) is not None)}
    for policy in index.in_namespace(service.namespace, "BackendTrafficPolicy"):
        if not (mapping(policy.spec.get("circuitBreaker")) or dig(policy.spec, "healthCheck", "passive")):
            continue
        refs = list(sequence(policy.spec.get("targetRefs"))) + [policy.spec.get("targetRef")]
        if any(mapping(r) is not None and (str(r.get("name")) in routes or (
                r.get("kind") == "Service" and r.get("name") == service.name)) for r in refs):
            return policy
    return None


def judge(index, subject, deps, lib):
    first = deps[0]
    related = tuple(Related(d.location, f"{d.workload.ref if d.workload else d.origin.ref} also calls it")
                    for d in deps[1:4])
    if not first.host:
        return subject.not_applicable(EVIDENCE_UNAVAILABLE, f"the address in ${first.env} comes from a Secret or "
                                      f"ConfigMap; readylint cannot tell which host it names")
    service = first.service
    if service is not None:
        if str(service.annotations.get("balancer.linkerd.io/failure-accrual", "")) == "consecutive":
            return subject.passed(f"Linkerd failure accrual on {service.ref}")
        if (policy := _gateway_policy(index, service)) is not None:
            return subject.passed(f"{policy.ref} breaks the circuit")
    rules = destination_rules(index, first.host, first.namespace)
    if rules:
        dr = rules[0]
        settings = breaker_settings(dr)
        if not settings:
            return subject.fail(f"{dr.ref} for {first.host} has no outlierDetection or connectionPool, so it "
                                f"breaks no circuit; add them.", at=dr.at("spec", "trafficPolicy"),
                                key_path=f"DestinationRule/{dr.name}.spec.trafficPolicy",
                                related=(Related(first.location, "the dependency"),) + related)
        outside = [d.workload for d in deps if d.workload is not None and meshed(index, d.workload) is False]
        if outside:
            return subject.fail(f"{dr.ref} cannot protect calls from {outside[0].ref} to {first.host}: its pods are "
                                f"outside the mesh; enable sidecar injection.", at=first.location,
                                key_path="mesh", related=(Related(dr.name_at(), f"{dr.ref}"),))
        for segments, key in settings:
            percent = dig(dr.data, *segments, "maxEjectionPercent")
            endpoints = max((index.effective_replicas(w)[1] for w in backends(index, service)), default=0) \
                if service is not None else 0
            if key == "outlierDetection" and percent == 100 and 0 < endpoints < 3:
                return subject.fail(f"{dr.ref} may eject all {endpoints} endpoints of {first.host} "
                                    f"(maxEjectionPercent: 100), leaving none to serve; lower it.",
                                    at=dr.at(*segments, "maxEjectionPercent"),
                                    key_path=f"DestinationRule/{dr.name}.maxEjectionPercent", level="warning")
        return subject.passed(f"{dr.ref} sets {settings[0][1]}")
    if lib:
        return subject.passed(f"{lib[1]} is a dependency ({lib[0]}); confirm it wraps calls to {first.host}")
    origin = f"{first.env} of {first.workload.ref}" if first.workload else first.origin.ref
    return subject.fail(f"No circuit breaker protects calls to {first.host} ({origin}); add a DestinationRule with "
                        f"outlierDetection or a client-side breaker.", at=first.location,
                        key_path=f"dependency/{first.host}", related=related)


@rule(code="DEP003", slug="circuit-breakers", scope="dependency", severity="warning", confidence="medium",
      evidence="M, R", options={"infrastructure_hosts": ""})
def check(index, opts):
    infra = tuple(h.strip() for h in opts["infrastructure_hosts"].split(",") if h.strip())
    groups = {}
    for dep in all_dependencies(index, infra):
        key = (dep.namespace, dep.host or f"${dep.env}@{dep.workload.obj.name if dep.workload else ''}")
        groups.setdefault(key, []).append(dep)
    lib = library(index) if groups else None
    for (namespace, host), deps in groups.items():
        subject = Subject(key=f"dep:{namespace}/{host}", display=f"dependency {host} of namespace {namespace}",
                          location=deps[0].location)
        yield judge(index, subject, deps, lib)
