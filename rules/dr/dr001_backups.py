"""Backup procedures established.

## What it does
Finds the stateful components (workloads with `volumeClaimTemplates` or a mounted PersistentVolumeClaim, PVCs
no workload mounts, database operator CRs such as CloudNativePG `Cluster`) and checks that a backup schedule
covers each one: a Velero `Schedule` whose namespaces include the component's (empty means all) and that keeps
volume data and writes to a `BackupStorageLocation` defined in the repository (`template.storageLocation`, else
the location marked `default: true` or named `default`; a location defined nowhere makes the component unknown,
not passing), a CloudNativePG `ScheduledBackup` of the cluster (with `spec.backup` on the Cluster), a k8up
`Schedule` or snapscheduler `SnapshotSchedule` in the namespace, the operator's own backup block, or a CronJob in
the namespace that runs a dump or backup tool. Schedules are checked too: `paused: true`, a `ttl` shorter than
the interval between runs, `snapshotVolumes: false` without file-system backup, and a five-field cron on a
CloudNativePG ScheduledBackup (it takes six fields, seconds first). Repositories without stateful components
are not judged unless `project.critical` is true.

## Why it matters
A volume or database without a scheduled, retained copy is lost with its cluster, region or a bad migration.

## How to fix
Add a Velero Schedule (or your operator's scheduled backup) that covers the namespace and keeps data for longer
than the interval between runs. Backups scheduled from a platform repository are declared with
`platform.backups: provided`; caches with volumes that need no backup are waived with a reason.

## Example
```yaml fail
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  volumeClaimTemplates:
    - metadata: {name: data}
```
```yaml pass
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  volumeClaimTemplates:
    - metadata: {name: data}
---
apiVersion: velero.io/v1
kind: Schedule
metadata: {name: shop-daily, namespace: velero}
spec:
  schedule: "0 2 * * *"
  template:
    includedNamespaces: [shop]
    snapshotVolumes: true
    ttl: 720h0m0s
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: default, namespace: velero}
spec:
  provider: aws
  default: true
  objectStorage: {bucket: shop-backups}
```
"""
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location, Related
from readylint.model.backups import (BACKUP_COMMAND, DATABASE_CRS, cron_fields, cron_interval,
                                     database_chart_dependencies, go_duration, human, stateful_components,
                                     storage_location)
from readylint.model.objects import dig, mapping, sequence
from readylint.registry import rule

CLAIM = "claim: platform.backups is provided (schedules live in a platform repository)"


def schedule_defects(obj):
    """(segments, message) for what makes a schedule unfit, whatever it covers."""
    spec, out = obj.spec, []
    if obj.group == "velero.io":
        template = mapping(spec.get("template")) or {}
        interval = cron_interval(spec.get("schedule"))
        ttl = go_duration(template.get("ttl") or "720h")
        if interval and ttl is not None and ttl < interval:
            out.append((("spec", "template", "ttl"), f"{obj.ref} keeps backups for {template.get('ttl')} but runs "
                        f"only every {human(interval)}, so there are times with no backup at all; raise ttl above "
                        f"the interval."))
        if template.get("snapshotVolumes") is False and template.get("defaultVolumesToFsBackup") is not True:
            out.append((("spec", "template", "snapshotVolumes"), f"{obj.ref} excludes volume data "
                        f"(snapshotVolumes: false without defaultVolumesToFsBackup), so it saves manifests but no "
                        f"data; enable one of them."))
    if obj.group == "postgresql.cnpg.io":
        fields = cron_fields(spec.get("schedule"))
        if fields and len(fields) == 5:
            out.append((("spec", "schedule"), f"{obj.ref} uses the five-field cron '{spec.get('schedule')}', but "
                        f"CloudNativePG expects six fields with seconds first, so the schedule is misread or "
                        f"rejected. Prepend the seconds field ('0 {spec.get('schedule')}')."))
    return out


def schedules(index):
    """Every backup schedule object of the render, with the namespaces it covers (None: all)."""
    out = []
    for obj in index.objects:
        if obj.group == "velero.io" and obj.kind == "Schedule":
            template = mapping(obj.spec.get("template")) or {}
            included = [str(n) for n in sequence(template.get("includedNamespaces"))]
            excluded = {str(n) for n in sequence(template.get("excludedNamespaces"))}
            out.append((obj, None if not included or "*" in included else set(included), excluded))
        elif (obj.group, obj.kind) in (("k8up.io", "Schedule"), ("snapscheduler.backube", "SnapshotSchedule")):
            out.append((obj, {obj.namespace}, set()))
        elif obj.kind == "CronJob" and obj.group == "batch" and _runs_backup(obj):
            out.append((obj, {obj.namespace}, set()))
    return out


def _runs_backup(cronjob):
    text = " ".join([cronjob.name] + [str(v) for c in sequence(dig(cronjob.spec, "jobTemplate", "spec", "template",
                                                                   "spec", "containers"))
                                      for key in ("command", "args") for v in sequence(dig(c, key))])
    return bool(BACKUP_COMMAND.search(text))


