"""SARIF 2.1.0 for GitHub code scanning: one run, stable rule indices and fingerprints (integrations.md S1–S17).

Only FAIL findings become results by default; evidence-unavailable outcomes, skipped templates and any cut
made to stay within GitHub's limits are run notifications. No absolute path or timestamp is written, so the
same repository gives the same bytes from any directory (C4).
"""
from __future__ import annotations

import gzip
import json
import re
from urllib.parse import quote

from ..findings import EVIDENCE_UNAVAILABLE, LEVEL_RANK, NOT_APPLICABLE, PASS
from ..registry import EVIDENCE_TAGS
from ..report import Report
from .sources import SourceFiles

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://readylint.dev"
SRCROOT = "%SRCROOT%"
MAX_RESULTS = 5000
MAX_RELATED = 100
MAX_TAGS = 10
MAX_DESCRIPTION = 1024
MAX_GZIP_BYTES = 10 * 1000 * 1000  # GitHub's limit is 10 MB compressed; stay on the safe side
MAX_LISTED_PATHS = 20
PRECISION = {"high": "high", "medium": "medium", "low": "low"}
PRECISION_RANK = {"very-high": 3, "high": 2, "medium": 1, "low": 0}
SECURITY_SEVERITY = {"error": "8.0", "warning": "5.5", "note": "2.0"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
SUPPRESSION_KIND = {"annotation": "inSource", "inline": "inSource", "config": "external", "baseline": "external"}


def render(report: Report, category: str | None = None, include_suppressed: bool = False,
           include_non_failing: bool = False) -> str:
    sources = SourceFiles(report.root)
    index = {meta.code: i for i, meta in enumerate(report.rules)}
    precision = {meta.code: PRECISION.get(meta.confidence, "medium") for meta in report.rules}
    findings = [f for f in report.findings if include_suppressed or f.suppressed_by is None]
    ranked = sorted(findings, key=lambda f: _rank(f, precision))
    notes: list[dict] = []
    keep, related_cap = len(ranked), MAX_RELATED
    while True:
        kept = {id(f) for f in ranked[:min(keep, MAX_RESULTS)]}
        results = [_result(f, index, precision, sources, related_cap) for f in findings if id(f) in kept]
        if include_non_failing:
            results += _non_failing(report, index)
        notes = _cut_notes(findings, kept, related_cap)
        text = _dump(report, category, results, notes, index)
        if len(gzip.compress(text.encode("utf-8"), 6)) <= MAX_GZIP_BYTES or keep == 0:
            return text
        if related_cap:
            related_cap = 0  # S13: drop related locations first, then the lowest-ranked results
        else:
            keep = min(keep, MAX_RESULTS) * 4 // 5


def _rank(finding, precision) -> tuple:
    """S13 order: level, then precision, then path and line (the kept ones stay in report order)."""
    return (-LEVEL_RANK.get(finding.level, 0), -PRECISION_RANK[precision.get(finding.code, "medium")],
            finding.location.path, finding.location.line, finding.location.col, finding.code)


def _dump(report, category, results, cut_notes, index) -> str:
    run = {
        "tool": {"driver": {
            "name": "readylint",
            "semanticVersion": report.version,
            "informationUri": INFORMATION_URI,
            "rules": [rule_descriptor(meta) for meta in report.rules],
        }},
        "automationDetails": {"id": f"readylint/{category}/" if category else "readylint/"},
        "invocations": [{
            "executionSuccessful": report.exit_code != 2,
            "exitCode": report.exit_code,
            "toolExecutionNotifications": _notifications(report, index) + cut_notes,
        }],
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The repository root."}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def rule_descriptor(meta) -> dict:
    """S3/S4: one reportingDescriptor per selected rule, from the rule's single source of truth."""
    what = meta.doc.get("What it does") or meta.text
    markdown = meta.markdown().rstrip("\n") + (f"\n\n[{meta.code} {meta.slug} documentation]({meta.help_uri})\n"
                                                if meta.help_uri else "\n")
    properties = {"precision": PRECISION.get(meta.confidence, "medium"), "tags": rule_tags(meta)}
    if meta.is_security:
        properties["security-severity"] = str(meta.security_severity or SECURITY_SEVERITY[meta.severity])
    else:
        properties["problem.severity"] = PROBLEM_SEVERITY[meta.severity]
    descriptor = {
        "id": meta.code,
        "name": meta.slug,
        "shortDescription": {"text": _clip(meta.text)},
        "fullDescription": {"text": _clip(what)},
        "help": {"text": meta.markdown(), "markdown": markdown},
        "helpUri": meta.help_uri,
        "defaultConfiguration": {"level": meta.severity},
        "properties": properties,
    }
    if not meta.help_uri:  # a custom rule without a `url`: no page to link
        del descriptor["helpUri"]
    return descriptor


def rule_tags(meta) -> list[str]:
    tags = ["production-readiness", meta.family.lower(), _slugify(meta.section_title)]
    for letter in re.findall(r"[A-Z]", meta.evidence or ""):
        tags.append(EVIDENCE_TAGS.get(letter, ""))
    if meta.is_security:
        tags.append("security")
    unique = [t for i, t in enumerate(tags) if t and t not in tags[:i]]
    return unique[:MAX_TAGS]


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _clip(text: str) -> str:
    text = text.strip() or "-"
    return text if len(text) <= MAX_DESCRIPTION else text[:MAX_DESCRIPTION - 1].rstrip() + "…"


def _physical(location, sources: SourceFiles, with_hash_line: bool = False) -> dict:
    return {"physicalLocation": {
        "artifactLocation": {"uri": artifact_uri(location.path), "uriBaseId": SRCROOT},
        "region": {"startLine": location.line, "startColumn": location.col, "endLine": location.line,
                   "endColumn": sources.end_column(location)},
    }}


def artifact_uri(path: str) -> str:
    """A repo-relative path as a relative URI reference: spaces, `#`, `%` and non-ASCII percent-encoded."""
    return quote(path, safe="/!$&'()*+,;=:@-._~")


def _result(finding, index, precision, sources: SourceFiles, related_cap: int) -> dict:
    loc = finding.location
    location = _physical(loc, sources)
    if finding.fqn:
        name = f"{finding.fqn}#{finding.key_path}" if finding.key_path else finding.fqn
        location["logicalLocations"] = [{"fullyQualifiedName": name, "kind": "object"}]
    result = {"ruleId": finding.code}
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    result.update({
        "level": finding.level,
        "kind": "fail",
        "message": {"text": finding.message},
        "locations": [location],
    })
    related = []
    for number, item in enumerate(finding.related[:related_cap], start=1):
        entry = {"id": number, **_physical(item.location, sources), "message": {"text": item.message}}
        related.append(entry)
    if related:
        result["relatedLocations"] = related
    fingerprints = {}
    line_hash = sources.line_hash(loc.path, loc.line)
    if line_hash is not None:
        fingerprints["primaryLocationLineHash"] = line_hash
    fingerprints["readylint/v1"] = finding.fingerprint
    result["partialFingerprints"] = fingerprints
    if finding.suppressed_by is not None:
        waiver = finding.suppressed_by
        result["suppressions"] = [{"kind": SUPPRESSION_KIND.get(waiver.kind, "external"), "status": "accepted",
                                   "justification": waiver.reason}]
    properties = {"subject": finding.subject, "environment": finding.environment, "keyPath": finding.key_path}
    properties.update({k: finding.properties[k] for k in sorted(finding.properties)})
    result["properties"] = properties
    return result


def _non_failing(report: Report, index) -> list[dict]:
    """S15 --include-non-failing: PASS and NOT-APPLICABLE outcomes as level-none results, at the
    subject's own line (an object's metadata.name) when it has one."""
    results = []
    for meta in report.rules:
        for outcome in report.outcomes.get(meta.code, []):
            if outcome.status not in (PASS, NOT_APPLICABLE):
                continue
            subject = outcome.subject
            result = {"ruleId": meta.code, "ruleIndex": index[meta.code], "level": "none",
                      "kind": "pass" if outcome.status == PASS else "notApplicable",
                      "message": {"text": _outcome_message(meta, outcome)}}
            location = {}
            if subject.location is not None:
                at = subject.location
                location["physicalLocation"] = {
                    "artifactLocation": {"uri": artifact_uri(at.path), "uriBaseId": SRCROOT},
                    "region": {"startLine": at.line, "startColumn": at.col}}
            if subject.fqn:
                location["logicalLocations"] = [{"fullyQualifiedName": subject.fqn, "kind": "object"}]
            if location:
                result["locations"] = [location]
            properties = {"subject": subject.key, "environment": subject.environment}
            if outcome.status == NOT_APPLICABLE:
                properties["naReason"] = outcome.reason
            if outcome.why:
                properties["why"] = outcome.why
            result["properties"] = properties
            results.append(result)
    return results


def _outcome_message(meta, outcome) -> str:
    who = outcome.subject.display or outcome.subject.key
    if outcome.status == PASS:
        return f"{who} passes {meta.code} {meta.slug}."
    why = f": {outcome.why}" if outcome.why else ""
    return f"{meta.code} {meta.slug} does not apply to {who} ({outcome.reason}){why}."


def _notification(text: str, level: str = "note", code: str | None = None, index=None) -> dict:
    note = {"level": level, "message": {"text": text}}
    if code is not None and index is not None and code in index:
        note["associatedRule"] = {"id": code, "index": index[code]}
    return note


def _notifications(report: Report, index) -> list[dict]:
    out = []
    for error in report.errors:
        out.append(_notification(str(error).splitlines()[0].rstrip(":") if error else "internal error", "error"))
    for meta in report.rules:  # S15: evidence gaps are notifications, never results or passes
        missing = [o for o in report.outcomes.get(meta.code, [])
                   if o.status == NOT_APPLICABLE and o.reason == EVIDENCE_UNAVAILABLE]
        if not missing:
            continue
        whys = sorted({o.why for o in missing if o.why})
        count = len(missing)
        text = (f"{meta.code} {meta.slug}: evidence unavailable for {count} subject{'s' if count != 1 else ''}"
                f"{': ' + '; '.join(whys) if whys else ''}. The rule status is unknown, not a pass.")
        out.append(_notification(text, "note", meta.code, index))
    templates = [n for n in report.notes if n.kind == "template"]
    if templates:
        paths = sorted({n.path for n in templates if n.path})
        listed = ", ".join(paths[:MAX_LISTED_PATHS])
        more = f" and {len(paths) - MAX_LISTED_PATHS} more" if len(paths) > MAX_LISTED_PATHS else ""
        count = len(templates)
        out.append(_notification(f"{count} unrendered template file{'s' if count != 1 else ''} skipped "
                                 f"({report.skipped_templates_hint()}): {listed}{more}."))
    for note in report.notes:
        if note not in templates:
            out.append(_notification(f"{note.path + ': ' if note.path else ''}{note.message}", "note",
                                     note.code, index))
    return out


def _cut_notes(findings, kept, related_cap) -> list[dict]:
    """S13: every cut made to stay within GitHub's limits is said, with the number omitted."""
    out = []
    omitted = len(findings) - len(kept)
    if omitted:
        out.append(_notification(f"{omitted} result{'s' if omitted != 1 else ''} omitted: readylint writes at "
                                 f"most {min(len(kept), MAX_RESULTS)} results, ranked by level, precision and "
                                 "location; see the text or JSON report for all findings.", "warning"))
    cut = sum(max(0, len(f.related) - related_cap) for f in findings if id(f) in kept)
    if cut:
        out.append(_notification(f"{cut} related location{'s' if cut != 1 else ''} omitted to stay within "
                                 f"GitHub's limits (at most {related_cap} per result).", "warning"))
    return out
