"""Failover procedures documented.

## What it does
Looks for a failover section (a heading naming failover or fail-over, in the DR plan or any document)
that covers trigger criteria, the traffic switch (DNS or a global load balancer), data promotion (e.g.
promoting a CloudNativePG replica cluster), verification and failback, as headings or in its text. Names
the procedure uses in commands (`argocd app sync <app>`, `kubectl cnpg promote <cluster>`) must exist in the
repository (`warning` otherwise). Sections about a database operator's automatic in-cluster switchover are
high availability, not DR, and do not count. `no_standby: true` records a service without a standby by
design. Repositories without stateful components are not judged unless `project.critical` is true.

## Why it matters
Failing over to another site is rare, risky and done under stress: without written criteria and steps it
is improvised, and failing back is forgotten until it hurts.

## How to fix
Add a "Failover" section to the DR plan with when to fail over, how traffic moves, how data is promoted,
how to verify, and how to fail back, naming the real clusters and Applications.

## Example
```markdown fail file=docs/dr-plan.md
# Disaster recovery plan

Backups run nightly and are restored on demand into a fresh namespace by the platform team.
```
```yaml fail file=pvc.yaml
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
```markdown pass file=docs/dr-plan.md
# Disaster recovery plan

### Failover

Trigger: fail over when the primary region is unavailable for 15 minutes and the incident commander
agrees. Promote the replica database in the standby region, switch the DNS record to the standby load
balancer, verify with the smoke tests and dashboards, and fail back once the primary region is healthy.
```
```yaml pass file=pvc.yaml
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
```
"""

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT, Location
from readylint.model.doc_requirements import DocRequirement, SectionSpec, evaluate, judge
from readylint.model.dr import dr_not_relevant
from readylint.model.gitops import applications
from readylint.registry import rule

TOPICS = (
    SectionSpec("trigger criteria", (r"trigger|criteria|when to|declar|decid|threshold",), in_text=True),
    SectionSpec("traffic switch", (r"\bdns\b|load ?balancer|traffic|route ?53|global|gslb|cname|weight",),
                in_text=True),
    SectionSpec("data promotion", (r"promot|replica|primary|standby database|read[- ]only",), in_text=True),
    SectionSpec("verification", (r"verif|smoke|health|confirm|validat|dashboard",), in_text=True),
    SectionSpec("failback", (r"fail[- ]?back|switch back|return to the primary|revert to the primary",),
                in_text=True),
)
COMMANDS = ((lazy_re.compile(r"argocd\s+app\s+\w+\s+([a-z0-9][-a-z0-9.]*)"), "Application"),
            (lazy_re.compile(r"kubectl\s+cnpg\s+promote\s+([a-z0-9][-a-z0-9.]*)"), "Cluster"))


def requirement(min_words):
    return DocRequirement(
        name="failover procedure", paths=("docs/failover*.md", "docs/**/failover*.md", "FAILOVER.md"),
        headings=(r"fail[- ]?over",),
        exclude_headings=(r"automatic|switchover|patroni|operator|in[- ]cluster|\bha\b|high availability",),
        exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md"), sections=TOPICS, min_words=min_words,
        fix="Add a 'Failover' section to the DR plan: trigger criteria, traffic switch, data promotion, "
            "verification and failback.")


@rule(code="DR005", slug="failover-procedure", scope="repository", severity="note", confidence="low",
      evidence="R, A", options={"no_standby": False, "doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("failover", "failover procedure")
    why = dr_not_relevant(index)
    if why:
        yield subject.not_applicable(NOT_RELEVANT, why)
        return
    if opts["no_standby"]:
        yield subject.not_applicable(NOT_RELEVANT, "options.no_standby: the service has no standby by design")
        return
    req = requirement(opts["doc_section_min_words"])
    match = evaluate(index, req)
    failed = False
    for outcome in judge(index, req, subject, match):
        if outcome.status == "fail":
            failed = True
            yield outcome
    if match is None:
        return
    known = {"Application": {a.obj.name for a in applications(index)},
             "Cluster": {o.name for o in index.of_kind("Cluster") if o.group == "postgresql.cnpg.io"}}
    for number in range(match.start, match.end + 1):
        for pattern, kind in COMMANDS:
            for found in pattern.finditer(match.doc.lines[number - 1]):
                name = found.group(1)
                if known[kind] and name not in known[kind]:
                    failed = True
                    yield subject.fail(f"The failover procedure in {match.where} names {kind} '{name}', which does "
                                       f"not exist in the repository ({', '.join(sorted(known[kind]))[:200]}); "
                                       f"update the procedure.", at=Location(match.doc.path, number,
                                                                            found.start(1) + 1),
                                       key_path=f"doc.names.{name}", level="warning")
    if not failed:
        yield subject.passed(f"{match.where} covers it")
