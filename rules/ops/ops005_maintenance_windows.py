"""Maintenance windows defined.

## What it does
Accepts any of: an Argo CD AppProject `spec.syncWindows[]` entry (`kind: allow|deny`, cron `schedule`,
`duration`) whose `applications`, `namespaces` or `clusters` globs match an Application of that project
in the repository; Alertmanager `time_intervals` (or `mute_time_intervals`, or an AlertmanagerConfig's
`timeIntervals`) referenced by a route's `mute_time_intervals` / `active_time_intervals`; a maintenance
document (`MAINTENANCE.md`, `docs/maintenance*.md`, or a "Maintenance window" section) giving the
schedule and how users are notified; or a managed-cluster maintenance policy in Terraform
(`maintenance_policy`, `maintenance_window`). A sync window that matches none of its project's
Applications in the repository (projects whose Applications live elsewhere are taken as they are) and a
time interval no route references are failures on their own. A deny window with `manualSync: true` still
allows manual syncs (noted). With `project.continuous_deployment: true` the rule is not judged once a
document records the decision to deploy without windows. Renovate or Dependabot schedules are update
cadences, not maintenance windows.

## Why it matters
Risky changes (database upgrades, cluster upgrades, migrations) need an agreed slot that users know
about and alerting knows to expect; otherwise every maintenance is an unannounced outage with pages.

## How to fix
Add a `syncWindows` entry to the AppProject of the production Applications, or document the window
(schedule, notification) in `docs/maintenance.md`, and mute alerts during it with an Alertmanager
`time_intervals` entry that a route references.

## Example
```yaml fail file=argocd/project.yaml
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: shop, namespace: argocd}
spec:
  syncWindows:
    - kind: allow
      schedule: "0 22 * * 2"
      duration: 2h
      applications: [payments-*]
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop-api, namespace: argocd}
spec:
  project: shop
  destination: {server: "https://kubernetes.default.svc", namespace: shop}
```
```yaml pass file=argocd/project.yaml
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: shop, namespace: argocd}
spec:
  syncWindows:
    - kind: allow
      schedule: "0 22 * * 2"
      duration: 2h
      applications: [shop-*]
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop-api, namespace: argocd}
spec:
  project: shop
  destination: {server: "https://kubernetes.default.svc", namespace: shop}
```
"""
import fnmatch
import re

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT, Location
from readylint.model.doc_requirements import DocRequirement, SectionSpec, evaluate, judge
from readylint.model.gitops import applications, gitops_objects
from readylint.model.objects import mapping, sequence
from readylint.registry import rule
from readylint.rules.ops._alertmanager import configs

TERRAFORM_WINDOW = lazy_re.compile(r"^\s*(maintenance_policy|maintenance_window|maintenance_window_auto_upgrade|"
                              r"maintenance_configuration)\b", re.MULTILINE)
NO_WINDOWS = lazy_re.compile(r"no (?:fixed |scheduled )?maintenance windows?|without maintenance windows?|"
                        r"maintenance windows? (?:are|is) not (?:needed|used|required)|continuous(?:ly)? deploy",
                        re.IGNORECASE)


def requirement(opts) -> DocRequirement:
    return DocRequirement(
        name="maintenance window document",
        paths=("MAINTENANCE.md", "docs/maintenance*.md", "docs/**/maintenance*.md", "docs/maintenance*.rst",
               "docs/maintenance*.adoc"),
        headings=(r"maintenance",), exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md"),
        exclude_headings=(r"maintainer",),
        sections=(SectionSpec("the schedule", (r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day|weekly|monthly|"
                                               r"\bUTC\b|\d{1,2}:\d\d|cron|window",), in_text=True),
                  SectionSpec("how users are notified", (r"notif|announc|status ?page|inform|communicat|e-?mail|"
                                                         r"slack",), in_text=True)),
        min_words=opts["doc_section_min_words"],
        fix="Add docs/maintenance.md with the window's schedule and how users are notified, or an Argo CD "
            "AppProject syncWindows entry.")


