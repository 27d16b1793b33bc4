"""Backup evidence: stateful components, the schedules that cover them, and schedule arithmetic.

Stateful components (rules.md 0.10) are workloads with ``volumeClaimTemplates`` or a mounted PVC,
PVCs no long-running workload mounts, database operator CRs and database chart dependencies. A component is covered
by a Velero Schedule, a CloudNativePG ScheduledBackup, a k8up Schedule, a snapscheduler SnapshotSchedule,
an operator's own backup block, or a CronJob that runs a dump or backup tool in its namespace.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import NamedTuple

from .. import lazy_re
from .objects import K8sObject, dig, mapping, sequence

# Operator CRs that hold a database: (group, kind) -> where the CR keeps its own backup schedule, if anywhere.
DATABASE_CRS = {
    ("postgresql.cnpg.io", "Cluster"): None,
    ("acid.zalan.do", "postgresql"): ("spec", "enableLogicalBackup"),
    ("postgres-operator.crunchydata.com", "PostgresCluster"): ("spec", "backups"),
    ("pxc.percona.com", "PerconaXtraDBCluster"): ("spec", "backup", "schedule"),
    ("psmdb.percona.com", "PerconaServerMongoDB"): ("spec", "backup", "tasks"),
    ("ps.percona.com", "PerconaServerMySQL"): ("spec", "backup", "schedule"),
    ("mongodbcommunity.mongodb.com", "MongoDBCommunity"): None,
    ("mysql.oracle.com", "InnoDBCluster"): ("spec", "backupSchedules"),
    ("k8s.mariadb.com", "MariaDB"): None,
    ("rabbitmq.com", "RabbitmqCluster"): None,
    ("kafka.strimzi.io", "Kafka"): None,
    ("elasticsearch.k8s.elastic.co", "Elasticsearch"): None,
}
DATABASE_CHARTS = lazy_re.compile(r"^(postgresql(-ha)?|mysql|mariadb(-galera)?|mongodb(-sharded)?|cassandra|"
                             r"elasticsearch|opensearch|clickhouse|cockroachdb|etcd|influxdb2?|minio|neo4j|"
                             r"timescaledb.*|kafka|rabbitmq|zookeeper)$")
BACKUP_COMMAND = lazy_re.compile(r"pg_dump|pg_basebackup|mysqldump|mariadb-dump|mongodump|etcdctl snapshot|"
                            r"velero backup|restic backup|kopia snapshot|\bbackup\b", re.IGNORECASE)


class Component(NamedTuple):
    """Something whose data would be lost with the cluster: ``obj`` locates it, ``segments`` the storage key."""

    obj: K8sObject
    segments: tuple
    what: str  # what would be lost: "volume data", "database"

    @property
    def namespace(self) -> str:
        return self.obj.namespace


def stateful_components(index) -> list[Component]:
    found, mounted = [], set()
    for wl in index.workloads_for(long_running=True, skip_hooks=True):
        if sequence(wl.obj.spec.get("volumeClaimTemplates")):
            found.append(Component(wl.obj, ("spec", "volumeClaimTemplates"), "volume data"))
            continue
        claims = [(i, str(dig(v, "persistentVolumeClaim", "claimName")))
                  for i, v in enumerate(sequence(wl.pod_spec.get("volumes")))
                  if mapping(dig(v, "persistentVolumeClaim")) is not None]
        for _, claim in claims:
            mounted.add((wl.namespace, claim))
        if claims:
            found.append(Component(wl.obj, wl.pod_spec_path + ("volumes", claims[0][0]), "volume data"))
    for pvc in index.of_kind("PersistentVolumeClaim"):
        if not index.is_excluded(pvc) and (pvc.namespace, pvc.name) not in mounted:
            found.append(Component(pvc, ("spec",), "volume data"))
    for obj in index.objects:
        if (obj.group, obj.kind) in DATABASE_CRS and not index.is_excluded(obj):
            found.append(Component(obj, ("spec",), "database"))
    return found


def database_chart_dependencies(index) -> list[tuple[str, str, int]]:
    """(Chart.yaml path, dependency name, line) of database charts the repository's charts depend on."""
    out = []
    for path, docs in index.documents.items():
        if not path.lower().endswith("chart.yaml"):
            continue
        for doc in docs:
            for i, dep in enumerate(sequence(dig(doc.data, "dependencies"))):
                name = str(dig(dep, "name") or "")
                if DATABASE_CHARTS.match(name):
                    out.append((path, name, dep.kpos.get("name", (doc.data.line,))[0]))
    return out


