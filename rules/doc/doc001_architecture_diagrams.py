"""Architecture diagrams updated.

## What it does
Looks for architecture diagram sources: draw.io (`*.drawio`, `*.drawio.svg`, `*.drawio.png`), PlantUML
(`*.puml`, `*.plantuml`, `*.iuml`), Mermaid (`*.mmd` files or ```` ```mermaid ```` blocks in the docs),
Structurizr DSL (`workspace.dsl`, `*.dsl`), D2 (`*.d2`), Excalidraw (`*.excalidraw`), or images under
`docs/**/architecture*`. The diagrams are **updated** when their newest change (front matter
`last_reviewed` of the document holding a Mermaid block wins) is not more than `doc_staleness_days` older
than the newest change to what deploys the service (charts, manifests, Applications). Text diagrams must
mention every long-running workload by name (one finding lists the missing ones). Without full git
history the freshness part is unknown; bulk reformatting commits listed in `.git-blame-ignore-revs` are
ignored.

## Why it matters
New team members and incident responders reason from the diagram; one that shows last year's
architecture sends them to components that no longer exist and hides the ones that do.

## How to fix
Keep a diagram as code next to the manifests (Mermaid in `docs/architecture.md`, PlantUML or Structurizr),
name every component in it, and update it in the same pull request as the architecture.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: api, image: "registry.example.com/api:1.0.0"}]
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: api, image: "registry.example.com/api:1.0.0"}]
```
```text pass file=docs/architecture.mmd
graph LR
  user --> api
  api --> postgres
```
"""
import re

from readylint.findings import EVIDENCE_UNAVAILABLE, Location, Related
from readylint.model.docs import docs
from readylint.registry import rule

TEXT_DIAGRAMS = ("**/*.puml", "**/*.plantuml", "**/*.iuml", "**/*.mmd", "**/*.mermaid", "**/workspace.dsl",
                 "**/*.dsl", "**/*.d2", "**/*.drawio", "**/*.excalidraw")
IMAGE_DIAGRAMS = ("**/*.drawio.svg", "**/*.drawio.png", "docs/**/architecture*.png", "docs/**/architecture*.svg",
                  "docs/**/architecture*.jpg", "docs/**/architecture/*.png", "docs/**/architecture/*.svg")
DEPLOYMENT_GLOBS = ("**/Chart.yaml", "**/values*.yaml", "**/templates/**", "**/kustomization.yaml", "deploy/**",
                    "manifests/**", "k8s/**", "kubernetes/**", "helm/**", "charts/**", "argocd/**", "gitops/**")


def diagrams(index):
    """(path, Location, text or None) of every diagram source; Mermaid blocks point at their fence."""
    found = []
    for path in index.repo.glob(*TEXT_DIAGRAMS):
        text = index.repo.text(path)
        if text and "<diagram" in text and "<mxGraphModel" not in text:
            text = None  # compressed draw.io: names are not readable, the file can only be dated
        found.append((path, Location(path, 1, 1), text))
    for path in index.repo.glob(*IMAGE_DIAGRAMS):
        if not any(p == path for p, _, _ in found):
            found.append((path, Location(path, 1, 1), None))
    docset = docs(index)
    for doc in docset.documents():
        for fence in doc.fences:
            if fence.lang in ("mermaid", "plantuml", "puml", "d2", "structurizr"):
                found.append((doc.path, Location(doc.path, max(fence.start - 1, 1), 1),
                              doc.text_between(fence.start, fence.end)))
    return found


def _mentions(text: str, name: str) -> bool:
    flat = re.sub(r"[-_\s.]+", "", text.lower())
    return re.sub(r"[-_\s.]+", "", name.lower()) in flat


@rule(code="DOC001", slug="architecture-diagrams", scope="repository", severity="note", confidence="medium",
      evidence="R, G", options={"doc_staleness_days": 180})
def check(index, opts):
    subject = index.repo.subject("architecture-diagrams", "architecture diagrams")
    found = diagrams(index)
    if not found:
        yield subject.fail("No architecture diagram in the repository: add one as code (Mermaid in "
                           "docs/architecture.md, PlantUML, Structurizr or draw.io) naming every component.",
                           at=index.repo.anchor(), key_path="diagram.missing")
        return
    first = found[0][1]
    texts = [(path, text) for path, _, text in found if text]
    names = sorted({wl.obj.name for wl in index.workloads_for(long_running=True) if wl.obj.name})
    missing = [n for n in names if texts and not any(_mentions(t, n) for _, t in texts)]
    if missing:
        shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
        yield subject.fail(f"The architecture diagrams ({', '.join(sorted({p for p, _ in texts})[:3])}) do not show "
                           f"{len(missing)} of the {len(names)} workloads: {shown}; add them.", at=first,
                           key_path="diagram.components")
    else:
        yield subject.passed(f"{len(found)} diagram source(s)")
    fresh_subject = index.repo.subject("architecture-diagrams/freshness", "architecture diagrams (freshness)")
    yield from _freshness(index, fresh_subject, found, opts)


def _freshness(index, subject, found, opts):
    docset = docs(index)
    dates, unavailable = [], ""
    for path, at, _ in found:
        doc = docset.get(path) if path.lower().endswith((".md", ".rst", ".adoc")) else None
        fresh = docset.freshness(doc) if doc is not None else docset.changed([path])
        if fresh.known:
            dates.append((fresh, at))
        else:
            unavailable = unavailable or fresh.unavailable
    if not dates:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"cannot date the diagrams: {unavailable}")
        return
    fresh, at = max(dates, key=lambda d: d[0].date)
    deploy = sorted({o.path for o in index.objects} | set(index.repo.glob(*DEPLOYMENT_GLOBS)))
    yield from _stale(index, subject, at, fresh, deploy, opts["doc_staleness_days"])


def _stale(index, subject, at, fresh, deploy, days):
    deploy = [p for p in deploy if p != at.path]
    if not deploy:
        yield subject.passed("no deployment files to compare with")
        return
    described = docs(index).changed(deploy)
    if not described.known:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"cannot date the deployment files: "
                                                           f"{described.unavailable}")
        return
    lag = (described.date - fresh.date).days
    if lag > days:
        yield subject.fail(f"The architecture diagram {at.path} is stale: its newest change ({fresh.date.isoformat()}) "
                           f"is {lag} days older than the last change to {described.location.path} "
                           f"({described.date.isoformat()}), more than {days}; update it.", at=at,
                           key_path="diagram.stale",
                           related=(Related(described.location, "changed after the diagram"),))
        return
    yield subject.passed(f"{at.path} changed within {days} days of the deployment files")
