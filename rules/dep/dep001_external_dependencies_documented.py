"""External service dependencies documented.

## What it does
Discovers the services the workloads call (env values that are URLs or hosts: `*_URL`, `*_HOST`,
`*_ENDPOINT`, `*_DSN`, `*_ADDR`; `ExternalName` Services; Istio `ServiceEntry` hosts) and keeps the
external ones: hosts that resolve to no Service rendered from this repository. Values read from a
Secret count under their env name. Each must be named by an inventory: Backstage `catalog-info.yaml`
(`spec.dependsOn`, `spec.consumesApis`), `docs/dependencies.md`, or a "Dependencies" section of any
document (the DR plan's included; build and library "Dependencies" sections do not count). A dependency
is named when the inventory mentions its host, its distinctive domain label (`stripe` for
`api.stripe.com`) or its env name. Telemetry and platform endpoints are infrastructure, not dependencies
(`infrastructure_hosts`).

## Why it matters
During an incident the first question is "is it us or them?". An inventory of external services, with
owners and status pages, answers it in seconds; an undocumented dependency is found by reading code.

## How to fix
List every external service in `docs/dependencies.md` (or `spec.dependsOn` of `catalog-info.yaml`) with
its owner, purpose, status page and SLA.

## Example
```yaml fail file=deploy/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: PAYMENTS_URL
              value: https://api.stripe.com/v1
```
```yaml pass file=deploy/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: PAYMENTS_URL
              value: https://api.stripe.com/v1
```
```markdown pass file=docs/dependencies.md
# External dependencies

| Service | Purpose | Owner | Status page |
|---|---|---|---|
| Stripe (api.stripe.com) | card payments | payments team | https://status.stripe.com |
```
"""
from readylint.findings import NOT_RELEVANT, Related
from readylint.registry import rule
from readylint.rules.dep._external import external_dependencies, infra_option
from readylint.rules.dep._inventory import INVENTORY, inventory


@rule(code="DEP001", slug="external-dependencies-documented", scope="repository", severity="note",
      confidence="medium", evidence="R, M", options={"infrastructure_hosts": ""})
def check(index, opts):
    found = external_dependencies(index, infra_option(opts))
    listing = inventory(index)
    subject = index.repo.subject("dependency-inventory", "dependency inventory")
    if not listing.sources:
        if not found:
            yield subject.not_applicable(NOT_RELEVANT, "no external dependency discovered and no inventory")
            return
        names = ", ".join(d.label for d in found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
        yield subject.fail(f"No dependency inventory, but the manifests call {len(found)} external "
                           f"service{'s' if len(found) != 1 else ''} ({names}). {INVENTORY.fix}",
                           at=index.repo.anchor(), key_path="inventory.missing",
                           related=tuple(Related(d.location, f"{d.label}: {d.locations[0][1]}") for d in found[:100]))
        return
    yield subject.passed(f"inventory in {listing.where}")
    for dep in found:
        dep_subject = index.repo.subject(f"dependency:{dep.label}", f"dependency {dep.label}")
        named = listing.names(dep)
        if named:
            yield dep_subject.passed(f"named at {named[0].path}:{named[0].line}")
            continue
        related = (Related(listing.location, "the dependency inventory"),) + tuple(
            Related(at, f"also {what}") for at, what in dep.locations[1:20])
        yield dep_subject.fail(f"External dependency {dep.label} ({dep.locations[0][1]}) is not in the dependency "
                               f"inventory ({listing.where}); add it with its owner, purpose and status page.",
                               at=dep.location, key_path=f"dependency.{dep.label}", related=related)
