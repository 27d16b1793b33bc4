"""Compliance requirements met.

## What it does
A roll-up, evaluated after every other rule. It reads the controls matrix (`COMPLIANCE.md`,
`docs/compliance*.md`, `docs/compliance/**`, or OpenSSF `SECURITY-INSIGHTS.yml`), which must name the
framework(s) (SOC 2, ISO 27001, PCI DSS, HIPAA, GDPR, NIST, CIS, OpenSSF, SLSA …, and every framework
listed in `project.compliance_frameworks`) and map controls to evidence: repository paths (relative links
or backticked paths) and readylint codes (`SEC001`, `DR002` …). Every referenced path must exist, and
every referenced rule must not FAIL in this run: the finding names the rule and the row but never
repeats the rule's own findings (they are reported by that rule). A referenced rule whose status is
unknown makes that mapping evidence-unavailable. `SECURITY.md` must exist. With
`project.compliance_frameworks: []` (no framework applies) the rule is not judged.

## Why it matters
"Compliant" is not something a linter can prove, but a matrix that points each control at evidence that
is checked on every change turns the audit from a yearly scramble into a report.

## How to fix
Write `COMPLIANCE.md` with a table per framework: control, how the service meets it, and the evidence
(a path or a readylint code); fix the rules it names when they fail; add `SECURITY.md`.

## Example
```markdown fail file=COMPLIANCE.md
# Compliance

We follow SOC 2. Change management is documented in [the change process](docs/change-process.md).
```
```markdown fail file=SECURITY.md
# Security policy

Report vulnerabilities to security@example.com; we answer within two working days.
```
```markdown pass file=COMPLIANCE.md
# Compliance

Controls matrix for SOC 2 (Type II):

| Control | Evidence |
|---|---|
| CC8.1 change management | [CODEOWNERS](CODEOWNERS), branch protection |
```
```markdown pass file=SECURITY.md
# Security policy

Report vulnerabilities to security@example.com; we answer within two working days.
```
```text pass file=CODEOWNERS
* @example/shop-maintainers
```
"""
import re

from readylint import lazy_re
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location
from readylint.model.docs import docs
from readylint.registry import find_rule, rule

MATRIX_GLOBS = ("COMPLIANCE.md", "COMPLIANCE.rst", "COMPLIANCE.adoc", "docs/compliance*.md", "docs/compliance/**/*.md",
                "docs/compliance/**/*.rst", "docs/compliance/**/*.adoc")
INSIGHTS = ("SECURITY-INSIGHTS.yml", "SECURITY-INSIGHTS.yaml", ".github/SECURITY-INSIGHTS.yml")
FRAMEWORKS = lazy_re.compile(r"\bSOC ?[12]\b|\bISO[/ -]?(?:IEC )?27\d{3}\b|\bPCI[- ]?DSS\b|\bHIPAA\b|\bGDPR\b|\bNIST\b|"
                        r"\bCIS\b|\bFedRAMP\b|\bOpenSSF\b|\bSLSA\b|\bDORA\b|\bNIS ?2\b|\bBSI\b|\bC5\b|\bSOX\b",
                        re.IGNORECASE)
CODE = lazy_re.compile(r"\b([A-Z]{2,4}\d{3})\b")
BACKTICK_PATH = lazy_re.compile(r"`([\w.-]+(?:/[\w.*-]+)*\.[\w]+|[\w.-]+/[\w./*-]*)`")
SECURITY = ("SECURITY.md", ".github/SECURITY.md", "docs/SECURITY.md")


@rule(code="COMP002", slug="compliance-requirements", scope="roll-up", severity="note", confidence="low",
      evidence="R")