@rule(code="OPS005", slug="maintenance-windows", scope="repository", severity="note", confidence="medium",
      evidence="A, R", options={"doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("maintenance-windows", "maintenance windows")
    req = requirement(opts)
    if (index.settings.get("project") or {}).get("continuous_deployment") is True:
        decision = _decision(index)
        if decision:
            yield subject.not_applicable(NOT_RELEVANT, f"project.continuous_deployment, decision recorded at "
                                                       f"{decision.path}:{decision.line}")
            return
    evidence, failures = [], []
    _sync_windows(index, evidence, failures)
    _time_intervals(index, evidence, failures)
    for path in index.repo.glob("**/*.tf"):
        found = TERRAFORM_WINDOW.search(index.repo.text(path) or "")
        if found:
            evidence.append(f"{found.group(1)} in {path}")
    match = evaluate(index, req)
    doc_outcomes = list(judge(index, req, subject, match)) if match is not None else []
    if match is not None and not any(o.status == "fail" for o in doc_outcomes):
        evidence.append(f"{match.where}")
    for message, at, key in failures:
        yield subject.fail(message, at=at, key_path=key)
    if evidence:
        if not failures:
            yield subject.passed("; ".join(evidence))
        return
    if failures:
        return
    if match is not None:
        yield from (o for o in doc_outcomes if o.status == "fail")
        return
    if (index.settings.get("project") or {}).get("continuous_deployment") is True:
        yield subject.fail("project.continuous_deployment is set but no document records the decision to deploy "
                           "without maintenance windows; write it down (e.g. in docs/maintenance.md).",
                           at=index.repo.anchor(), key_path="windows.decision")
        return
    yield subject.fail(f"No maintenance window: no AppProject syncWindows, no Alertmanager time interval and no "
                       f"maintenance document. {req.fix}", at=index.repo.anchor(), key_path="windows.missing")


def _decision(index):
    from readylint.model.docs import docs

    for doc in docs(index).documents():
        for number, line in enumerate(doc.lines, 1):
            if NO_WINDOWS.search(line) and "maintenance" in line.lower():
                return Location(doc.path, number, 1)
    return None


def _app_matches(app, window) -> bool:
    dest = mapping(app.spec.get("destination")) or {}
    checks = (("applications", app.obj.name), ("namespaces", str(dest.get("namespace") or "")),
              ("clusters", str(dest.get("name") or dest.get("server") or "")))
    for key, value in checks:
        if any(fnmatch.fnmatchcase(value, str(p)) for p in sequence(window.get(key))):
            return True
    return False


def _sync_windows(index, evidence, failures):
    apps = applications(index)
    for project in gitops_objects(index, "AppProject"):
        windows = sequence(project.spec.get("syncWindows"))
        members = [a for a in apps if str(a.spec.get("project") or "default") == project.name]
        for i, window in enumerate(windows):
            window = mapping(window) or {}
            at = project.at("spec", "syncWindows", i)
            if not members:  # its Applications live elsewhere (another repository, an app of apps)
                evidence.append(f"{project.ref} syncWindows[{i}] (no Application of the project here to match)")
                continue
            if not any(_app_matches(a, window) for a in members):
                names = ", ".join(sorted({a.obj.name for a in members})[:5])
                failures.append((f"Sync window {i} of {project.ref} ({window.get('kind', 'allow')} "
                                 f"{window.get('schedule', '')!s}) matches no Application of the project "
                                 f"(Applications: {names}); fix its applications/namespaces/clusters globs.", at,
                                 f"{project.ref}.syncWindows[{i}]"))
                continue
            manual = " (deny with manualSync: true still allows manual syncs)" if window.get("kind") == "deny" and \
                window.get("manualSync") is True else ""
            evidence.append(f"{project.ref} syncWindows[{i}]{manual}")


def _time_intervals(index, evidence, failures):
    for config in configs(index):
        if not config.time_intervals:
            continue
        used = set()
        if config.route is not None:
            for route in config.route.walk():
                used |= set(route.mute) | set(route.active)
        for name, at in config.time_intervals.items():
            if name in used:
                evidence.append(f"time interval {name} in {config.where}")
            else:
                failures.append((f"The Alertmanager time interval '{name}' in {config.where} is referenced by no "
                                 f"route, so it mutes nothing; add it to a route's mute_time_intervals.", at,
                                 f"{config.where}.time_intervals.{name}"))
