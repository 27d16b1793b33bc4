"""Minimum 3 replicas configured.

## What it does
Checks that every long-running workload (Deployment, StatefulSet, ReplicaSet, Argo Rollout) runs at
least `min_replicas` pods. The count is the effective minimum: an HPA's `minReplicas` (default 1), else
a KEDA ScaledObject's `minReplicaCount` (default 0), else `spec.replicas` (default 1).

## Why it matters
With one or two pods, a single node drain, crash or rollout takes away all or half of the capacity.
Three replicas survive the loss of one pod while still spreading load.

## How to fix
Set `spec.replicas: 3` or, when an autoscaler owns the count, raise its minimum to 3 and leave
`spec.replicas` unset. A leader-elected singleton is waived with
`ignore.readylint.dev/HA001: "<reason>"`.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
```
"""
from readylint.findings import NOT_RELEVANT
from readylint.registry import rule

FIELD = {"HorizontalPodAutoscaler": "minReplicas", "ScaledObject": "minReplicaCount"}


@rule(code="HA001", slug="min-replicas", scope="workload", severity="error", confidence="high",
      evidence="M, A", options={"min_replicas": 3})
def check(index, opts):
    minimum = opts["min_replicas"]
    for wl in index.workloads_for(long_running=True):
        subject = wl.subject()
        if wl.kind == "DaemonSet":
            yield subject.not_applicable(NOT_RELEVANT, "a DaemonSet runs one pod per node")
            continue
        low, _high, scaler = index.effective_replicas(wl)
        if low >= minimum:
            yield subject.passed()
        elif scaler is not None:
            field = FIELD[scaler.kind]
            how = (f"sets {field}: {low}" if field in scaler.spec
                   else f"leaves {field} unset, which defaults to {low}")
            yield subject.fail(
                f"{wl.ref} can scale down to {_replicas(low)}: {scaler.ref} {how}; raise it to at least "
                f"{minimum}.",
                at=scaler.at("spec", field), key_path=f"{scaler.kind}/{scaler.name}.spec.{field}")
        else:
            written = "defaults to 1 replica" if wl.declared_replicas is None else f"runs {_replicas(low)}"
            yield subject.fail(
                f"{wl.ref} {written}; at least {minimum} are needed to survive the loss of a pod.",
                at=wl.obj.at("spec", "replicas") if wl.declared_replicas is not None else wl.obj.name_at(),
                key_path="spec.replicas")


def _replicas(count):
    return f"{count} replica" if count == 1 else f"{count} replicas"