def check(index, opts):
    subject = index.repo.subject("compliance", "compliance matrix")
    declared = (index.settings.get("project") or {}).get("compliance_frameworks")
    if declared is not None and not list(declared):
        yield subject.not_applicable(NOT_RELEVANT, "project.compliance_frameworks: [] (no framework applies)")
        return
    security = next((p for p in SECURITY if index.repo.actual(p)), None)
    if security is None:
        yield subject.fail("The repository has no SECURITY.md, so there is no published way to report a "
                           "vulnerability; add one (every framework asks for it).", at=index.repo.anchor(),
                           key_path="security-md")
    docset = docs(index)
    matrices = [docset.get(p) for p in docset.find(*MATRIX_GLOBS)]
    matrices = [m for m in matrices if m is not None]
    insights = next((index.repo.actual(p) for p in INSIGHTS if index.repo.actual(p)), None)
    if not matrices:
        if insights:
            if security:
                yield subject.passed(f"{insights} (OpenSSF Security Insights)")
            return
        yield subject.fail("No controls matrix: add COMPLIANCE.md naming the framework(s) and mapping each control "
                           "to evidence (a repository path or a readylint code).", at=index.repo.anchor(),
                           key_path="matrix.missing")
        return
    failed = security is None
    text = "\n".join("\n".join(m.lines) for m in matrices)
    named = {f.upper().replace(" ", "").replace("-", "") for f in FRAMEWORKS.findall(text)}
    first = matrices[0]
    at = docset.location(first)
    if not named:
        failed = True
        yield subject.fail(f"The controls matrix {first.path} names no framework (SOC 2, ISO 27001, PCI DSS, …); "
                           f"say which ones it maps.", at=at, key_path="matrix.frameworks")
    for framework in declared or ():
        if str(framework).upper().replace(" ", "").replace("-", "") not in named and \
                str(framework).lower() not in text.lower():
            failed = True
            yield subject.fail(f"project.compliance_frameworks lists {framework}, but the controls matrix "
                               f"{first.path} does not map it; add its controls.", at=at,
                               key_path=f"matrix.frameworks.{framework}")
    mapped = 0
    for matrix in matrices:
        for link, why in docset.broken_links(matrix):
            failed = True
            mapped += 1
            yield subject.fail(f"The controls matrix {matrix.path} cites evidence that does not exist: {why}.",
                               at=Location(matrix.path, link.line, link.col), key_path=f"matrix.path.{link.target}")
        mapped += sum(1 for link in matrix.links if "://" not in link.target)
        for number, line in enumerate(matrix.lines, 1):
            for found in BACKTICK_PATH.finditer(line):
                path = found.group(1).rstrip("/")
                if "*" in path or path.startswith(("http", "-")):
                    continue
                mapped += 1
                if not index.repo.actual(path) and not any(p.startswith(path + "/") for p in index.repo.files):
                    failed = True
                    yield subject.fail(f"The controls matrix {matrix.path} cites {path}, which does not exist in the "
                                       f"repository; fix the reference or add the evidence.",
                                       at=Location(matrix.path, number, found.start() + 1),
                                       key_path=f"matrix.path.{path}")
            for outcome in _codes(index, matrix, number, line):
                mapped += 1
                failed = failed or outcome.status == "fail"
                yield outcome
    if not mapped:
        failed = True
        yield subject.fail(f"The controls matrix {first.path} maps no control to evidence; cite a repository path or "
                           f"a readylint code for each control.", at=at, key_path="matrix.mapping")
    if not failed:
        yield subject.passed(f"{first.path} maps {mapped} pieces of evidence, none failing")


def _codes(index, matrix, number, line):
    for found in CODE.finditer(line):
        code = found.group(1)
        meta = find_rule(code)
        if meta is None or code == "COMP002" or meta.code.startswith("RL"):
            continue
        subject = index.repo.subject(f"compliance:{code}", f"control evidence {code}")
        status, count = _status(index, meta)
        at = Location(matrix.path, number, found.start() + 1)
        if status == "fail":
            yield subject.fail(f"The controls matrix {matrix.path} relies on {code} ({meta.slug}), which fails in "
                               f"this run ({count} finding{'s' if count != 1 else ''}, reported under {code}); the "
                               f"control is not met until they are fixed.", at=at, key_path=f"matrix.rule.{code}")
        elif status == "unknown":
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{code} could not be evaluated in this run")
        else:
            yield subject.passed(f"{code}: {status}")


def _status(index, meta) -> tuple[str, int]:
    """(status, failing findings) of a rule in this run, running it privately when it was not selected."""
    from readylint.report import rule_status
    from readylint.runner import run_rule

    runs = index.__dict__.setdefault("rule_runs", {})
    run = runs.get(meta.code)
    if run is None:
        config = index.settings.get("config")
        if config is None:
            return "unknown", 0
        run = runs[meta.code] = run_rule(meta, index, config)
    if run.error:
        return "unknown", 0
    return rule_status(run.outcomes, run.findings), len(run.findings)
