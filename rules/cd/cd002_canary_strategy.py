"""Canary deployment strategy implemented.

## What it does
Checks that every serving workload ships new versions progressively: an Argo Rollouts `Rollout` whose
canary steps send part of the traffic (`setWeight` below 100) and then pause or analyse, or a Flagger
`Canary` whose analysis shifts traffic step by step (`stepWeight` / `stepWeights`).

## Why it matters
A plain rolling update moves every user to the new version within minutes, whatever its error rate.
A canary exposes a small share of traffic first, so a bad release hurts few requests and can be stopped.

## How to fix
Convert the Deployment to a `Rollout` (or point a Rollout's `workloadRef` at it) with steps such as
`setWeight: 10` followed by `pause: {duration: 5m}`, ideally with `trafficRouting` so the weights are exact;
or add a Flagger `Canary` with `analysis.stepWeight` and `maxWeight`.

## Options
* `accept_blue_green`: accept a blue-green strategy (Rollout `blueGreen`, Flagger `iterations`) as progressive.
* `exempt_statefulsets`: do not judge StatefulSets.

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
    canary: {}
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
      trafficRouting:
        nginx: {stableIngress: api}
      steps:
        - setWeight: 10
        - pause: {duration: 5m}
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
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.gitops import flagger_canaries, progressive_steps, strategy
from readylint.model.objects import mapping
from readylint.registry import rule


def judge_rollout(wl, opts):
    kind, block = strategy(wl.obj)
    subject = wl.subject()
    if kind == "blueGreen":
        if opts["accept_blue_green"]:
            return subject.passed("blue-green strategy accepted (options.accept_blue_green)")
        return subject.fail(f"{wl.ref} uses a blue-green strategy: every user moves to the new version at "
                            f"promotion. Use strategy.canary with setWeight steps, or set "
                            f"accept_blue_green.", at=wl.obj.at("spec", "strategy", "blueGreen"),
                            key_path="spec.strategy.blueGreen")
    if kind != "canary":
        return subject.fail(f"{wl.ref} has no canary strategy; add strategy.canary.steps with a setWeight "
                            f"below 100 followed by a pause or analysis.", at=wl.obj.at("spec", "strategy"),
                            key_path="spec.strategy")
    if not progressive_steps(block):
        return subject.fail(f"The canary of {wl.ref} has no setWeight step below 100 followed by a pause or "
                            f"analysis, so it promotes at once; add steps such as setWeight: 10 then pause.",
                            at=wl.obj.at("spec", "strategy", "canary", "steps"), key_path="spec.strategy.canary")
    if not mapping(block.get("trafficRouting")):
        return subject.passed("canary steps without trafficRouting: weights are approximated by replica counts")
    return subject.passed()


def judge_flagger(wl, canary, opts):
    subject = wl.subject()
    analysis = mapping(canary.spec.get("analysis")) or mapping(canary.spec.get("canaryAnalysis")) or {}
    related = (Related(canary.name_at(), f"{canary.ref} drives this workload."),)
    if canary.spec.get("skipAnalysis") is True:
        return subject.fail(f"{canary.ref} sets skipAnalysis: true, so {wl.ref} is promoted without a canary "
                            f"phase; remove it.", at=canary.at("spec", "skipAnalysis"), key_path="spec.skipAnalysis",
                            related=related)
    if analysis.get("stepWeight") or analysis.get("stepWeights"):
        return subject.passed(f"Flagger {canary.ref} shifts traffic progressively")
    if analysis.get("iterations") and opts["accept_blue_green"]:
        return subject.passed("Flagger blue-green accepted (options.accept_blue_green)")
    return subject.fail(f"{canary.ref} shifts no traffic progressively (no stepWeight or stepWeights); set "
                        f"analysis.stepWeight and maxWeight.", at=canary.at("spec", "analysis"),
                        key_path="spec.analysis", related=related)


@rule(code="CD002", slug="canary-strategy", scope="workload", severity="warning", confidence="high",
      evidence="A, M", options={"accept_blue_green": False, "exempt_statefulsets": False})
def check(index, opts):
    for wl in index.workloads_for(long_running=True):
        if wl.kind == "DaemonSet" or (wl.kind == "StatefulSet" and opts["exempt_statefulsets"]):
            yield wl.subject().not_applicable(NOT_RELEVANT, f"a {wl.kind} is not shipped by canary")
        elif not index.is_serving(wl):
            yield wl.subject().not_applicable(NOT_RELEVANT, "no Service selects its pods")
        elif wl.kind == "Rollout":
            yield judge_rollout(wl, opts)
        elif canaries := flagger_canaries(index, wl):
            yield judge_flagger(wl, canaries[0], opts)
        else:
            at_strategy = "strategy" in wl.obj.spec or "updateStrategy" in wl.obj.spec
            key = "updateStrategy" if wl.kind != "Deployment" and "updateStrategy" in wl.obj.spec else "strategy"
            yield wl.subject().fail(
                f"{wl.ref} has no canary: its rolling update moves every user to a new version at once. Use an "
                f"Argo Rollouts canary or a Flagger Canary.",
                at=wl.obj.at("spec", key) if at_strategy else wl.obj.at("spec"), key_path=f"spec.{key}")
