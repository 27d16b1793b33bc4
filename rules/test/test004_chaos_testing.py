"""Chaos testing performed.

## What it does
Looks for chaos experiments aimed at the application: Chaos Mesh (`chaos-mesh.org`) PodChaos, NetworkChaos,
StressChaos, IOChaos, TimeChaos, DNSChaos, HTTPChaos, Schedule and Workflow objects, LitmusChaos
ChaosEngines, Chaos Toolkit experiments and AWS FIS templates, and for evidence that they run: a Chaos
Mesh Schedule, a CI step (`chaos run`, `litmusctl`, applying chaos objects), a passed ChaosResult, or dated
game-day records under `docs/` dated within `chaos_max_age_days` (180). Paused experiments, ChaosEngines that
are not `active`, and Chaos Mesh selectors that match none of the rendered workloads are findings.

## Why it matters
Resilience features (retries, PDBs, failover) that were never exercised under failure tend not to work
when a real outage comes.

## How to fix
Add experiments that target the application's pods (e.g. a PodChaos killing one replica), run them on a
schedule or in CI against a staging environment, and keep the results. Services that are not critical can
set `rules.options.TEST004.exempt: true`.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
```
```yaml pass
apiVersion: chaos-mesh.org/v1alpha1
kind: Schedule
metadata: {name: kill-api, namespace: shop}
spec:
  schedule: "@weekly"
  type: PodChaos
  podChaos:
    action: pod-kill
    mode: one
    selector:
      labelSelectors: {app: api}
```
"""
import datetime as _dt
import re

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT, Location
from readylint.model.ci_tools import CHAOS, hits
from readylint.registry import rule

CHAOS_MESH = ("PodChaos", "NetworkChaos", "StressChaos", "IOChaos", "TimeChaos", "DNSChaos", "HTTPChaos",
              "JVMChaos", "KernelChaos", "AWSChaos", "GCPChaos", "Schedule", "Workflow")
_GAME_DAY = lazy_re.compile(r"(game-?days?|chaos)[^/]*/\d{4}-\d{2}-\d{2}[^/]*\.md$|\d{4}-\d{2}-\d{2}[^/]*(game-?day|chaos)",
                       re.I)


@rule(code="TEST004", slug="chaos-testing", scope="repository", severity="note", confidence="low",
      evidence="M, R, C", options={"exempt": False, "chaos_max_age_days": 180})
def check(index, opts):
    subject = index.repo.subject("chaos-testing", "chaos testing")
    if opts["exempt"]:
        yield subject.not_applicable(NOT_RELEVANT, "rules.options.TEST004.exempt: the service is not critical")
        return
    experiments = [o for o in index.objects
                   if (o.group == "chaos-mesh.org" and o.kind in CHAOS_MESH)
                   or (o.group == "litmuschaos.io" and o.kind == "ChaosEngine")]
    toolkit = [p for p in index.documents if _is_toolkit(index.documents[p])]
    toolkit += [p for p in index.repo.glob("**/*.json")
                if "steady-state-hypothesis" in (index.repo.text(p) or "")[:20000] and '"method"' in index.repo.text(p)]
    fis = [p for p in index.repo.glob("**/*.tf") if "aws_fis_experiment_template" in (index.repo.text(p) or "")]
    if not experiments and not toolkit and not fis and not hits(index, CHAOS):
        if not [w for w in index.workloads_for(long_running=True) if index.is_serving(w)] and index.objects:
            yield subject.not_applicable(NOT_RELEVANT, "the manifests have no serving workload")
            return
        yield subject.fail("No chaos experiments were found (Chaos Mesh, LitmusChaos, Chaos Toolkit or AWS FIS), so "
                           "the service's resilience is untested. Add an experiment that kills one replica and run "
                           "it regularly.", at=index.repo.anchor(), key_path="chaos")
        return
    for obj in experiments:
        if str(obj.annotations.get("experiment.chaos-mesh.org/pause", "")).lower() == "true":
            yield subject.fail(f"{obj.ref} is paused (experiment.chaos-mesh.org/pause: \"true\"), so it injects no "
                               f"faults. Resume it or remove it.", at=obj.at("metadata", "annotations",
                                                                              "experiment.chaos-mesh.org/pause"),
                               key_path=f"{obj.kind}/{obj.name}.pause", level="warning")
            return
        if obj.kind == "ChaosEngine" and str(obj.spec.get("engineState", "active")) != "active":
            yield subject.fail(f"{obj.ref} has engineState {obj.spec.get('engineState')}, so it runs nothing.",
                               at=obj.at("spec", "engineState"), key_path=f"{obj.kind}/{obj.name}.engineState",
                               level="warning")
            return
    for obj in experiments:
        missed = _selects_nothing(index, obj)
        if missed:
            yield subject.fail(f"{obj.ref} selects no pod: {missed}. Fix its selector so that it targets the "
                               f"application.", at=obj.at(*_selector_path(obj)), key_path=f"{obj.kind}/{obj.name}"
                               f".selector", level="warning")
            return
    evidence = _run_evidence(index, experiments, opts["chaos_max_age_days"])
    if evidence:
        yield subject.passed(evidence)
        return
    first = experiments[0].at(*_selector_path(experiments[0])) if experiments else Location((toolkit + fis)[0], 1, 1)
    what = experiments[0].ref if experiments else (toolkit + fis)[0]
    yield subject.fail(f"Chaos experiments exist ({what}) but nothing shows they run: no Chaos Mesh Schedule, CI "
                       f"job, passed ChaosResult or dated game-day record. Schedule them or record the runs.",
                       at=first, key_path="chaos.runs", level="warning")


