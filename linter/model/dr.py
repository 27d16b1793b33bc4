"""Disaster-recovery evidence for DR002-DR006: relevance, the DR plan, exercise records, backup intervals.

The DR family (rules.md 0.10) applies only when the repository holds state (model/backups.py finds it)
or ``project.critical`` is set. The plan and the exercise records are documents with front matter; a
backup schedule's worst gap between two runs is the data a restore can lose (compared with the RPO).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

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
