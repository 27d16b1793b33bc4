"""Capacity planning completed.

## What it does
Looks for a dated capacity plan (`CAPACITY.md`, `docs/capacity*.md`, `docs/sizing*.md`, or a "Capacity"
section; dated by front matter `date` / `last_reviewed` or a `YYYY-MM-DD` in the text) that states the
expected peak load, the per-replica capacity (ideally measured by the load test, PERF001) and a headroom
target. Then it does the arithmetic the plan implies: when the plan gives the peak and the per-replica
capacity in requests per second, a workload it names (or the only serving workload) must be able to reach
`ceil(peak ÷ per-replica)` replicas (HPA `maxReplicas`, else `replicas`); and when a namespace has a
rendered ResourceQuota, its `hard` `requests.cpu` / `requests.memory` must fit every long-running
workload at its maximum replicas plus rollout surge (`maxSurge`, default 25%) times the sum of its
container requests. Without a rendered ResourceQuota the quota arithmetic is evidence unavailable (quotas
usually live in a platform repository). `low_traffic_internal: true` turns the rule off.

## Why it matters
Autoscaling only helps up to `maxReplicas` and the namespace quota; a peak that needs twelve pods meets a
ceiling of five, or a rollout that cannot create its surge pods, at the worst possible moment.

## How to fix
Write `docs/capacity.md` with the peak (e.g. 1200 requests per second), the measured capacity per
replica and the headroom, and set `maxReplicas` and the ResourceQuota to match, surge included.

## Example
```markdown fail file=docs/capacity.md
---
date: 2026-10-01
---
# Capacity plan

Peak load: 1200 requests per second during the seasonal sale. Per replica capacity: 100 requests per
second, measured by the October load test. Headroom: we keep 30% spare capacity above the peak.
```
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
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 6
```
```markdown pass file=docs/capacity.md
---
date: 2026-10-01
---
# Capacity plan

Peak load: 500 requests per second during the seasonal sale. Per replica capacity: 100 requests per
second, measured by the October load test. Headroom: we keep 30% spare capacity above the peak.
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
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 6
```
"""
import math
import re
from fractions import Fraction

from readylint import lazy_re
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Related
from readylint.model.doc_requirements import DocRequirement, SectionSpec, evaluate, judge
from readylint.model.objects import dig, mapping
from readylint.model.quantities import parse_quantity
from readylint.registry import rule

RATE = r"(\d[\d,.]*)\s*(?:k\s*)?(?:rps|qps|req(?:uests)?\s*(?:/|per)\s*s(?:ec(?:ond)?)?|requests per second|" \
       r"queries per second)"
PEAK = lazy_re.compile(r"peak|expected (?:load|traffic)|busiest|maximum load", re.IGNORECASE)
PER_REPLICA = lazy_re.compile(r"per[- ](?:replica|pod|instance)|each (?:replica|pod|instance)|single (?:replica|pod)",
                         re.IGNORECASE)
DATE = lazy_re.compile(r"\b20\d\d-\d\d-\d\d\b")


def requirement(opts) -> DocRequirement:
    return DocRequirement(
        name="capacity plan",
        paths=("CAPACITY.md", "CAPACITY_PLAN.md", "docs/capacity*.md", "docs/**/capacity*.md", "docs/sizing*.md",
               "docs/capacity*.rst", "docs/capacity*.adoc"),
        headings=(r"capacity",), exclude_headings=(r"storage|volume|disk|pvc|persisten",),
        exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md"),
        sections=(SectionSpec("the expected peak load", (PEAK.pattern,), in_text=True),
                  SectionSpec("the per-replica capacity", (PER_REPLICA.pattern,), in_text=True),
                  SectionSpec("a headroom target", (r"headroom|buffer|safety margin|spare capacity|over-?provision",),
                              in_text=True)),
        min_words=opts["doc_section_min_words"],
        fix="Add docs/capacity.md (dated) with the expected peak load, the capacity of one replica and the headroom "
            "target.")