def _selector_path(obj):
    """Chaos Mesh keeps the selector in spec, or in spec.<type> for a Schedule (spec.podChaos.selector)."""
    if obj.kind == "Schedule" and obj.spec.get("type"):
        kind = str(obj.spec["type"])
        return ("spec", kind[0].lower() + kind[1:], "selector")
    if obj.kind == "ChaosEngine":
        return ("spec", "appinfo")
    return ("spec", "selector")


def _selects_nothing(index, obj) -> str:
    """Why a Chaos Mesh selector matches none of the rendered pods ('' when it matches or cannot be judged)."""
    selector = obj.spec
    for key in _selector_path(obj)[1:]:
        selector = selector.get(key) if hasattr(selector, "get") else None
    if not hasattr(selector, "get") or obj.group != "chaos-mesh.org":
        return ""
    labels = selector.get("labelSelectors")
    namespaces = selector.get("namespaces") or [obj.namespace]
    if not hasattr(labels, "items") or not labels:
        return ""
    candidates = [w for w in index.workloads if w.namespace in [str(n) for n in namespaces]]
    if not candidates:
        return ""  # the targets are not in these manifests: cannot tell
    wanted = {str(k): str(v) for k, v in labels.items()}
    if any(all(str(w.labels.get(k)) == v for k, v in wanted.items()) for w in candidates):
        return ""
    shown = ", ".join(f"{k}={v}" for k, v in wanted.items())
    return f"no workload in {', '.join(str(n) for n in namespaces)} has the labels {shown}"


def _is_toolkit(docs):
    return any(hasattr(d.data, "get") and "steady-state-hypothesis" in d.data and "method" in d.data for d in docs)


def _run_evidence(index, experiments, max_age_days):
    schedules = [o for o in experiments if o.kind in ("Schedule", "Workflow") or o.spec.get("scheduler")]
    if schedules:
        return f"{schedules[0].ref} runs experiments on a schedule"
    ci = hits(index, CHAOS)
    if ci:
        return f"{ci[0].tool} runs in {ci[0].step.job.display}"
    for result in index.of_kind("ChaosResult"):
        if str((result.data.get("status") or {}).get("experimentStatus", {}).get("verdict", "")) == "Pass":
            return f"{result.ref} records a passed run"
    oldest = (_dt.date.today() - _dt.timedelta(days=max_age_days)).isoformat()
    records = [p for p in index.files if p.lower().endswith(".md") and _GAME_DAY.search(p)
               and re.search(r"\d{4}-\d{2}-\d{2}", p).group(0) >= oldest]
    if records:
        return f"game-day record {sorted(records)[-1]}"
    return ""
