"""Pod anti-affinity rules set.

## What it does
Checks that every replicated workload (Deployment, StatefulSet, ReplicaSet, Argo Rollout) keeps its own
pods apart: a `podAntiAffinity` term (required, or the `podAffinityTerm` of a preferred one) whose
`labelSelector` matches the pod template's own labels and whose `topologyKey` is
`kubernetes.io/hostname`, `topology.kubernetes.io/zone` or `topology.kubernetes.io/region`, or a
`topologySpreadConstraints` entry on `kubernetes.io/hostname` that matches the pods.

## Why it matters
Without it the scheduler may place every replica on the same node, and one node failure or drain
takes the whole service down however many replicas it runs.

## How to fix
Add a preferred anti-affinity term on `kubernetes.io/hostname` whose selector repeats the pod labels
(prefer *preferred* over *required*: required terms stop scheduling once replicas exceed nodes).

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
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels: {app: api}
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
```
"""
from readylint.findings import NOT_RELEVANT
from readylint.model.objects import key_path
from readylint.model.scheduling import HOSTNAME_KEYS, SPREAD_KEYS, anti_affinity_terms, spread_constraints
from readylint.registry import rule


@rule(code="HA002", slug="pod-anti-affinity", scope="workload", severity="warning", confidence="high",
      evidence="M")
def check(index, opts):
    for wl in index.workloads_for(long_running=True):
        subject = wl.subject()
        if wl.kind == "DaemonSet":
            yield subject.not_applicable(NOT_RELEVANT, "a DaemonSet runs one pod per node")
            continue
        terms = anti_affinity_terms(wl)
        spread = [c for c in spread_constraints(wl) if c.topology_key in HOSTNAME_KEYS and c.matches_own]
        if spread or any(t.matches_own and t.topology_key in SPREAD_KEYS for t in terms):
            yield subject.passed()
        elif not terms:
            yield subject.fail(
                f"{wl.ref} has no pod anti-affinity: every replica may land on the same node. Add a preferred "
                f"podAntiAffinity term on kubernetes.io/hostname that selects the pod's own labels.",
                at=wl.at(*wl.pod_spec_path, "affinity"), key_path=key_path(*wl.pod_spec_path, "affinity"))
        else:
            term = terms[0]
            if not term.matches_own:
                where, defect = term.path + ("labelSelector",), (
                    "whose labelSelector does not match the pod template's own labels, so it does not keep "
                    "the replicas apart from each other")
            else:
                where, defect = term.path + ("topologyKey",), (
                    f"on topologyKey {term.topology_key or '(none)'!r}, which is not a node, zone or region key")
            yield subject.fail(f"{wl.ref} has a pod anti-affinity term {defect}.",
                               at=wl.at(*where), key_path=key_path(*where))
