"""Runbooks created.

## What it does
Checks that every alerting rule at or above `runbook_min_severity` has an `annotations.runbook_url` (or
`runbook`) that resolves: a path in the repository (a file, and its heading when the link has an anchor), a
URL under `platform.runbooks_base_url` that maps to a file here (`<base>/<component>/<alert>` finds
`.../<component>/<Alert>.md`, case-insensitively), or the page for that very alert on an upstream runbook
site in `runbook_sites` (fine for platform alerts; an application alert linking another alert's upstream
page is flagged). `{{ $labels.alertname }}` in a URL is replaced by the alert's name. Each runbook a
link reaches needs the sections of `runbook_sections` (`/` separates alternatives), each with at least
`doc_section_min_words` words besides TODO/TBD markers. With no alerting rules at all, a `RUNBOOK.md` or a
runbook folder with one written runbook is enough. A runbook outside the repository, not under a declared
base URL, cannot be checked: unknown, not a pass. With full git history, a runbook is also flagged when
the alerts that link it changed more than `doc_staleness_days` after it.

## Why it matters
An alert that pages someone at night without saying what it means and what to do turns every incident
into an investigation from scratch.

## How to fix
Add `annotations.runbook_url` to each alert, pointing at `docs/runbooks/<AlertName>.md` (or a heading of
one runbook file), with Meaning, Diagnosis, Mitigation and Escalation sections. Runbooks kept in a wiki
are declared with `platform.runbooks_base_url`.

## Example
```yaml fail
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api, namespace: shop}
spec:
  groups:
    - name: api
      rules:
        - alert: ApiDown
          expr: up{job="api"} == 0
          labels: {severity: critical}
```
```yaml pass
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api, namespace: shop}
spec:
  groups:
    - name: api
      rules:
        - alert: ApiDown
          expr: up{job="api"} == 0
          labels: {severity: critical}
          annotations:
            runbook_url: docs/runbooks/ApiDown.md
```
```markdown pass file=docs/runbooks/ApiDown.md
# ApiDown

### Meaning

Prometheus cannot scrape any API pod, so the shop cannot take orders and the checkout page shows an
error to every customer who tries to pay.

### Diagnosis

Check the pods with kubectl get pods -n shop -l app=api, read the events of any pod that is not ready,
and look at the last deploy in Argo CD to see whether the outage started with a release.

### Mitigation

If the outage started with a release, revert the release commit in Git and let Argo CD sync it;
otherwise scale the deployment up again and restart pods stuck in CrashLoopBackOff one at a time.

### Escalation

Page the shop on-call engineer through PagerDuty; after 30 minutes without progress escalate to the
platform team lead and open an incident in the incidents channel.
```
"""
import re
from dataclasses import replace

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Related
from readylint.model.monitoring import alerts
from readylint.model.runbooks import resolve, runbook_files
from readylint.registry import rule

SEVERITY_RANK = {"none": -1, "info": 0, "informational": 0, "low": 0, "warning": 1, "warn": 1, "medium": 1,
                 "high": 2, "error": 2, "critical": 2, "page": 2, "major": 2, "fatal": 3, "emergency": 3}
SYNONYMS = {"meaning": r"\bmeaning\b|\bdescription\b|\boverview\b|\bsummary\b", "impact": r"\bimpact\b",
            "diagnosis": r"diagnos|troubleshoot|investigat|\bdebug", "mitigation": r"mitigat|remediat|resol|\bfix",
            "escalation": r"escalat|\bcontacts?\b|\bowners?\b|\bsupport\b"}
def sections(names) -> tuple:
    from readylint.model.doc_requirements import SectionSpec

    out = []
    for name in names:
        alternatives = [a.strip() for a in str(name).split("/") if a.strip()]
        patterns = tuple(SYNONYMS.get(a.lower(), r"\b" + re.escape(a) + r"\b") for a in alternatives)
        out.append(SectionSpec(str(name), patterns))
    return tuple(out)


@rule(code="DOC002", slug="runbooks", scope="alert", severity="warning", confidence="high", evidence="M, R",
      options={"runbook_min_severity": "warning", "doc_section_min_words": 20, "doc_staleness_days": 180,
               "runbook_sections": ["Meaning/Impact", "Diagnosis", "Mitigation", "Escalation"],
               "runbook_sites": ["runbooks.prometheus-operator.dev",
                                 "github.com/kubernetes-monitoring/kubernetes-mixin"]})
