"""GitLab Code Quality report (`artifacts: reports: codequality:`), so findings show in merge requests.

An array of issues with description, check_name, fingerprint, severity and location.path/lines.begin
(docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format). Like SARIF it holds every unsuppressed
finding, whatever --changed-since shows: GitLab compares the report with the target branch's itself.
Fingerprints are readylint's (stable across moves and unrelated edits), made unique within the report because
GitLab keeps only the first issue of a fingerprint.
"""
from __future__ import annotations

import hashlib
import json

from ..report import Report

# GitLab's scale is info < minor < major < critical < blocker; security errors rank above other errors.
SEVERITY = {"error": "major", "warning": "minor", "note": "info"}


def render(report: Report) -> str:
    security = {meta.code for meta in report.rules if meta.is_security}
    issues, seen = [], set()
    for finding in report.active:
        fingerprint = finding.fingerprint
        number = 1
        while fingerprint in seen:  # two findings on one key (rare): keep both, each with its own fingerprint
            number += 1
            fingerprint = hashlib.sha256(f"{finding.fingerprint}:{number}".encode()).hexdigest()
        seen.add(fingerprint)
        severity = "critical" if finding.level == "error" and finding.code in security else SEVERITY[finding.level]
        issues.append({
            "type": "issue",
            "description": f"{finding.code}: {finding.message}",
            "check_name": f"readylint/{finding.code}-{finding.slug}",
            "fingerprint": fingerprint,
            "severity": severity,
            "categories": ["Security"] if finding.code in security else ["Bug Risk"],
            "location": {"path": finding.location.path, "lines": {"begin": max(1, finding.location.line)}},
        })
    return json.dumps(issues, indent=2) + "\n"
