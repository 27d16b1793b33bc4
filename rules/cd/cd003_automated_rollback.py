"""Automated rollback criteria defined.

## What it does
Checks that a bad release of each serving workload is stopped by a machine: Argo Rollouts analysis
(background, step or blue-green pre/post promotion) naming AnalysisTemplates that exist, whose metrics
have a provider query and a success or failure condition and are not all dry-run, with every template
argument supplied; a Flagger `Canary` with `analysis.threshold` and metrics carrying `thresholdRange`; or,
for plain deploys from CI, `helm upgrade --atomic` (`--rollback-on-failure`) or `kubectl rollout undo`.

## Why it matters
A canary with manual pauses only waits for a human who may be asleep. `progressDeadlineSeconds` marks a
rollout failed but never rolls it back, and with Argo CD automated sync a manual rollback is re-synced to
the broken Git state (argoproj/argo-cd#5351): rollback has to be a Rollouts abort or a Git revert.

## How to fix
Add `strategy.canary.analysis.templates` (or an `analysis` step) naming an AnalysisTemplate with a
Prometheus query and `successCondition: result[0] >= 0.99`; or deploy with `helm upgrade --install
--atomic --wait --timeout 5m`.

## Example
```yaml fail
apiVersion: argoproj.io/v1alpha1
kind: Rollout
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
  strategy:
    canary:
      steps:
        - setWeight: 10
        - pause: {}
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports: [{port: 80}]
```
```yaml pass
apiVersion: argoproj.io/v1alpha1
kind: Rollout
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
  strategy:
    canary:
      analysis:
        templates:
          - templateName: success-rate
      steps:
        - setWeight: 10
        - pause: {duration: 5m}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  metrics:
    - name: success-rate
      interval: 1m
      successCondition: result[0] >= 0.99
      provider:
        prometheus:
          address: http://prometheus.monitoring:9090
          query: sum(rate(http_requests_total{app="api",code!~"5.."}[2m])) / sum(rate(http_requests_total[2m]))
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports: [{port: 80}]
```
"""
import re

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location, Related
from readylint.model.context_folders import CONTEXT_FOLDERS as NOT_DEPLOYED  # demos and tests deploy nothing
from readylint.model.gitops import analysis_refs, applications, find_template, flagger_canaries, strategy
from readylint.model.objects import key_path, mapping, sequence
from readylint.registry import rule

FLUX_KINDS = ("HelmRelease", "Kustomization")


def template_problem(template):
    """Why no metric of an AnalysisTemplate can abort a rollout, with the key to point at, or None."""
    metrics = [m for m in sequence(template.spec.get("metrics")) if mapping(m) is not None]
    if not metrics:
        return "has no metrics", ("spec", "metrics")
    dry = [str(d.get("metricName")) for d in sequence(template.spec.get("dryRun")) if mapping(d) is not None]
    usable, reasons = 0, []
    for metric in metrics:
        name = str(metric.get("name"))
        provider = mapping(metric.get("provider")) or {}
        if any(re.fullmatch(pattern, name) for pattern in dry if _valid(pattern)):
            reasons.append(f"metric '{name}' is dry-run")
        elif not any(mapping(v) for v in provider.values()):
            reasons.append(f"metric '{name}' has no provider query")
        elif not (metric.get("successCondition") or metric.get("failureCondition") or "job" in provider):
            reasons.append(f"metric '{name}' has neither successCondition nor failureCondition")
        else:
            usable += 1
    if usable:
        return None
    return "; ".join(reasons), ("spec", "metrics", ("name", metrics[0].get("name")) if metrics[0].get("name") else 0)


def _valid(pattern):
    try:
        re.compile(pattern)
        return True
    except re.error:
        return False


def judge_rollout(index, wl):
    subject = wl.subject()
    kind, _ = strategy(wl.obj)
    refs = analysis_refs(wl.obj)
    if not refs:
        where = ("spec", "strategy", kind) if kind else ("spec", "strategy")
        fix = ("blueGreen.prePromotionAnalysis or postPromotionAnalysis templates" if kind == "blueGreen"
               else "canary.analysis templates or an analysis step")
        yield subject.fail(f"The {kind or 'default'} strategy of {wl.ref} runs no analysis, so only a human can "
                           f"abort a bad release; add {fix}.",
                           at=wl.obj.at(*where), key_path=key_path(*where, "analysis"))
        return
    failed, seen = False, set()
    for ref in refs:
        ref_at = wl.obj.at(*ref.segments)
        template = find_template(index, wl.obj, ref)
        kind_name = "ClusterAnalysisTemplate" if ref.cluster else "AnalysisTemplate"
        if template is None:
            failed = True
            yield subject.fail(f"{wl.ref} names {kind_name} '{ref.name}', which is not in the repository; the "
                               f"analysis errors instead of guarding the release.", at=ref_at,
                               key_path=key_path(*ref.segments))
            continue
        related = (Related(ref_at, f"{wl.ref} runs this template ({ref.where} analysis)."),)
        missing = [str(a.get("name")) for a in sequence(template.spec.get("args"))
                   if mapping(a) is not None and "value" not in a and "valueFrom" not in a
                   and str(a.get("name")) not in ref.args]
        if missing:
            failed = True
            yield subject.fail(f"{wl.ref} does not supply argument {', '.join(map(repr, missing))} of "
                               f"{template.ref}, so the AnalysisRun fails to start.", at=ref_at,
                               key_path=key_path(*ref.segments, "args"),
                               related=(Related(template.at("spec", "args"), f"{template.ref} declares it."),))
        if id(template) in seen:
            continue
        seen.add(id(template))
        problem = template_problem(template)
        if problem:
            failed = True
            why, segments = problem
            yield subject.fail(f"{template.ref} cannot abort a rollout of {wl.ref}: {why}. At least one metric "
                               f"needs a provider query and a success or failure condition, outside dryRun.",
                               at=template.at(*segments), key_path=f"{template.kind}/{template.name}.metrics",
                               related=related)
    if not failed:
        yield subject.passed()