# -- schedule arithmetic --------------------------------------------------------------------------------

_GO_DURATION = lazy_re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def go_duration(text) -> float | None:
    """Seconds in a Go duration (``720h0m0s``, ``1.5h``), or None when ``text`` is not one."""
    text = str(text).strip() if text is not None else ""
    if not text or _GO_DURATION.sub("", text) != "":
        return None
    return sum(float(n) * _UNITS[u] for n, u in _GO_DURATION.findall(text))


_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
           "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def cron_fields(expr) -> list[str] | None:
    text = str(expr or "").strip()
    text = _MACROS.get(text, text)
    fields = text.split()
    return fields if fields else None


def _values(field: str, low: int, high: int) -> set[int] | None:
    out = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                return None
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            if not (a.isdigit() and b.isdigit()):
                return None
            start, end = int(a), int(b)
        elif part.isdigit():
            start = int(part)
            end = high if step > 1 else start
        else:
            return None
        out.update(range(start, end + 1, step))
    return out


def cron_interval(expr) -> float | None:
    """The longest gap, in seconds, between two runs of a five-field cron (None when it cannot be read).

    ``@every <duration>`` (Velero accepts it) is read as that duration.
    """
    text = str(expr or "").strip()
    if text.startswith("@every "):
        return go_duration(text[7:])
    fields = cron_fields(text)
    if not fields or len(fields) != 5:
        return None
    sets = [_values(f, *r) for f, r in zip(fields, _RANGES)]
    if any(s is None or not s for s in sets):
        return None
    minutes, hours, days, months, weekdays = sets
    weekdays = {d % 7 for d in weekdays}
    dom_any, dow_any = fields[2] in ("*", "?"), fields[4] in ("*", "?")
    start = _dt.datetime(2025, 1, 1)
    runs = []
    for offset in range(366 * 2):
        day = start + _dt.timedelta(days=offset)
        if day.month not in months:
            continue
        dom, dow = day.day in days, (day.weekday() + 1) % 7 in weekdays
        matched = dom and dow if (dom_any or dow_any) else dom or dow
        if matched:
            runs += [day + _dt.timedelta(hours=h, minutes=m) for h in sorted(hours) for m in sorted(minutes)]
    if len(runs) < 2:
        return None
    return max((b - a).total_seconds() for a, b in zip(runs, runs[1:]))


def human(seconds: float) -> str:
    if seconds % 86400 == 0:
        return f"{int(seconds // 86400)}d"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 60)}m"


def storage_location(index, schedule: K8sObject) -> tuple[str, K8sObject | None]:
    """(name, BackupStorageLocation) a Velero Schedule writes to; the object is None when the repository lacks it.

    Without ``template.storageLocation`` Velero uses the default location: the one marked ``spec.default: true``,
    else the one named ``default`` (the server's ``--default-backup-storage-location``).
    """
    locations = [o for o in index.all_objects if o.kind == "BackupStorageLocation" and o.group == "velero.io"]
    name = dig(schedule.spec, "template", "storageLocation")
    if name:
        same_ns = [o for o in locations if o.name == str(name) and o.namespace == schedule.namespace]
        found = same_ns or [o for o in locations if o.name == str(name)]
        return str(name), (found[0] if found else None)
    marked = [o for o in locations if o.spec.get("default") is True]
    named = [o for o in locations if o.name == "default"]
    found = marked or named
    return "the default location", (found[0] if found else None)
