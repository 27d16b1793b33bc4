"""Data recovery point documented.

## What it does
Reads the DR plan (`docs/dr-plan.md`, `DISASTER_RECOVERY.md`, `docs/dr*.md`) for a recovery point
objective: front matter `rpo_minutes` (a number of minutes or a duration such as `15m`), or text such as
"RPO: 15 minutes" ("daily", "1h" and "PT4H" are understood). Then it compares the RPO with the backup
schedules in the manifests (Velero and k8up Schedules, CloudNativePG ScheduledBackups, snapscheduler): the
longest gap between two runs of the slowest schedule must not exceed the RPO. Continuous WAL archiving of
a CloudNativePG Cluster counts as five minutes. Repositories without stateful components are not judged
unless `project.critical` is true.

## Why it matters
The RPO is how much data the business agreed it may lose. A nightly backup behind a 15-minute RPO is a
promise that will be broken on the first restore.

## How to fix
State `rpo_minutes` in the DR plan's front matter, and schedule backups at least that often (or change
the RPO with the people who own it).

## Example
```markdown fail file=docs/dr-plan.md
---
rpo_minutes: 60
---
# Disaster recovery plan

Restore the database from the latest Velero backup into a new namespace and repoint the service.
```
```yaml fail file=velero.yaml
apiVersion: velero.io/v1
kind: Schedule
metadata: {name: nightly, namespace: velero}
spec:
  schedule: "0 2 * * *"
  template: {includedNamespaces: [shop]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
```markdown pass file=docs/dr-plan.md
---
rpo_minutes: 1440
---
# Disaster recovery plan

Restore the database from the latest Velero backup into a new namespace and repoint the service.
```
```yaml pass file=velero.yaml
apiVersion: velero.io/v1
kind: Schedule
metadata: {name: nightly, namespace: velero}
spec:
  schedule: "0 2 * * *"
  template: {includedNamespaces: [shop]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
"""
from readylint.findings import NOT_RELEVANT, Location, Related
from readylint.model.dr import PLAN, backup_schedules, dr_not_relevant, plan
from readylint.model.facts import find_facts, format_minutes
from readylint.registry import rule


@rule(code="DR003", slug="rpo-documented", scope="repository", severity="warning", confidence="medium",
      evidence="R")
def check(index, opts):
    subject = index.repo.subject("rpo", "recovery point objective")
    why = dr_not_relevant(index)
    if why:
        yield subject.not_applicable(NOT_RELEVANT, why)
        return
    match = plan(index)
    if match is None:
        yield subject.fail(f"No disaster recovery plan states an RPO. {PLAN.fix}", at=index.repo.anchor(),
                           key_path="dr-plan.missing")
        return
    facts = find_facts(match.doc, "rpo", match.start, match.end, unparsed=True)
    fact = next((f for f in facts if isinstance(f.value, float)), None)
    if fact is None:
        at = match.location
        if facts:
            at = Location(match.doc.path, facts[0].line, facts[0].col)
        what = f"an RPO readylint cannot read ({facts[0].text!r})" if facts else "no RPO"
        yield subject.fail(f"The DR plan {match.where} states {what}; add rpo_minutes: <minutes> to its front "
                           f"matter.", at=at, key_path="dr-plan.rpo")
        return
    at = Location(match.doc.path, fact.line, fact.col)
    schedules = [s for s in backup_schedules(index) if s.interval_minutes is not None]
    slow = max(schedules, key=lambda s: s.interval_minutes, default=None)
    if slow is not None and slow.interval_minutes > fact.value:
        yield subject.fail(f"The DR plan's RPO of {format_minutes(fact.value)} is shorter than the backup "
                           f"interval of {slow.what} ({format_minutes(slow.interval_minutes)} between runs): a "
                           f"restore can lose more data than promised. Back up more often or revise the RPO.",
                           at=at, key_path="dr-plan.rpo.schedule",
                           related=(Related(slow.location, f"{slow.what} runs every "
                                                           f"{format_minutes(slow.interval_minutes)}"),))
        return
    yield subject.passed(f"RPO {format_minutes(fact.value)} in {match.doc.path}")
