"""Recovery time objectives defined.

## What it does
Reads the DR plan for a recovery time objective (front matter `rto_minutes`, or text such as "RTO: 4
hours") together with a recovery-steps section (a heading naming recovery, restore or the procedure, with
at least `doc_section_min_words` words). An RTO without steps is aspirational. When the newest exercise
record (`docs/dr-exercises/YYYY-MM-DD*.md`) states `duration_minutes` above the RTO, the RTO was not met
in practice (`warning`). An SLO is not an RTO. Repositories without stateful components are not judged
unless `project.critical` is true.

## Why it matters
The RTO tells the business how long the service may be down after a disaster; without steps that can
achieve it, nobody knows whether it is realistic.

## How to fix
State `rto_minutes` in the DR plan's front matter and write the recovery steps; exercise them and record
how long it took.

## Example
```markdown fail file=docs/dr-plan.md
---
rpo_minutes: 60
---
# Disaster recovery plan

We aim to be back quickly.
```
```yaml fail file=pvc.yaml
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
```markdown pass file=docs/dr-plan.md
---
rto_minutes: 240
---
# Disaster recovery plan

### Recovery steps

Create the namespace from Git, restore the latest Velero backup of the shop namespace with velero
restore create, wait for the database pods to be ready, then run the smoke tests and reopen traffic.
```
```yaml pass file=pvc.yaml
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
"""
from readylint.findings import NOT_RELEVANT, Location, Related
from readylint.model.doc_requirements import SectionSpec
from readylint.model.dr import PLAN, dr_not_relevant, exercises, plan
from readylint.model.facts import find_facts, format_minutes
from readylint.registry import rule

STEPS = SectionSpec("Recovery steps", (r"recover|restor|procedure|runbook|steps|playbook",))


@rule(code="DR004", slug="rto-defined", scope="repository", severity="warning", confidence="medium",
      evidence="R", options={"doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("rto", "recovery time objective")
    why = dr_not_relevant(index)
    if why:
        yield subject.not_applicable(NOT_RELEVANT, why)
        return
    match = plan(index)
    if match is None:
        yield subject.fail(f"No disaster recovery plan states an RTO. {PLAN.fix}", at=index.repo.anchor(),
                           key_path="dr-plan.missing")
        return
    facts = find_facts(match.doc, "rto", match.start, match.end, unparsed=True)
    fact = next((f for f in facts if isinstance(f.value, float)), None)
    if fact is None:
        at = Location(match.doc.path, facts[0].line, facts[0].col) if facts else match.location
        what = f"an RTO readylint cannot read ({facts[0].text!r})" if facts else "no RTO"
        yield subject.fail(f"The DR plan {match.where} states {what}; add rto_minutes: <minutes> to its front "
                           f"matter.", at=at, key_path="dr-plan.rto")
        return
    at = Location(match.doc.path, fact.line, fact.col)
    inside = [s for s in match.doc.sections if match.scope is None or match.start <= s.heading.line <= match.end]
    sections = [s for s in inside if s.heading is not match.doc.title and STEPS.matches(s.heading.text)
                and s.words >= opts["doc_section_min_words"]]
    failed = False
    if not sections:
        failed = True
        yield subject.fail(f"The DR plan {match.where} sets an RTO of {format_minutes(fact.value)} but has no "
                           f"recovery steps section with at least {opts['doc_section_min_words']} words; write the "
                           f"steps that achieve it.", at=at, key_path="dr-plan.rto.steps")
    timed = next((e for e in exercises(index) if e.duration_minutes is not None), None)
    if timed is not None and timed.duration_minutes > fact.value:
        failed = True
        line = timed.doc.front_matter_lines.get("duration_minutes", 1)
        yield subject.fail(f"The newest timed DR exercise {timed.path} took {format_minutes(timed.duration_minutes)}, "
                           f"more than the RTO of {format_minutes(fact.value)}; speed up recovery or revise the RTO.",
                           at=Location(timed.path, line, 1), key_path="dr-exercise.duration", level="warning",
                           related=(Related(at, f"RTO {format_minutes(fact.value)}"),))
    if not failed:
        yield subject.passed(f"RTO {format_minutes(fact.value)} with recovery steps in {match.doc.path}")