def judge_flagger(wl, canary):
    analysis = mapping(canary.spec.get("analysis")) or mapping(canary.spec.get("canaryAnalysis")) or {}
    metrics = [m for m in sequence(analysis.get("metrics")) if mapping(m) is not None]
    bounded = [m for m in metrics if mapping(m.get("thresholdRange"))]
    related = (Related(canary.name_at(), f"{canary.ref} drives this workload."),)
    if isinstance(analysis.get("threshold"), int) and analysis["threshold"] > 0 and bounded:
        return wl.subject().passed(f"Flagger {canary.ref} rolls back on metric thresholds")
    missing = "analysis.threshold" if not isinstance(analysis.get("threshold"), int) else "a metric thresholdRange"
    return wl.subject().fail(f"{canary.ref} has no {missing}, so Flagger cannot roll {wl.ref} back on metrics; "
                             f"set analysis.threshold and metrics with thresholdRange.",
                             at=canary.at("spec", "analysis", "metrics"), key_path="spec.analysis", related=related)


def judge_plain(index, wl):
    subject = wl.subject()
    from readylint.model.ci_deploys import ci_deploys  # CI is read only for a plain serving workload

    deploys = ci_deploys(index)
    local = [d for d in deploys if not d.remote]
    rolling_back = [d for d in local if d.rollback]
    if rolling_back:
        d = rolling_back[0]
        return subject.passed(f"CI deploy rolls back on failure ({d.path}:{d.line}: {d.command})")
    synced = [a for a in applications(index) if "automated" in (mapping(a.spec.get("syncPolicy")) or {})
              and not NOT_DEPLOYED.search(index.repo.local(a.obj.path))]
    flux = [o for o in index.of_kind(*FLUX_KINDS) if o.group.endswith("toolkit.fluxcd.io")]
    if not (local or synced or flux):
        if any(d.remote for d in deploys):
            return subject.not_applicable(EVIDENCE_UNAVAILABLE, "deploys may run in a remote reusable workflow")
        return subject.not_applicable(NOT_RELEVANT, "no deploy mechanism in the repository (CD004 reports it)")
    related = [Related(Location(d.path, d.line), f"deploys without rollback: {d.command}") for d in local[:3]]
    related += [Related(a.at("syncPolicy", "automated"), f"{a.obj.ref} syncs automatically: a manual rollback "
                        f"is re-synced to the broken Git state (argoproj/argo-cd#5351).") for a in synced[:3]]
    deadline = "progressDeadlineSeconds" in wl.obj.spec
    field = "progressDeadlineSeconds" if deadline else "strategy"
    note = " progressDeadlineSeconds only marks the rollout failed, it does not roll back." if deadline else ""
    return subject.fail(f"Nothing rolls {wl.ref} back automatically when a release fails.{note} Use helm "
                        f"--atomic in CI, or an Argo Rollouts or Flagger canary with analysis.",
                        at=wl.obj.at("spec", field), key_path=f"spec.{field}", related=related)


@rule(code="CD003", slug="automated-rollback", scope="workload", severity="warning", confidence="high",
      evidence="A, C", options={"exempt_statefulsets": False})
def check(index, opts):
    for wl in index.workloads_for(long_running=True):
        if wl.kind == "DaemonSet" or (wl.kind == "StatefulSet" and opts["exempt_statefulsets"]):
            yield wl.subject().not_applicable(NOT_RELEVANT, f"a {wl.kind} is not shipped progressively")
        elif not index.is_serving(wl):
            yield wl.subject().not_applicable(NOT_RELEVANT, "no Service selects its pods")
        elif wl.kind == "Rollout":
            yield from judge_rollout(index, wl)
        elif canaries := flagger_canaries(index, wl):
            yield judge_flagger(wl, canaries[0])
        else:
            yield judge_plain(index, wl)
