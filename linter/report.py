"""The Report every reporter renders: findings, per-rule status, notes and errors of one run."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import NamedTuple

from .findings import EVIDENCE_UNAVAILABLE, LEVEL_RANK, NOT_APPLICABLE, PASS, WAIVED

# Rule statuses as reports name them; "unknown" is evidence-unavailable and never looks like a pass.
STATUS_FAIL, STATUS_PASS, STATUS_UNKNOWN, STATUS_WAIVED, STATUS_NOT_RELEVANT = (
    "fail", "pass", "unknown", "waived", "not-relevant")


class Note(NamedTuple):
    """Something the user should know that is not a finding (a skipped template, no input)."""

    message: str
    path: str | None = None
    code: str | None = None  # associated rule, for SARIF notifications
    kind: str = "note"  # "template" for unrendered templates that were skipped


def template_hint(notes, root: str, cwd: str, attempted=frozenset()) -> str:
    """What to do about skipped chart templates: point readylint at the chart folder (charts render only when
    pointed at), named as the user would type it; for a chart whose render was tried, the render note says why."""
    charts = sorted({n.path.rsplit("/templates/", 1)[0] if "/templates/" in n.path else ""
                     for n in notes if n.kind == "template" and n.path})
    waiting = [c for c in charts if c not in attempted]
    if not waiting:
        return "their chart was not rendered: see the note that says why"
    folder = os.path.relpath(os.path.join(root, waiting[0]), cwd).replace(os.sep, "/")
    named = f"`readylint check {folder}`" + (f" ({len(waiting)} charts)" if len(waiting) > 1 else "")
    return f"point readylint at the chart to render and lint them, e.g. {named}, or list it under inputs.charts"


@dataclass
class Report:
    root: str
    version: str
    rules: list  # RuleMeta, in catalogue order: the selected rules
    findings: list  # every Finding, suppressed ones included, sorted
    statuses: dict  # code -> status
    outcomes: dict  # code -> list[Outcome]
    notes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    files_read: int = 0
    objects: int = 0
    exit_code: int = 0
    changed_files: set | None = None  # --changed-since filter for human-facing outputs
    changed_since: str | None = None  # the REF, when the filter applies
    warnings: list = field(default_factory=list)  # one line each on stderr (e.g. a shallow clone)
    cwd: str = ""  # where the run was started: terminal hints name paths from there
    failed_charts: frozenset = frozenset()  # chart folders whose render was tried and did not succeed

    def skipped_templates_hint(self, from_cwd: bool = False) -> str:
        """template_hint for this run: from the current folder for the terminal, from the repository root
        for documents (SARIF, the readiness report), which must read the same wherever they were made."""
        return template_hint(self.notes, self.root, self.cwd if from_cwd and self.cwd else self.root,
                             self.failed_charts)

    @property
    def active(self) -> list:
        """Unsuppressed findings."""
        return [f for f in self.findings if f.suppressed_by is None]

    def in_scope(self, finding) -> bool:
        """Whether --changed-since keeps the finding (primary or related file changed; see changes.py)."""
        if self.changed_files is None:
            return True
        from .changes import in_scope
        return in_scope(finding, self.changed_files, self.rules)

    @property
    def shown(self) -> list:
        """Unsuppressed findings in scope of --changed-since (text, JSON, annotations, summary)."""
        return [f for f in self.active if self.in_scope(f)]

    def counts(self) -> dict:
        counts = {"error": 0, "warning": 0, "note": 0}
        for finding in self.shown:
            counts[finding.level] = counts.get(finding.level, 0) + 1
        return counts


def rule_status(outcomes, findings) -> str:
    """rules.md 0.5: FAIL, else unknown, else PASS, else waived, else not-relevant."""
    if any(f.suppressed_by is None for f in findings):
        return STATUS_FAIL
    reasons = {o.reason for o in outcomes if o.status == NOT_APPLICABLE}
    if EVIDENCE_UNAVAILABLE in reasons:
        return STATUS_UNKNOWN
    if any(o.status == PASS for o in outcomes):
        return STATUS_PASS
    if findings or WAIVED in reasons:
        return STATUS_WAIVED
    return STATUS_NOT_RELEVANT


def exit_code(findings, fail_on: str, exit_zero: bool, errors) -> int:
    if errors:
        return 2
    if exit_zero or fail_on == "never":
        return 0
    threshold = LEVEL_RANK[fail_on]
    return 1 if any(LEVEL_RANK[f.level] >= threshold for f in findings if f.suppressed_by is None) else 0

