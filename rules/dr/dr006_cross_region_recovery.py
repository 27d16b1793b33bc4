"""Cross-region recovery tested.

## What it does
Checks two things, one finding each: (a) backups land in another region: a Velero BackupStorageLocation
whose `spec.config.region` differs from `project.primary_region`, or locations in at least two regions, or
a CloudNativePG replica cluster (`spec.replica.enabled`) or object store in another region (the region of
`barmanObjectStore` in `spec.backup`, `spec.externalClusters` or a Barman Cloud ObjectStore is read from
the regional endpoint in `endpointURL` or `destinationPath`); and (b) a
region failover was exercised within `dr_exercise_max_age_days` (an exercise record with `exercise_type:
region-failover`). With `project.primary_region` unset and a single location, (a) is unknown. Multi-zone
is not multi-region, and a bucket name that contains a region proves nothing. `platform.single_region_by_policy`
(data residency) makes the rule not applicable.

## Why it matters
A region outage takes the cluster, its backups in the same region and often the team's tooling with it;
only a copy elsewhere, restored at least once, survives it.

## How to fix
Configure a BackupStorageLocation (or replica cluster) in a second region, set `project.primary_region`,
and run and record a region failover exercise.

## Example
```yaml fail
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: default, namespace: velero}
spec:
  provider: aws
  config: {region: eu-west-1}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
```yaml pass
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
```yaml pass file=.readylint.yaml
platform:
  single_region_by_policy: true
```
"""
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT
from readylint.model.docs import today
from readylint.model.dr import dr_not_relevant, exercises, object_stores, store_region
from readylint.model.objects import dig, mapping
from readylint.registry import rule


def locations(index):
    """(region or None, description, Location) of every backup target and replica."""
    found = []
    for obj in index.objects:
        if obj.group == "velero.io" and obj.kind == "BackupStorageLocation":
            region = dig(obj.spec, "config", "region")
            found.append((str(region) if region else None, obj.ref, obj.at("spec", "config", "region")))
        elif obj.group == "postgresql.cnpg.io" and obj.kind == "Cluster":
            if mapping(obj.spec.get("replica")) is not None and dig(obj.spec, "replica", "enabled") is not False:
                found.append(("replica", f"{obj.ref} (replica cluster)", obj.at("spec", "replica")))
        for store, path in object_stores(obj):
            region, at = store_region(obj, store, path)
            found.append((region, f"{obj.ref} object store {store.get('destinationPath') or ''}".strip(), at))
    return found


@rule(code="DR006", slug="cross-region-recovery", scope="repository", severity="note", confidence="low",
      evidence="M, R", options={"dr_exercise_max_age_days": 365})
def check(index, opts):
    subject = index.repo.subject("cross-region", "cross-region recovery")
    why = dr_not_relevant(index)
    if why:
        yield subject.not_applicable(NOT_RELEVANT, why)
        return
    if (index.settings.get("platform") or {}).get("single_region_by_policy") is True:
        yield subject.not_applicable(NOT_RELEVANT, "claim: platform.single_region_by_policy (data residency)")
        return
    yield from _copies(index, index.repo.subject("cross-region/backups", "cross-region backups"))
    yield from _exercise(index, index.repo.subject("cross-region/exercise", "region failover exercise"), opts)


def _copies(index, subject):
    primary = str((index.settings.get("project") or {}).get("primary_region") or "").strip().lower()
    found = locations(index)
    if any(region == "replica" for region, _, _ in found):
        yield subject.passed("a CloudNativePG replica cluster")
        return
    regions = {r.lower() for r, _, _ in found if r}
    if len(regions) >= 2 or (primary and regions - {primary}):
        yield subject.passed(f"backup locations in {', '.join(sorted(regions))}")
        return
    if found and not primary:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, "a single backup location and project.primary_region is "
                                                           "unset: cannot tell whether it is another region")
        return
    known = [f for f in found if f[0]]
    if found and not known:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"the region of {found[0][1]} cannot be read from its "
                                                           f"configuration (no region or regional endpoint)")
        return
    if found:
        region, what, at = known[0]
        yield subject.fail(f"All backups of the repository stay in the primary region {primary}: {what} stores "
                           f"them in {region}. Add a backup location in another region (a Velero "
                           f"BackupStorageLocation, or a CloudNativePG object store or replica cluster).",
                           at=at, key_path="backups.region")
        return
    yield subject.fail("No backup location in another region is defined (no Velero BackupStorageLocation or replica "
                       "cluster); add one in a second region, or declare platform.single_region_by_policy.",
                       at=index.repo.anchor(), key_path="backups.region")


def _exercise(index, subject, opts):
    records = [e for e in exercises(index) if e.type == "region-failover"]
    if not records:
        yield subject.fail("No region failover exercise is recorded; run one and record it as "
                           "docs/dr-exercises/YYYY-MM-DD-region-failover.md with exercise_type: region-failover.",
                           at=index.repo.anchor(), key_path="dr-exercise.region")
        return
    newest = records[0]
    if newest.date is None or (today(index) - newest.date).days > opts["dr_exercise_max_age_days"]:
        when = newest.date.isoformat() if newest.date else "an undated day"
        yield subject.fail(f"The newest region failover exercise {newest.path} ({when}) is older than "
                           f"{opts['dr_exercise_max_age_days']} days; exercise it again.", at=newest.location,
                           key_path="dr-exercise.region.age")
        return
    yield subject.passed(f"{newest.path}")