@rule(code="OPS006", slug="capacity-planning", scope="repository", severity="note", confidence="low",
      evidence="R, M", options={"low_traffic_internal": False, "doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("capacity-plan", "capacity plan")
    if opts["low_traffic_internal"]:
        yield subject.not_applicable(NOT_RELEVANT, "options.low_traffic_internal: a low-traffic internal service")
        return
    req = requirement(opts)
    match = evaluate(index, req)
    failed = False
    for outcome in judge(index, req, subject, match):
        if outcome.status == "fail":
            failed = True
            yield outcome
    if match is not None:
        dated = any(k in match.doc.front_matter for k in ("date", "last_reviewed", "reviewed")) or \
            DATE.search(match.text())
        if not dated:
            failed = True
            yield subject.fail(f"The capacity plan in {match.where} carries no date, so nobody can tell which "
                               f"traffic it was made for; add front matter date: YYYY-MM-DD.", at=match.location,
                               key_path="doc.date")
        for outcome in _peak(index, match, subject):
            failed = True
            yield outcome
        if not failed:
            yield subject.passed(f"{match.where}")
    yield from _quotas(index)


def _rate(line: str) -> float | None:
    found = re.search(RATE, line, re.IGNORECASE)
    if not found:
        return None
    number = float(found.group(1).replace(",", ""))
    return number * 1000 if re.search(r"\d\s*k\s*(?:rps|qps|req)", found.group(0), re.IGNORECASE) else number


def _peak(index, match, subject):
    peak = per_replica = None
    text = re.sub(r"\s+", " ", match.text())
    for line in re.split(r"(?<=[.;!?])\s+(?=[A-Z*_|#-])|\|", text):  # sentences and table cells
        rate = _rate(line)
        if rate is None:
            continue
        if PER_REPLICA.search(line) and per_replica is None:
            per_replica = rate
        elif PEAK.search(line) and peak is None:
            peak = rate
    if not peak or not per_replica:
        return
    needed = math.ceil(peak / per_replica)
    serving = [wl for wl in index.workloads_for(long_running=True) if index.is_serving(wl)]
    text = text.lower()
    named = [wl for wl in serving if re.search(r"\b" + re.escape(wl.obj.name.lower()) + r"\b", text)]
    targets = named or (serving if len(serving) == 1 else [])
    for wl in targets:
        _, maximum, decider = index.effective_replicas(wl)
        if maximum < needed:
            at = decider.at("spec", "maxReplicas" if decider.kind == "HorizontalPodAutoscaler" else
                            "maxReplicaCount") if decider is not None else wl.obj.at("spec", "replicas")
            yield subject.fail(f"{wl.ref} can reach only {maximum} replicas, but the capacity plan's peak of "
                               f"{peak:g} requests per second at {per_replica:g} per replica needs {needed}; raise "
                               f"the maximum or revisit the plan.", at=at, key_path=f"capacity.{wl.obj.name}.max",
                               related=(Related(match.location, "the capacity plan"),))


def _requests(wl) -> dict:
    total = {"cpu": Fraction(0), "memory": Fraction(0)}
    for container in wl.containers():
        if container.init and not container.sidecar:
            continue
        for resource in total:
            value = parse_quantity(dig(container.data, "resources", "requests", resource))
            if value is not None:
                total[resource] += value
    return total


def _surge(wl, replicas: int) -> int:
    strategy = mapping(wl.obj.spec.get("strategy")) or {}
    if wl.kind == "Rollout":
        strategy = mapping(dig(wl.obj.spec, "strategy", "canary")) or mapping(dig(wl.obj.spec, "strategy",
                                                                                  "blueGreen")) or {}
        if "previewReplicaCount" in strategy or dig(wl.obj.spec, "strategy", "blueGreen") is not None:
            return replicas  # blue-green runs a full preview stack
        value = strategy.get("maxSurge", "25%")
    elif wl.kind == "Deployment":
        if strategy.get("type") == "Recreate":
            return 0
        value = dig(strategy, "rollingUpdate", "maxSurge")
        value = "25%" if value is None else value
    else:
        return 0
    if isinstance(value, str) and value.endswith("%"):
        try:
            return math.ceil(replicas * float(value[:-1]) / 100)
        except ValueError:
            return 0
    return value if isinstance(value, int) else 0


def _quotas(index):
    by_ns: dict = {}
    for wl in index.workloads_for(long_running=True):
        by_ns.setdefault(wl.namespace, []).append(wl)
    for namespace, workloads in sorted(by_ns.items()):
        subject = index.repo.subject(f"capacity-quota:{namespace}", f"ResourceQuota arithmetic of {namespace}")
        quotas = [q for q in index.in_namespace(namespace, "ResourceQuota")]
        if not quotas:
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"no ResourceQuota for namespace {namespace} in the "
                                                               f"repository (quotas usually live in a platform repo)")
            continue
        needed = {"cpu": Fraction(0), "memory": Fraction(0)}
        parts = []
        for wl in workloads:
            _, maximum, _ = index.effective_replicas(wl)
            pods = maximum + _surge(wl, maximum)
            requests = _requests(wl)
            for resource in needed:
                needed[resource] += pods * requests[resource]
            parts.append((wl, pods))
        failed = False
        for quota in quotas:
            hard = mapping(quota.spec.get("hard")) or {}
            for resource in needed:
                key = f"requests.{resource}" if f"requests.{resource}" in hard else resource
                limit = parse_quantity(hard.get(key))
                if limit is None or needed[resource] <= limit:
                    continue
                failed = True
                shown = f"{float(needed[resource]):g} cores" if resource == "cpu" else \
                    f"{float(needed[resource]) / 2 ** 30:.2f}Gi"
                yield subject.fail(f"{quota.ref} allows {key}: {hard.get(key)}, but the workloads of {namespace} need "
                                   f"{shown} at maximum replicas plus rollout surge; raise the quota or lower the "
                                   f"maximum replicas, or a scale-up or rollout will be refused.",
                                   at=quota.at("spec", "hard", key), key_path=f"quota.{key}",
                                   related=tuple(Related(wl.obj.name_at(), f"{wl.ref}: up to {pods} pods")
                                                 for wl, pods in parts[:50]))
        if not failed:
            yield subject.passed(f"the workloads of {namespace} fit {quotas[0].ref}")
