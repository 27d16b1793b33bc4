"""Restore procedures tested.

## What it does
Looks for a restore exercised within `dr_exercise_max_age_days`: an exercise record
`docs/dr-exercises/YYYY-MM-DD[-slug].md` whose front matter `exercise_type` is `restore`, `failover` or
`region-failover` and that has Scenario, Recovery Steps Tested and Participants sections; or an automated
restore: a scheduled CI job running `velero restore create` whose failure is not ignored, a k8up Restore,
or a CloudNativePG Cluster bootstrapped from a backup (`spec.bootstrap.recovery`). Tabletop exercises
alone do not count, and listing backups (`velero backup get`) is not a restore. Repositories without
stateful components are not judged unless `project.critical` is true.

## Why it matters
A backup that was never restored is a hope, not a backup: restores fail on missing credentials, wrong
regions, incompatible versions or steps nobody remembers.

## How to fix
Restore into a scratch namespace on a schedule (a CI job or a verification manifest), or run a restore
exercise at least yearly and record it in `docs/dr-exercises/` with its front matter and sections.

## Example
```yaml fail file=pvc.yaml
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
```yaml pass file=pvc.yaml
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
```markdown pass file=docs/dr-exercises/2026-09-14-restore.md
---
exercise_type: restore
duration_minutes: 95
---
# Restore exercise 2026-09-14

### Scenario

The shop database volume was lost; we restored the nightly Velero backup into a scratch namespace
and pointed a copy of the API at it to compare order counts with production.

### Recovery Steps Tested

velero restore create from the latest nightly backup, waited for the volumes, ran the order
consistency script and the smoke tests, then deleted the scratch namespace again.

### Participants

Ana (incident commander), Ben (database owner), Chen (platform on-call) and Dana from support, who
took notes and timed every step of the exercise.
```
"""
import re

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.ci import all_steps, tolerated
from readylint.model.doc_requirements import DocRequirement, inspect
from readylint.model.docs import docs, today
from readylint.model.dr import EXERCISE_GLOBS, EXERCISE_SECTIONS, dr_not_relevant, exercises
from readylint.model.objects import dig, mapping
from readylint.registry import rule

RESTORE_COMMAND = lazy_re.compile(r"velero\s+restore\s+create|k8up\s+restore|restic\s+restore|pg_restore|"
                             r"kubectl\s+cnpg\s+restore", re.IGNORECASE)
QUALIFYING = ("restore", "failover", "region-failover")


def automated_restores(index):
    """(description, Location) of restores that run without a person: scheduled CI jobs and restore objects."""
    found = []
    for step in all_steps(index):
        if RESTORE_COMMAND.search(step.run or "") and "schedule" in step.job.events and tolerated(step) is None:
            found.append((f"scheduled restore in {step.job.display}", step.location))
    for obj in index.objects:
        if obj.group == "k8up.io" and obj.kind == "Restore":
            found.append((obj.ref, obj.name_at()))
        elif obj.group == "postgresql.cnpg.io" and obj.kind == "Cluster" and mapping(
                dig(obj.spec, "bootstrap", "recovery")) is not None:
            found.append((f"{obj.ref} bootstraps from a backup", obj.at("spec", "bootstrap", "recovery")))
    return found


@rule(code="DR002", slug="restore-tested", scope="repository", severity="warning", confidence="low",
      evidence="R, C", options={"dr_exercise_max_age_days": 365, "doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("restore-tested", "restore test")
    why = dr_not_relevant(index)
    if why:
        yield subject.not_applicable(NOT_RELEVANT, why)
        return
    automated = automated_restores(index)
    if automated:
        yield subject.passed(automated[0][0])
        return
    records = exercises(index)
    real = [e for e in records if e.type in QUALIFYING]
    if not real:
        if records:
            newest = records[0]
            kinds = ", ".join(sorted({e.type or "none" for e in records}))
            yield subject.fail(f"No recorded DR exercise restored anything (exercise_type: {kinds}; newest "
                               f"{newest.path}). Restore a backup for real and record it with exercise_type: "
                               f"restore.",
                               at=newest.location, key_path="dr-exercise.type")
        else:
            yield subject.fail(f"No restore test: no exercise record in {EXERCISE_GLOBS[0].rsplit('/', 1)[0]}/ and "
                               f"no scheduled restore job. Restore a backup and record it as "
                               f"docs/dr-exercises/YYYY-MM-DD-restore.md with exercise_type: restore.",
                               at=index.repo.anchor(), key_path="dr-exercise.missing")
        return
    newest = real[0]
    failed = False
    if newest.date is None:
        failed = True
        yield subject.fail(f"The DR exercise record {newest.path} has no date: name it YYYY-MM-DD[-slug].md.",
                           at=newest.location, key_path="dr-exercise.date")
    else:
        age = (today(index) - newest.date).days
        if age > opts["dr_exercise_max_age_days"]:
            failed = True
            yield subject.fail(f"The newest restore exercise {newest.path} is {age} days old, more than "
                               f"{opts['dr_exercise_max_age_days']}; exercise the restore again.",
                               at=newest.location, key_path="dr-exercise.age")
    req = DocRequirement("DR exercise record", sections=EXERCISE_SECTIONS, min_words=opts["doc_section_min_words"],
                         check_links=False)
    match = inspect(docs(index), req, newest.doc)
    lacking = [s.name for s in match.missing] + [f"{s.name} (stub)" for s, _ in match.stubs]
    if lacking:
        failed = True
        yield subject.fail(f"The DR exercise record {newest.path} lacks sections: {', '.join(lacking)}; record "
                           f"what was tested, how and by whom.", at=docs(index).location(newest.doc),
                           key_path="dr-exercise.sections",
                           related=(Related(newest.location, f"exercise_type: {newest.type}"),))
    if not failed:
        yield subject.passed(f"{newest.path} ({newest.type}, {newest.date})")
