"""Pod disruption budgets defined.

## What it does
Checks that every replicated workload has exactly one `policy/v1` PodDisruptionBudget selecting its
pods, and that the budget still allows at least one voluntary eviction at the effective replica count
(percentages are resolved against that count and rounded up, as the disruption controller does).

## Why it matters
Without a budget a node drain or cluster upgrade may evict every replica at once. A budget that allows
no eviction (`maxUnavailable: 0`, `minAvailable` equal to the replicas) blocks drains for ever, and two
budgets over the same pods make the Eviction API refuse to evict them at all.

## How to fix
Add one `policy/v1` PodDisruptionBudget whose selector matches the pod labels, with `maxUnavailable: 1`
(or a `minAvailable` below the minimum replica count). Remove overlapping budgets.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: api}
```
"""
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.budgets import allowed_disruptions, budget_field
from readylint.registry import rule


@rule(code="HA003", slug="pod-disruption-budget", scope="workload", severity="warning", confidence="high",
      evidence="M")
def check(index, opts):
    for wl in index.workloads_for(long_running=True):
        subject = wl.subject()
        if wl.kind == "DaemonSet":
            yield subject.not_applicable(NOT_RELEVANT, "a DaemonSet runs one pod per node")
            continue
        budgets = index.pdbs_selecting(wl)
        if not budgets:
            yield subject.fail(
                f"{wl.ref} has no PodDisruptionBudget: a node drain may evict all of its pods at once. Add a "
                f"policy/v1 budget with maxUnavailable: 1 that selects its pods.",
                at=wl.obj.name_at(), key_path="metadata.name")
            continue
        replicas = max(index.effective_replicas(wl)[0], 1)
        failures = []
        if len(budgets) > 1:
            names = ", ".join(b.name for b in budgets)
            failures.append((budgets[0], "", f"{len(budgets)} PodDisruptionBudgets ({names}) select the pods of "
                             f"{wl.ref}; the Eviction API refuses to evict pods covered by more than one.",
                             [Related(_at(b), f"{b.ref} also selects these pods.") for b in budgets[1:]]))
        for budget in budgets:
            if budget.api_version != "policy/v1":
                failures.append((budget, "apiVersion", f"{budget.ref} uses {budget.api_version}, removed in "
                                 f"Kubernetes 1.25; use policy/v1.", []))
            allowed = allowed_disruptions(budget, replicas)
            if allowed == 0:
                field = budget_field(budget)
                failures.append((budget, f"spec.{field}", f"{budget.ref} allows no voluntary eviction of "
                                 f"{wl.ref} at {replicas} replica{'s' if replicas != 1 else ''} "
                                 f"({field}: {budget.spec[field]}), so node drains never finish.", []))
        if not failures:
            yield subject.passed()
        for budget, field, message, related in failures:
            at = budget.at(*field.split(".")) if field else _at(budget)
            yield subject.fail(message, at=at, key_path=f"PodDisruptionBudget/{budget.name}.{field or 'spec'}",
                               related=related)


def _at(budget):
    field = budget_field(budget)
    return budget.at("spec", field) if field else budget.at("spec")
