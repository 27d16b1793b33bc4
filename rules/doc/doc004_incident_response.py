"""Incident response procedures documented.

## What it does
Looks for an incident response procedure (`INCIDENT_RESPONSE.md`, `docs/incident-response*.md`,
`docs/incidents/`, or a section whose heading names incident response) with sections for severity
levels, roles (incident commander, communications), declaration and detection, communication channels or
status page, escalation, and post-incident review, plus a postmortem template
(`docs/postmortems/template.md` or a "template" section). The document must have been reviewed within
`doc_review_max_age_days` (front matter `last_reviewed`, else its last commit). `SECURITY.md` is a
vulnerability-disclosure policy and never counts. A central process declared with
`platform.incident_process_url` passes when the repository links to it.

## Why it matters
During an incident nobody should be deciding who leads, where to talk or how bad it is; an agreed,
current procedure shortens every outage.

## How to fix
Add `INCIDENT_RESPONSE.md` with the sections above and `last_reviewed: YYYY-MM-DD` front matter, and a
postmortem template; or link the organisation's process and declare it as `platform.incident_process_url`.

## Example
```markdown fail file=SECURITY.md
# Security policy

Report vulnerabilities to security@example.com; we answer within two working days and publish an
advisory once a fix is released.
```
```markdown pass file=README.md
# shop

Incidents follow the company process at https://wiki.example.com/incidents which covers severity
levels, roles, paging and postmortems for every team.
```
```yaml pass file=.readylint.yaml
platform:
  incident_process_url: https://wiki.example.com/incidents
```
"""
from readylint.model.doc_requirements import DocRequirement, SectionSpec, evaluate, judge
from readylint.model.docs import docs
from readylint.registry import rule

SECTIONS = (
    SectionSpec("Severity levels", (r"severit|\bsev[ -]?\d|priorit|classif",)),
    SectionSpec("Roles", (r"\broles?\b|commander|responsib|who does what",)),
    SectionSpec("Declaration and detection", (r"declar|detect|triage|trigger|alert|report(?:ing)? an incident",)),
    SectionSpec("Communication", (r"communicat|status ?page|channel|stakeholder|notif",)),
    SectionSpec("Escalation", (r"escalat|on[- ]?call|paging",)),
    SectionSpec("Post-incident review", (r"post[- ]?incident|post[- ]?mortem|retro|after[- ]action|review|"
                                         r"lessons",)),
)
TEMPLATE_GLOBS = ("docs/postmortems/template*", "docs/**/postmortem*template*", "docs/**/*template*postmortem*",
                  "**/post-mortem*template*", "**/postmortem-template*", "**/incident*template*",
                  ".github/ISSUE_TEMPLATE/*incident*", ".github/ISSUE_TEMPLATE/*postmortem*")


def requirement(opts):
    return DocRequirement(
        name="incident response procedure",
        paths=("INCIDENT_RESPONSE.md", "INCIDENT-RESPONSE.md", "INCIDENTS.md", "docs/incident-response*.md",
               "docs/incident_response*.md", "docs/incidents/index.md", "docs/incidents/README.md",
               "docs/incidents/*.md", "docs/**/incident-response*.md", "docs/**/incident*.md",
               "docs/incident-response*.rst", "docs/incident-response*.adoc"),
        headings=(r"incident",),
        exclude_headings=(r"postmortem|post-mortem|template",),
        exclude_paths=("SECURITY.md", "**/SECURITY.md", "docs/postmortems/**", "CHANGELOG.md"),
        sections=SECTIONS, max_age_days=opts["doc_review_max_age_days"], min_words=opts["doc_section_min_words"],
        fix="Add INCIDENT_RESPONSE.md with sections for severity levels, roles, declaration, communication, "
            "escalation and post-incident review, and last_reviewed front matter.")


@rule(code="DOC004", slug="incident-response", scope="repository", severity="warning", confidence="medium",
      evidence="R", options={"doc_review_max_age_days": 365, "doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("incident-response", "incident response procedure")
    claim = str((index.settings.get("platform") or {}).get("incident_process_url") or "").strip()
    if claim:
        yield from _claim(index, subject, claim)
        return
    req = requirement(opts)
    match = evaluate(index, req)
    yield from judge(index, req, subject, match)
    if match is None:
        return
    in_doc = any("template" in s.heading.text.lower() for s in match.doc.sections)
    if not in_doc and not index.repo.glob(*TEMPLATE_GLOBS):
        yield subject.fail(f"The incident response procedure in {match.where} has no postmortem template; add "
                           f"docs/postmortems/template.md (timeline, impact, root cause, action items).",
                           at=match.location, key_path="doc.postmortem-template", level="note")


def _claim(index, subject, url):
    wanted = url.rstrip("/")
    for doc in docs(index).documents():
        for link in doc.links:
            if link.target.rstrip("/").startswith(wanted):
                yield subject.passed(f"claim: platform.incident_process_url, linked from {doc.path}")
                return
        if any(wanted in line for line in doc.lines):
            yield subject.passed(f"claim: platform.incident_process_url, named in {doc.path}")
            return
    yield subject.fail(f"platform.incident_process_url is declared but no document links to {url}; link it from "
                       f"README.md so responders find it.", at=index.repo.anchor(), key_path="doc.claim-link")
