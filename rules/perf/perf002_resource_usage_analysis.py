"""Resource usage analyzed.

## What it does
Checks that each workload's requests come from observed usage: an `autoscaling.k8s.io/v1`
VerticalPodAutoscaler that targets it (recommendation mode `updateMode: "Off"` is the usual way; an
evicting mode is HA004's concern when an HPA scales the same pods), a rendered Namespace labelled
`goldilocks.fairwinds.com/enabled: "true"` (Goldilocks creates recommendation VPAs) or the claim
`platform.goldilocks_namespaces`, or a dated sizing report (`docs/sizing*`, `docs/capacity*`) that names
the workload and whose numbers match its current requests. Jobs and CronJobs are exempt while
`exempt_jobs` is true. Workloads without evidence are folded into one repository-level finding that
lists each workload's `resources` as a related location; it is anchored at `README.md` because it belongs to
no single workload, Helm render or environment.

## Why it matters
Requests guessed once and never revisited either waste nodes (too high) or invite throttling and
evictions under load (too low); both show up as cost or incidents, not as errors.

## How to fix
Deploy a VPA in recommendation mode per workload (or label the namespace for Goldilocks), then set the
requests from its recommendations; or commit a dated sizing report with the numbers you chose.

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
          resources:
            requests: {cpu: 250m, memory: 256Mi}
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
          resources:
            requests: {cpu: 250m, memory: 256Mi}
---
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  updatePolicy: {updateMode: "Off"}
```
"""
import re

from readylint.findings import NOT_RELEVANT, Related
from readylint.model.objects import K8sObject, dig, mapping
from readylint.registry import rule

REPORT_GLOBS = ("docs/sizing*", "docs/**/sizing*", "docs/capacity*", "docs/**/capacity*")
GOLDILOCKS = "goldilocks.fairwinds.com/enabled"


@rule(code="PERF002", slug="resource-usage-analysis", scope="workload", severity="note", confidence="low",
      evidence="M, R", options={"exempt_jobs": True})
def check(index, opts):
    platform = index.settings.get("platform") or {}
    claimed = {str(n) for n in (platform.get("goldilocks_namespaces") or ())}
    labelled = {o.name for o in index.of_kind("Namespace")
                if str((o.labels or {}).get(GOLDILOCKS, "")).lower() == "true"}
    reports = _reports(index)
    missing = []
    for wl in index.workloads_for():
        subject = wl.subject()
        if wl.kind in ("Job", "CronJob") and opts["exempt_jobs"]:
            yield subject.not_applicable(NOT_RELEVANT, "a Job or CronJob (options.exempt_jobs)")
            continue
        vpa = _vpa(index, wl)
        if vpa is not None:
            yield subject.passed(f"{vpa.ref} observes its usage")
        elif wl.namespace in labelled:
            yield subject.passed(f"namespace {wl.namespace} is labelled for Goldilocks")
        elif wl.namespace in claimed:
            yield subject.passed(f"claim: platform.goldilocks_namespaces includes {wl.namespace}")
        elif _in_report(wl, reports):
            yield subject.passed(f"sized in {_in_report(wl, reports)}")
        else:
            missing.append(wl)
    if missing:  # one finding at the repository anchor: it must not belong to one Helm render or environment
        names = K8sObject.listed([wl.obj for wl in missing])
        yield index.repo.subject("resource-usage", "resource usage analysis").fail(
            f"{len(missing)} workload{'s have' if len(missing) != 1 else ' has'} requests that no observation backs "
            f"({names}): no VerticalPodAutoscaler in recommendation mode, no Goldilocks namespace label and no "
            f"sizing report. Add a VPA with updateMode: \"Off\" per workload (or label the namespace "
            f"{GOLDILOCKS}: \"true\") and set requests from its recommendations.", at=index.repo.anchor(),
            key_path="resources.unanalysed",
            related=tuple(Related(_resources_at(wl), f"{wl.ref}: requests not analysed") for wl in missing[:100]))


def _resources_at(wl):
    container = next(iter(wl.containers()), None)
    return wl.at(*container.path, "resources") if container else wl.obj.name_at()


def _vpa(index, wl):
    for vpa in index.in_namespace(wl.namespace, "VerticalPodAutoscaler"):
        ref = mapping(vpa.spec.get("targetRef")) or {}
        if ref.get("name") == wl.obj.name and ref.get("kind", wl.kind) == wl.kind:
            return vpa
    return None


def _reports(index) -> list:
    """(path, text) of dated sizing reports."""
    found = []
    for path in index.repo.glob(*REPORT_GLOBS):
        from readylint.model.docs import docs  # only when a sizing report is there to read

        doc = docs(index).get(path) if path.lower().endswith((".md", ".rst", ".adoc")) else None
        text = "\n".join(doc.lines) if doc is not None else (index.repo.text(path) or "")
        dated = (doc is not None and any(k in doc.front_matter for k in ("date", "last_reviewed"))) or \
            re.search(r"\b20\d\d-\d\d-\d\d\b", text + path)
        if dated:
            found.append((path, text))
    return found


def _in_report(wl, reports) -> str:
    """The report that names the workload and states its current requests."""
    wanted = set()
    for container in wl.containers():
        for resource in ("cpu", "memory"):
            value = dig(container.data, "resources", "requests", resource)
            if value is not None:
                wanted.add(str(value))
    if not wanted:
        return ""
    for path, text in reports:
        if not re.search(r"\b" + re.escape(wl.obj.name) + r"\b", text):
            continue
        if all(re.search(r"(?<![\w.])" + re.escape(v) + r"(?![\w.])", text) for v in wanted):
            return path
    return ""