def cover(index, component, all_schedules):
    """(schedule, paused) pairs that cover the component."""
    out = []
    if (component.obj.group, component.obj.kind) == ("postgresql.cnpg.io", "Cluster"):
        has_destination = mapping(component.obj.spec.get("backup")) or sequence(component.obj.spec.get("plugins"))
        for obj in index.in_namespace(component.namespace, "ScheduledBackup"):
            if obj.group == "postgresql.cnpg.io" and dig(obj.spec, "cluster", "name") == component.obj.name:
                out.append(obj if has_destination else _NoDestination(obj))
    else:
        own = DATABASE_CRS.get((component.obj.group, component.obj.kind))
        if own and dig(component.obj.data, *own):
            return [component.obj]
    for obj, included, excluded in all_schedules:
        if (included is None or component.namespace in included) and component.namespace not in excluded:
            out.append(obj)
    return out


class _NoDestination:
    """A CloudNativePG ScheduledBackup whose Cluster has no ``spec.backup``: it cannot write anywhere."""

    def __init__(self, obj):
        self.obj = obj


def _paused(obj):
    return isinstance(obj, _NoDestination) or obj.spec.get("paused") is True or obj.spec.get("suspend") is True


@rule(code="DR001", slug="backups", scope="workload", severity="error", confidence="medium", evidence="M,R")
def check(index, opts):
    claimed = (index.settings.get("platform") or {}).get("backups") == "provided"
    critical = (index.settings.get("project") or {}).get("critical") is True
    components = stateful_components(index)
    all_schedules = schedules(index)
    scheduled_backups = [o for o in index.of_kind("ScheduledBackup") if o.group == "postgresql.cnpg.io"]
    for obj in [o for o, _, _ in all_schedules] + scheduled_backups:
        for segments, message in schedule_defects(obj):
            yield obj.subject().fail(message, at=obj.at(*segments), key_path=".".join(segments))
    for component in components:
        subject = component.obj.subject()
        if claimed:
            yield subject.passed(CLAIM)
            continue
        covering = cover(index, component, all_schedules)
        active = [o for o in covering if not _paused(o)]
        unresolved = [o for o in active if o.group == "velero.io" and storage_location(index, o)[1] is None]
        resolved = [o for o in active if o not in unresolved]
        if resolved:
            yield subject.passed(f"backed up by {resolved[0].ref}")
            continue
        if unresolved:
            name = storage_location(index, unresolved[0])[0]
            shown = name if name == "the default location" else f"storage location {name!r}"
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{unresolved[0].ref} covers it, but {shown} (a "
                                                               f"Velero BackupStorageLocation) is not defined in the "
                                                               f"repository, so where backups go is unknown")
            continue
        if covering and isinstance(covering[0], _NoDestination):
            yield subject.fail(f"{component.obj.ref} has {covering[0].obj.ref} but no spec.backup (object store or "
                               f"plugin), so the scheduled backups have nowhere to go; configure spec.backup.",
                               at=component.obj.at("spec"), key_path="spec.backup",
                               related=[Related(covering[0].obj.name_at(), f"{covering[0].obj.ref} schedules it.")])
            continue
        if covering:
            paused = covering[0]
            yield subject.fail(f"The only backup schedule of {component.obj.ref}, {paused.ref}, is paused, so its "
                               f"data is not backed up; unpause it.", at=paused.at("spec", "paused")
                               if "paused" in paused.spec else paused.at("spec", "suspend"),
                               key_path=f"{paused.kind}/{paused.name}.spec.paused",
                               related=[Related(component.obj.at(*component.segments), f"{component.obj.ref} "
                                                f"keeps its data here.")])
            continue
        extra = " and a ScheduledBackup" if component.obj.kind == "Cluster" else ""
        yield subject.fail(f"No backup schedule covers {component.obj.ref}, so its {component.what} would be "
                           f"lost with the cluster; add a Velero Schedule for namespace {component.namespace}{extra} "
                           f"or your operator's scheduled backup.",
                           at=component.obj.at(*component.segments), key_path=".".join(
                               s for s in component.segments if isinstance(s, str)))
    for path, name, line in database_chart_dependencies(index):
        subject = index.repo.subject(f"chart-dependency/{name}", f"chart dependency {name}")
        if claimed or all_schedules:
            yield subject.passed(CLAIM if claimed else f"backup schedule {all_schedules[0][0].ref}")
        else:
            yield subject.fail(f"The chart depends on the database chart {name}, but no backup schedule is defined; "
                               f"add a Velero Schedule or the chart's scheduled backup.", at=Location(path, line),
                               key_path=f"dependencies[name={name}]")
    if not components and not database_chart_dependencies(index):
        subject = index.repo.subject("backups", "the repository's backups")
        if not critical:
            yield subject.not_applicable(NOT_RELEVANT, "no stateful component (PVC, volumeClaimTemplates, database "
                                                       "operator CR) and project.critical is not set")
        elif claimed:
            yield subject.passed(CLAIM)
        elif all_schedules:
            yield subject.passed(f"backup schedule {all_schedules[0][0].ref}")
        else:
            yield subject.fail("The project is marked critical but the repository defines no backup schedule; add "
                               "one, or declare platform.backups: provided.", at=index.repo.anchor(),
                               key_path="backups")
