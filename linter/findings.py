"""Locations, findings and outcomes: the small frozen records every rule and reporter shares."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not-applicable"
NOT_RELEVANT, EVIDENCE_UNAVAILABLE, WAIVED = "not-relevant", "evidence-unavailable", "waived"
LEVELS = ("note", "warning", "error")
LEVEL_RANK = {"none": -1, "note": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class Location:
    """A one-line region in a repository file: 1-based line and columns, end column exclusive."""

    path: str
    line: int = 1
    col: int = 1
    end_col: int | None = None

    def sort_key(self):
        return (self.path, self.line, self.col)


@dataclass(frozen=True, slots=True)
class Related:
    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is waived: the form (annotation, inline, config, baseline) and the reason."""

    kind: str
    reason: str
    location: Location | None = None

    @property
    def in_source(self) -> bool:
        return self.kind in ("annotation", "inline")


@dataclass(frozen=True, slots=True)
class Subject:
    """What a rule judges: an object, a file, a repository. ``key`` feeds fingerprints."""

    key: str
    display: str
    fqn: str = ""  # "<ns>/<apiVersion>/<Kind>/<name>" for objects
    environment: str = ""
    waivers: tuple = ()  # annotation waivers: ((codes, reason, Location), …)
    location: Location | None = None  # where a PASS or NOT-APPLICABLE outcome is shown

    def fail(self, message, at, key_path="", level=None, related=(), properties=None):
        draft = Draft(message, at, key_path, level, tuple(related), dict(properties or {}))
        return Outcome(self, FAIL, finding=draft)

    def passed(self, why=""):
        return Outcome(self, PASS, why=why)

    def not_applicable(self, reason, why):
        return Outcome(self, NOT_APPLICABLE, reason=reason, why=why)


@dataclass(frozen=True, slots=True)
class Draft:
    """A finding as a rule states it, before the runner adds the rule's identity."""

    message: str
    at: Location
    key_path: str = ""
    level: str | None = None
    related: tuple = ()
    properties: dict = field(default_factory=dict, compare=False, hash=False)  # SARIF result properties


@dataclass(frozen=True, slots=True)
class Outcome:
    subject: Subject
    status: str
    reason: str = ""
    why: str = ""
    finding: Draft | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    slug: str
    level: str
    message: str
    location: Location
    related: tuple = ()
    subject: str = ""
    key_path: str = ""
    environment: str = ""
    fqn: str = ""
    suppressed_by: Suppression | None = None
    properties: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def fingerprint(self) -> str:
        """readylint/v1: stable across moves, reorders and unrelated edits (integrations.md S11)."""
        import hashlib  # only SARIF and the baseline need fingerprints: the text report skips the import

        raw = "\x1f".join(("v1", self.code, self.environment, self.subject, self.key_path))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def sort_key(self):
        return (self.location.path, self.location.line, self.location.col, self.code, self.message)

    def waived(self, suppression: Suppression) -> "Finding":
        return replace(self, suppressed_by=suppression)
