"""Horizontal Pod Autoscaling enabled.

## What it does
Checks that every replicated workload is scaled by an `autoscaling/v2` HorizontalPodAutoscaler or a
KEDA ScaledObject whose `scaleTargetRef` names it, that can actually scale (maximum above minimum, at
least one trigger, not paused), that no VerticalPodAutoscaler evicts the same pods, and that every
autoscaler's target exists. Minimums below `min_replicas` are HA001's.

## Why it matters
A fixed replica count either wastes capacity or falls over at peak load. A broken autoscaler is worse
than none because it looks like protection.

## How to fix
Add an HPA targeting the workload with `maxReplicas` above `minReplicas`, and leave `spec.replicas`
unset on the workload so deployments do not fight the autoscaler.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 10
```

## Options
`exempt_statefulsets` (default `false`): StatefulSets are not judged.
"""
from readylint.findings import NOT_RELEVANT
from readylint.model.autoscaling import autoscaler_problems, dangling_autoscalers, vpas_evicting
from readylint.registry import rule


@rule(code="HA004", slug="horizontal-autoscaling", scope="workload", severity="warning", confidence="high",
      evidence="M, A", options={"exempt_statefulsets": False})
def check(index, opts):
    for scaler, why in dangling_autoscalers(index):
        yield scaler.subject().fail(why, at=scaler.at("spec", "scaleTargetRef", "name"),
                                    key_path="spec.scaleTargetRef")
    for wl in index.workloads_for(long_running=True):
        subject = wl.subject()
        if wl.kind == "DaemonSet" or (wl.kind == "StatefulSet" and opts["exempt_statefulsets"]):
            yield subject.not_applicable(NOT_RELEVANT, f"a {wl.kind} is not horizontally autoscaled here")
            continue
        scalers = index.autoscalers_targeting(wl)
        if not scalers:
            yield subject.fail(
                f"{wl.ref} has no HorizontalPodAutoscaler or KEDA ScaledObject, so its replica count cannot "
                f"follow load. Add an autoscaling/v2 HorizontalPodAutoscaler whose scaleTargetRef names it.",
                at=wl.obj.name_at(), key_path="metadata.name")
            continue
        problems = [p for scaler in scalers for p in autoscaler_problems(scaler)]
        for vpa, field in vpas_evicting(index, wl):
            problems.append((f"{vpa.ref} evicts the pods of {wl.ref} to resize them ({field or 'updateMode defaults to Auto'}) while "
                             f"{scalers[0].ref} scales them; use updateMode: Off or Initial.",
                             vpa.at("spec", "updatePolicy", "updateMode"),
                             f"VerticalPodAutoscaler/{vpa.name}.spec.updatePolicy.updateMode", None))
        if wl.declared_replicas is not None:
            problems.append((f"{wl.ref} pins spec.replicas: {wl.declared_replicas} although {scalers[0].ref} "
                             f"owns the count; every sync resets it. Remove the field.",
                             wl.obj.at("spec", "replicas"), "spec.replicas", "warning"))
        for message, at, path, level in problems:
            yield subject.fail(message, at=at, key_path=path, level=level)
        if not problems:
            yield subject.passed()
