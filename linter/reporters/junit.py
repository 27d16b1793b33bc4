"""JUnit XML for CI systems that read test reports (Jenkins, Azure DevOps, GitLab, CircleCI, TeamCity).

One test suite per checklist section (and one for custom rules), one test case per rule and subject: a
failure carries every finding on that subject as `level path:line:col message`; a waived, not-applicable or
unknown (evidence unavailable) subject is skipped with the reason, never passed. A rule with no subject at all
is one skipped case, so every selected item shows up. Findings follow what the text report shows (suppressed
ones and, with --changed-since, those in unchanged files do not fail). No timestamps: the same run gives the
same bytes. The shape is the Jenkins/Ant one (tests/schemas/junit.xsd, after xunit-plugin's junit-10.xsd).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .. import lazy_re
from ..findings import EVIDENCE_UNAVAILABLE, NOT_APPLICABLE, PASS
from ..report import Report

_NOT_XML = lazy_re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
NOTHING = "(nothing to check)"
ALL_FILES = "(all files)"  # a tool rule (RL001-RL003) without findings passes


def _text(value: str) -> str:
    """XML 1.0 cannot hold most control characters; a message is plain text, so drop them."""
    return _NOT_XML.sub("", str(value))


class _Case:
    def __init__(self, name: str):
        self.name = name
        self.outcomes: list = []
        self.findings: list = []


def _cases(report: Report, meta) -> list[_Case]:
    cases: dict[str, _Case] = {}
    for outcome in report.outcomes.get(meta.code, []):
        subject = outcome.subject
        case = cases.setdefault(subject.key, _Case(subject.display or subject.key))
        case.outcomes.append(outcome)
    for finding in report.findings:
        if finding.code == meta.code:
            cases.setdefault(finding.subject, _Case(finding.subject or finding.location.path)).findings.append(finding)
    return list(cases.values())


def _line(finding) -> str:
    loc = finding.location
    return f"{finding.level} {loc.path}:{loc.line}:{loc.col} {finding.message}"


def _fill(element, report: Report, meta, case: _Case) -> str:
    """Add failure/skipped to ``element``; returns "failure", "skipped" or "pass"."""
    failing = [f for f in case.findings if f.suppressed_by is None and report.in_scope(f)]
    if failing:
        first = failing[0]
        node = ET.SubElement(element, "failure", {
            "message": _text(f"{first.location.path}:{first.location.line}:{first.location.col}: {first.message}"),
            "type": f"{first.level} {meta.code}"})
        node.text = _text("\n".join(_line(f) for f in failing) + "\n")
        return "failure"
    if case.name == ALL_FILES:
        return "pass"
    reasons = []
    waived = [f for f in case.findings if f.suppressed_by is not None]
    if waived:
        reasons.append("waived: " + "; ".join(sorted({f.suppressed_by.reason for f in waived})))
    elif any(f.suppressed_by is None for f in case.findings):
        reasons.append("findings only in files unchanged since " + str(report.changed_since))
    else:
        missing = [o for o in case.outcomes if o.status == NOT_APPLICABLE and o.reason == EVIDENCE_UNAVAILABLE]
        if missing:
            reasons.append("unknown, evidence unavailable: " + "; ".join(sorted({o.why for o in missing if o.why})))
        elif any(o.status == PASS for o in case.outcomes):
            return "pass"
        else:
            whys = sorted({o.why for o in case.outcomes if o.why}) or ["nothing here for the rule to judge"]
            reasons.append(f"not applicable ({case.outcomes[0].reason if case.outcomes else 'not-relevant'}): "
                           + "; ".join(whys))
    ET.SubElement(element, "skipped", {"message": _text(reasons[0].rstrip(": "))})
    return "skipped"


def render(report: Report) -> str:
    root = ET.Element("testsuites", {"name": "readylint"})
    suites: dict[str, tuple] = {}
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for meta in report.rules:
        title = meta.section_title or meta.section
        if title not in suites:
            element = ET.SubElement(root, "testsuite", {"name": title})
            suites[title] = (element, {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})
        element, counts = suites[title]
        classname = f"readylint.{meta.code}"
        cases = _cases(report, meta) or [_Case(ALL_FILES if meta.code.startswith("RL") else NOTHING)]
        for case in cases:
            testcase = ET.SubElement(element, "testcase", {"name": _text(case.name), "classname": classname})
            result = _fill(testcase, report, meta, case)
            counts["tests"] += 1
            if result == "failure":
                counts["failures"] += 1
            elif result == "skipped":
                counts["skipped"] += 1
        for error in report.errors:
            if f" {meta.code} " in f" {error} ":
                testcase = ET.SubElement(element, "testcase", {"name": "(internal error)", "classname": classname})
                node = ET.SubElement(testcase, "error", {"message": _text(str(error).splitlines()[0]),
                                                         "type": "internal-error"})
                node.text = _text(str(error))
                counts["tests"] += 1
                counts["errors"] += 1
    for element, counts in suites.values():
        for key, value in counts.items():
            element.set(key, str(value))
            if key in totals:
                totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