def check(index, opts):
    found = alerts(index)
    if not found:
        yield from _no_alerts(index, opts)
        return
    minimum = SEVERITY_RANK.get(str(opts["runbook_min_severity"]).lower(), 1)
    runbooks: dict = {}  # (path, anchor) -> [alerts]
    for alert in found:
        subject = alert.subject()
        severity = (alert.severity or "").lower()
        if severity and SEVERITY_RANK.get(severity, 1) < minimum:
            yield subject.not_applicable(NOT_RELEVANT, f"severity {severity} is below runbook_min_severity")
            continue
        key = "runbook_url" if "runbook_url" in alert.annotations else "runbook"
        url = alert.annotations.get(key)
        if not isinstance(url, str) or not url.strip():
            yield subject.fail(f"Alert {alert.name} ({alert.owner}) has no runbook: add annotations.runbook_url "
                               f"pointing at docs/runbooks/{alert.name}.md.", at=alert.location,
                               key_path="annotations.runbook_url")
            continue
        status, path, anchor, why = resolve(index, alert, url, opts["runbook_sites"])
        if status == "broken":
            yield subject.fail(f"The runbook link of alert {alert.name} ({alert.owner}) is broken: {why}.",
                               at=alert.at(f"annotations.{key}"), key_path=f"annotations.{key}")
        elif status == "external":
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, why)
        elif status in ("claim", "upstream"):
            yield subject.passed(why)
        else:
            runbooks.setdefault((path, anchor.lower()), []).append((alert, key, subject))
    yield from _judge_runbooks(index, runbooks, opts)


def _judge_runbooks(index, runbooks, opts):
    # the documentation machinery loads only when there are runbooks to read (one manifest has none)
    from readylint.inputs.git_history import history
    from readylint.model.doc_requirements import DocRequirement, inspect, stale_outcomes
    from readylint.model.docs import docs

    docset, specs = docs(index), sections(opts["runbook_sections"])
    req = DocRequirement("runbook", sections=specs, min_words=opts["doc_section_min_words"], check_links=False)
    for (path, anchor), linked in sorted(runbooks.items()):
        doc = docset.get(path)
        if doc is None:
            continue
        scope = next((s for s in doc.sections if s.heading.anchor.lower() == anchor), None) if anchor else None
        if anchor and scope is None:
            for alert, key, subject in linked:
                yield subject.fail(f"The runbook link of alert {alert.name} ({alert.owner}) is broken: {path} has "
                                   f"no heading #{anchor}.", at=alert.at(f"annotations.{key}"),
                                   key_path=f"annotations.{key}")
            continue
        match = inspect(docset, req, doc, scope)
        related = tuple(Related(a.at(f"annotations.{k}"), f"alert {a.name} links here") for a, k, _ in linked[:20])
        names = ", ".join(sorted({a.name for a, _, _ in linked}))
        runbook = index.repo.subject(f"runbook:{path}#{anchor}", f"runbook {match.where}")
        if match.words < opts["doc_section_min_words"]:
            yield runbook.fail(f"The runbook {match.where} for {names} is a stub ({match.words} words besides "
                               f"TODO/TBD markers); say what the alert means and what to do.", at=match.location,
                               key_path="runbook.stub", related=related)
        elif match.missing or match.stubs:
            lacking = [s.name for s in match.missing] + [f"{s.name} (stub)" for s, _ in match.stubs]
            yield runbook.fail(f"The runbook {match.where} for {names} lacks sections: {', '.join(lacking)}; add "
                               f"them with at least {opts['doc_section_min_words']} words each.",
                               at=match.location, key_path="runbook.sections", related=related)
        else:
            yield runbook.passed()
        if history(index).available:  # only with full history: the spec's PASS does not depend on it
            fresh = docset.freshness(doc)
            if fresh.known:
                alert_files = tuple(sorted({a.path for a, _, _ in linked}))
                at = fresh.location if fresh.source == "last_reviewed" else match.location
                yield from stale_outcomes(index, "runbook", replace(runbook, key=runbook.key + "/freshness"), path,
                                          fresh, at, alert_files, opts["doc_staleness_days"], "runbook")
        for _, _, subject in linked:
            yield subject.passed(f"links {match.where}")


def _no_alerts(index, opts):
    subject = index.repo.subject("runbooks", "runbooks")
    files = runbook_files(index)
    if files:
        from readylint.model.docs import docs  # only when there is a runbook to read

        for path in files:
            doc = docs(index).get(path)
            if doc is not None and not doc.is_stub(opts["doc_section_min_words"]):
                yield subject.passed(f"{path} is a written runbook (no alerting rules in the repository)")
                return
    yield subject.fail("The repository has no alerting rules and no runbook: add docs/runbooks/<Alert>.md or "
                       "RUNBOOK.md describing how to diagnose and mitigate the service's failures.",
                       at=index.repo.anchor(), key_path="runbooks.missing")
