"""Disaster-recovery evidence for DR002-DR006: relevance, the DR plan, exercise records, backup intervals.

The DR family (rules.md 0.10) applies only when the repository holds state (model/backups.py finds it)
or ``project.critical`` is set. The plan and the exercise records are documents with front matter; a
backup schedule's worst gap between two runs is the data a restore can lose (compared with the RPO).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from .. import lazy_re
from ..findings import Location
from .backups import cron_interval as backup_gap
from .backups import database_chart_dependencies, stateful_components
from .doc_requirements import DocRequirement, SectionSpec, evaluate
from .docs import docs
from .facts import parse_date, parse_duration
from .objects import dig, mapping

PLAN = DocRequirement(
    name="disaster recovery plan",
    paths=("docs/dr-plan.md", "DISASTER_RECOVERY.md", "docs/dr*.md", "docs/disaster-recovery*.md",
           "docs/**/dr-plan.md", "docs/**/disaster-recovery*.md", "DR.md", "docs/dr*.rst", "docs/dr*.adoc"),
    headings=(r"disaster[ -]recovery|\bDR\b",),
    fix="Add docs/dr-plan.md with front matter rto_minutes, rpo_minutes, last_reviewed and approver.",
)
EXERCISE_GLOBS = ("docs/dr-exercises/*.md", "docs/dr-exercises/*.rst", "docs/dr-exercises/*.adoc")
EXERCISE_SECTIONS = (SectionSpec("Scenario", (r"scenario",)),
                     SectionSpec("Recovery Steps Tested", (r"recovery steps|steps tested|steps",)),
                     SectionSpec("Participants", (r"participants|attendees|people",)))
EXERCISE_TYPES = ("tabletop", "restore", "failover", "region-failover")


def dr_not_relevant(index) -> str | None:
    """Why the DR family does not apply (no state, not critical), else None."""
    if (index.settings.get("project") or {}).get("critical") is True:
        return None
    if stateful_components(index) or database_chart_dependencies(index):
        return None
    return "no stateful component (PVC, volumeClaimTemplates, database CR or chart) and project.critical is not set"


# -- exercise records --------------------------------------------------------------------------------------

@dataclass
class Exercise:
    path: str
    date: _dt.date | None
    type: str
    type_line: int
    duration_minutes: float | None
    doc: object

    @property
    def location(self) -> Location:
        return Location(self.path, self.type_line, 1)


def exercises(index) -> list[Exercise]:
    """Exercise records, newest first (date from the file name, else front matter ``date``)."""
    out = []
    docset = docs(index)
    for path in docset.find(*EXERCISE_GLOBS):
        doc = docset.get(path)
        if doc is None:
            continue
        name = path.rsplit("/", 1)[-1]
        date = parse_date(name) or parse_date(doc.front_matter.get("date"))
        kind = str(doc.front_matter.get("exercise_type") or "").strip().lower()
        line = doc.front_matter_lines.get("exercise_type", 1)
        duration = parse_duration(doc.front_matter.get("duration_minutes"))
        out.append(Exercise(path, date, kind, line, duration, doc))
    out.sort(key=lambda e: (e.date or _dt.date.min, e.path), reverse=True)
    return out


# -- backup schedules --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BackupSchedule:
    what: str
    interval_minutes: float | None  # worst gap between two backups; None when unparseable
    location: Location
    namespace: str = ""


CONTINUOUS_MINUTES = 5.0  # WAL archiving ships a segment at least every archive_timeout (5 min by default)


def backup_schedules(index) -> list[BackupSchedule]:
    """Velero, CloudNativePG, k8up and snapscheduler schedules, and continuous WAL archiving."""
    out = []
    for obj in index.objects:
        group, kind, spec = obj.group, obj.kind, obj.spec
        if group == "velero.io" and kind == "Schedule":
            if spec.get("paused") is True:
                continue
            out.append(BackupSchedule(obj.ref, cron_interval(spec.get("schedule")), obj.at("spec", "schedule"),
                                      obj.namespace))
        elif group == "postgresql.cnpg.io" and kind == "ScheduledBackup":
            if spec.get("suspend") is True:
                continue
            out.append(BackupSchedule(obj.ref, cron_interval(spec.get("schedule"), seconds=True),
                                      obj.at("spec", "schedule"), obj.namespace))
        elif group == "postgresql.cnpg.io" and kind == "Cluster" and mapping(dig(spec, "backup", "barmanObjectStore")):
            out.append(BackupSchedule(f"{obj.ref} (continuous WAL archiving)", CONTINUOUS_MINUTES,
                                      obj.at("spec", "backup"), obj.namespace))
        elif group == "k8up.io" and kind == "Schedule":
            out.append(BackupSchedule(obj.ref, cron_interval(dig(spec, "backup", "schedule")),
                                      obj.at("spec", "backup", "schedule"), obj.namespace))
        elif group == "snapscheduler.backube" and kind == "SnapshotSchedule":
            out.append(BackupSchedule(obj.ref, cron_interval(spec.get("schedule")), obj.at("spec", "schedule"),
                                      obj.namespace))
    return out


def cron_interval(expr, seconds: bool = False) -> float | None:
    """The longest gap in minutes between two runs (CloudNativePG crons carry a leading seconds field)."""
    if seconds and isinstance(expr, str) and len(expr.split()) == 6:
        expr = " ".join(expr.split()[1:])
    gap = backup_gap(expr)
    return None if gap is None else gap / 60


def plan(index):
    """The DR plan (a DocMatch) or None."""
    cached = index.__dict__.get("_dr_plan", False)
    if cached is False:
        cached = index.__dict__["_dr_plan"] = evaluate(index, PLAN)
    return cached


# -- object-store regions ----------------------------------------------------------------------------------

# A region is read from the storage endpoint's host only (AWS, Wasabi, OCI, DigitalOcean Spaces): a bucket
# name that contains a region string proves nothing (rules.md DR006).
_ENDPOINT_REGION = (
    lazy_re.compile(r"(?:^|[/.])s3[.-](?:dualstack\.|fips\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\."
               r"(?:amazonaws\.com|wasabisys\.com)"),
    lazy_re.compile(r"objectstorage\.([a-z]{2}-[a-z]+-\d)\.oraclecloud\.com"),
    lazy_re.compile(r"//(?:[\w-]+\.)?([a-z]{3}\d)\.digitaloceanspaces\.com"),
)


def endpoint_region(url) -> str | None:
    for regex in _ENDPOINT_REGION:
        found = regex.search(str(url or "").lower())
        if found:
            return found.group(1)
    return None


def object_stores(obj):
    """(store mapping, key path) of the CloudNativePG object stores of ``obj``: a Cluster's
    `spec.backup.barmanObjectStore` and `spec.externalClusters[].barmanObjectStore` (recovery or replica
    sources), or a Barman Cloud plugin ObjectStore's `spec.configuration`."""
    if obj.group == "postgresql.cnpg.io" and obj.kind == "Cluster":
        store = mapping(dig(obj.spec, "backup", "barmanObjectStore"))
        if store is not None:
            yield store, ("spec", "backup", "barmanObjectStore")
        for item in obj.spec.get("externalClusters") or ():
            store = mapping(item.get("barmanObjectStore")) if isinstance(item, dict) else None
            if store is not None:
                yield store, ("spec", "externalClusters", ("name", item.get("name")), "barmanObjectStore")
    elif obj.group == "barmancloud.cnpg.io" and obj.kind == "ObjectStore":
        store = mapping(obj.spec.get("configuration"))
        if store is not None:
            yield store, ("spec", "configuration")


def store_region(obj, store, path) -> tuple[str | None, Location]:
    """The region of a CloudNativePG object store (from `endpointURL`, else `destinationPath`) and the line
    that shows it (the destinationPath line when the region is unknown)."""
    for key in ("endpointURL", "destinationPath"):
        region = endpoint_region(store.get(key))
        if region:
            return region, obj.at(*path, key)
    return None, obj.at(*path, "destinationPath")
