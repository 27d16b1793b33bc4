"""Runbooks created.

## What it does
Checks that every alerting rule at or above `runbook_min_severity` has an `annotations.runbook_url` (or
`runbook`) that resolves: a path in the repository (a file, and its heading when the link has an anchor), a
URL under `platform.runbooks_base_url` that maps to a file here (`<base>/<component>/<alert>` finds
`.../<component>/<Alert>.md`, case-insensitively), or an upstream runbook site in `runbook_sites` (fine
for platform alerts). `{{ $labels.alertname }}` in a URL is replaced by the alert's name. Each runbook a
link reaches needs the sections of `runbook_sections` (`/` separates alternatives), each with at least
`doc_section_min_words` words besides TODO/TBD markers. With no alerting rules at all, a `RUNBOOK.md` or a
runbook folder with one written runbook is enough. A runbook outside the repository, not under a declared
base URL, cannot be checked: unknown, not a pass.

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
            runbook_url: https://runbooks.prometheus-operator.dev/runbooks/general/targetdown
```
"""
import posixpath
import re

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Related
from readylint.model.doc_requirements import DocRequirement, SectionSpec, inspect
from readylint.model.docs import docs
from readylint.model.monitoring import alerts
from readylint.registry import rule

SEVERITY_RANK = {"none": -1, "info": 0, "informational": 0, "low": 0, "warning": 1, "warn": 1, "medium": 1,
                 "high": 2, "error": 2, "critical": 2, "page": 2, "major": 2, "fatal": 3, "emergency": 3}
SYNONYMS = {"meaning": r"\bmeaning\b|\bdescription\b|\boverview\b|\bsummary\b", "impact": r"\bimpact\b",
            "diagnosis": r"diagnos|troubleshoot|investigat|\bdebug", "mitigation": r"mitigat|remediat|resol|\bfix",
            "escalation": r"escalat|\bcontacts?\b|\bowners?\b|\bsupport\b"}
RUNBOOK_GLOBS = ("RUNBOOK.md", "RUNBOOKS.md", "docs/runbooks/**/*.md", "docs/runbook*.md", "runbooks/**/*.md",
                 "docs/**/runbooks/**/*.md", "**/runbooks/**/*.md", "**/runbook.md")
TEMPLATE = re.compile(r"\{\{\s*(?:\$labels\.alertname|\.Labels\.alertname|\$labels\.alert)\s*\}\}")


def sections(names) -> tuple:
    out = []
    for name in names:
        alternatives = [a.strip() for a in str(name).split("/") if a.strip()]
        patterns = tuple(SYNONYMS.get(a.lower(), r"\b" + re.escape(a) + r"\b") for a in alternatives)
        out.append(SectionSpec(str(name), patterns))
    return tuple(out)


def _base(url: str) -> str:
    return re.sub(r"^https?://", "", url.strip()).rstrip("/").lower()


def _runbook_files(index):
    return [p for p in docs(index).find(*RUNBOOK_GLOBS) if not p.lower().endswith(("_index.md", "/readme.md"))]


def _map_url(index, rest: str) -> str | None:
    """The repository file a runbook URL path names (``kubernetes/kubepodcrashlooping`` →
    ``.../kubernetes/KubePodCrashLooping.md``), comparing without case and extension."""
    rest = re.sub(r"\.(md|html?)$", "", rest.strip("/").lower())
    if not rest:
        return None
    for path in index.repo.files:
        lower = path.lower()
        stem = re.sub(r"\.(md|markdown|rst|adoc)$", "", lower)
        if stem == lower:
            continue
        for candidate in (stem, stem.rsplit("/", 1)[0] if stem.endswith(("/_index", "/index", "/readme")) else None):
            if candidate and (candidate == rest or candidate.endswith("/" + rest)):
                return path
    return None


def resolve(index, alert, url: str, opts):
    """(status, path, anchor, why): status is "repo", "claim", "upstream", "external" or "broken"."""
    platform = index.settings.get("platform") or {}
    url = TEMPLATE.sub(alert.name, url.strip())
    if "{{" in url:
        return "external", None, "", f"the runbook URL {url} is a template readylint cannot expand"
    target, _, anchor = url.partition("#")
    if "://" not in target:
        for base in (posixpath.dirname(alert.path), ""):
            wanted = posixpath.normpath(posixpath.join(base, target.lstrip("/")))
            actual = index.repo.actual(wanted)
            if actual:
                return "repo", actual, anchor, ""
        return "broken", None, anchor, f"{target} does not exist in the repository"
    base_url = platform.get("runbooks_base_url")
    if base_url and _base(target).startswith(_base(base_url)):
        rest = _base(target)[len(_base(base_url)):]
        found = _map_url(index, rest)
        if found:
            return "repo", found, anchor, ""
        if _runbook_files(index):
            return "broken", None, anchor, (f"no runbook in the repository matches {rest.strip('/')} under "
                                            f"platform.runbooks_base_url")
        return "claim", None, anchor, "claim: platform.runbooks_base_url (link shape checked only)"
    repo_url = str((index.settings.get("project") or {}).get("repo_url") or "")
    if repo_url and _base(target).startswith(_base(repo_url) + "/"):
        match = re.match(r"/(?:blob|tree)/[^/]+/(.+)", _base(target)[len(_base(repo_url)):])
        if match and index.repo.actual(match.group(1)):
            return "repo", index.repo.actual(match.group(1)), anchor, ""
        return "broken", None, anchor, f"{target} names no file of this repository"
    host = _base(target)
    if any(host.startswith(_base(site)) for site in opts["runbook_sites"]):
        return "upstream", None, anchor, "an upstream runbook (fine for platform alerts)"
    return "external", None, anchor, (f"the runbook {target} is outside the repository; declare "
                                      "platform.runbooks_base_url to have it accepted")


@rule(code="DOC002", slug="runbooks", scope="alert", severity="warning", confidence="high", evidence="M, R",
      options={"runbook_min_severity": "warning", "doc_section_min_words": 20,
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
        status, path, anchor, why = resolve(index, alert, url, opts)
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
        for _, _, subject in linked:
            yield subject.passed(f"links {match.where}")


def _no_alerts(index, opts):
    subject = index.repo.subject("runbooks", "runbooks")
    docset = docs(index)
    for path in _runbook_files(index):
        doc = docset.get(path)
        if doc is not None and not doc.is_stub(opts["doc_section_min_words"]):
            yield subject.passed(f"{path} is a written runbook (no alerting rules in the repository)")
            return
    yield subject.fail("The repository has no alerting rules and no runbook: add docs/runbooks/<Alert>.md or "
                       "RUNBOOK.md describing how to diagnose and mitigate the service's failures.",
                       at=index.repo.anchor(), key_path="runbooks.missing")
