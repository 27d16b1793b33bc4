"""Multi-zone deployment configured.

## What it does
Checks that every replicated workload spreads its pods across zones: a `topologySpreadConstraints`
entry on `topology.kubernetes.io/zone` whose selector matches the pods with `maxSkew: 1`, or a
zone-keyed pod anti-affinity term; that nothing pins it to a single zone (`nodeSelector`,
`nodeAffinity`, a one-zone StorageClass); and, as a `warning`, that it runs at least
`expected_zones` replicas. The claim `platform.single_zone: true` makes the rule not applicable.

## Why it matters
Replicas that share a zone all go down with it, and a zone outage is a routine cloud event.

## How to fix
Add a zone spread constraint selecting the pod labels with `maxSkew: 1`, and run at least one replica
per zone.

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
      topologySpreadConstraints:
        - topologyKey: topology.kubernetes.io/zone
          maxSkew: 1
          whenUnsatisfiable: DoNotSchedule
          labelSelector:
            matchLabels: {app: api}
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
```

## Options
`expected_zones` (default `3`, also `thresholds.expected_zones`): zones the cluster spans.
"""
from readylint.findings import NOT_RELEVANT
from readylint.model.objects import key_path
from readylint.model.scheduling import ZONE_KEYS, anti_affinity_terms, single_zone_storage, spread_constraints, \
    zone_pin
from readylint.registry import rule


@rule(code="HA005", slug="multi-zone-spread", scope="workload", severity="warning", confidence="medium",
      evidence="M", options={"expected_zones": 3})
def check(index, opts):
    single_zone = index.settings.get("platform", {}).get("single_zone") is True
    for wl in index.workloads_for(long_running=True):
        subject = wl.subject()
        if wl.kind == "DaemonSet":
            yield subject.not_applicable(NOT_RELEVANT, "a DaemonSet runs one pod per node")
            continue
        if single_zone:
            yield subject.not_applicable(NOT_RELEVANT, "the claim platform.single_zone says the cluster has one zone")
            continue
        yield from _judge(index, wl, subject, opts["expected_zones"])


def _judge(index, wl, subject, zones):
    spec_path = wl.pod_spec_path
    spread = [c for c in spread_constraints(wl) if c.topology_key in ZONE_KEYS]
    good = [c for c in spread if c.matches_own and c.data.get("maxSkew") == 1]
    anti = [t for t in anti_affinity_terms(wl) if t.topology_key in ZONE_KEYS and t.matches_own]
    pin, storage = zone_pin(wl), single_zone_storage(index, wl)
    failures = []
    if pin:
        failures.append((f"{wl.ref} is pinned to zone {pin[0]!r}, so a zone outage takes down every replica.",
                         pin[1]))
    if storage:
        failures.append((f"{wl.ref} claims volumes from {storage[0].ref}, which only provisions in zone "
                         f"{storage[1]!r}.", ("spec", "volumeClaimTemplates")))
    if not good and not anti:
        if spread and not spread[0].matches_own:
            failures.append((f"{wl.ref} has a zone spread constraint whose labelSelector matches none of its "
                             f"pods, so it spreads nothing.", spread[0].path + ("labelSelector",)))
        elif spread:
            failures.append((f"{wl.ref} spreads across zones with maxSkew {spread[0].data.get('maxSkew')}; use "
                             f"maxSkew: 1 so no zone holds more than its share.", spread[0].path + ("maxSkew",)))
        else:
            failures.append((f"{wl.ref} has no topology spread constraint on topology.kubernetes.io/zone, so "
                             f"its replicas may share one zone. Add one with maxSkew: 1 and a labelSelector that "
                             f"matches its pods.", spec_path + ("topologySpreadConstraints",)))
    for message, where in failures:
        yield subject.fail(message, at=wl.at(*where), key_path=key_path(*where))
    low, _high, scaler = index.effective_replicas(wl)
    if not failures and 2 <= low < zones:
        owner, field = (scaler, "minReplicas" if scaler.kind != "ScaledObject" else "minReplicaCount") \
            if scaler else (wl.obj, "replicas")
        yield subject.fail(f"{wl.ref} runs {low} replicas, fewer than the {zones} zones expected, so at least "
                           f"one zone has no replica.", at=owner.at("spec", field),
                           key_path=f"spec.{field}", level="warning")
    elif not failures:
        yield subject.passed()
