"""Machine-readable report (integrations.md R2), described by schemas/report.schema.json.

Complete like SARIF: every finding, suppressed ones marked with `suppressed_by`, and per-rule status where
evidence-unavailable is "unknown" (never a pass). Output is deterministic and free of absolute paths (C4).
"""
from __future__ import annotations

import json

from ..findings import EVIDENCE_UNAVAILABLE, NOT_APPLICABLE
from ..report import Report

SCHEMA_VERSION = 1
STATUS_ORDER = ("fail", "pass", "unknown", "waived", "not-relevant")


def render(report: Report, include_non_failing: bool = False) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "readylint", "version": report.version},
        "rules": [_rule(report, meta) for meta in report.rules],
        "findings": [_finding(f) for f in report.findings if report.in_scope(f)],  # --changed-since
        "notes": [{"message": n.message, "path": n.path, "code": n.code} for n in report.notes],
        "errors": [str(e).splitlines()[0].rstrip(":") if e else "internal error" for e in report.errors],
        "summary": _summary(report),
    }
    if include_non_failing:
        document["outcomes"] = _outcomes(report)
    return json.dumps(document, indent=2) + "\n"


def _location(location) -> dict:
    return {"path": location.path, "line": location.line, "column": location.col,
            "end_column": location.end_col}


def _rule(report: Report, meta) -> dict:
    status = report.statuses.get(meta.code, "not-relevant")
    entry = {"code": meta.code, "slug": meta.slug, "family": meta.family, "level": meta.severity,
             "confidence": meta.confidence, "status": status}
    if status == "unknown":  # say which evidence was missing, so unknown is actionable
        whys = {o.why for o in report.outcomes.get(meta.code, [])
                if o.status == NOT_APPLICABLE and o.reason == EVIDENCE_UNAVAILABLE and o.why}
        entry["unknown_reasons"] = sorted(whys)
    return entry


def _finding(finding) -> dict:
    waiver = finding.suppressed_by
    entry = {
        "code": finding.code,
        "slug": finding.slug,
        "level": finding.level,
        "message": finding.message,
        "location": _location(finding.location),
        "related": [{"location": _location(r.location), "message": r.message} for r in finding.related],
        "subject": finding.subject,
        "environment": finding.environment,
        "key_path": finding.key_path,
        "fingerprint": finding.fingerprint,
        "suppressed_by": {"kind": waiver.kind, "reason": waiver.reason} if waiver is not None else None,
    }
    if finding.properties:
        entry["properties"] = {k: finding.properties[k] for k in sorted(finding.properties)}
    return entry


def _outcomes(report: Report) -> list[dict]:
    out = []
    for meta in report.rules:
        for outcome in report.outcomes.get(meta.code, []):
            status = outcome.status
            if status == NOT_APPLICABLE:
                status = "unknown" if outcome.reason == EVIDENCE_UNAVAILABLE else outcome.reason
            out.append({"code": meta.code, "subject": outcome.subject.key,
                        "environment": outcome.subject.environment,
                        "status": status, "why": outcome.why})
    return out


def _summary(report: Report) -> dict:
    levels = {"error": 0, "warning": 0, "note": 0}
    for finding in report.shown:
        levels[finding.level] = levels.get(finding.level, 0) + 1
    statuses = {s: 0 for s in STATUS_ORDER}
    for meta in report.rules:
        if not meta.code.startswith("RL"):
            status = report.statuses.get(meta.code, "not-relevant")
            statuses[status] = statuses.get(status, 0) + 1
    return {
        "findings": levels,
        "suppressed": sum(1 for f in report.findings if f.suppressed_by is not None),
        "rule_statuses": statuses,
        "files": report.files_read,
        "objects": report.objects,
        "exit_code": report.exit_code,
    }
