"""Fallback mechanisms implemented.

## What it does
For each external dependency (discovered as in DEP001), looks for its declared degraded behaviour: a
row or line naming it in a "Degraded mode" / "Fallbacks" / "Graceful degradation" section of the docs.
Code and configuration that implement fallbacks (resilience4j `fallbackMethod`, Polly `Fallback`,
opossum `.fallback(`, feature-flag kill switches with OpenFeature/flagd or Unleash, serve-stale cache
settings) are reported as supporting evidence but need the table to say which dependency falls back to
what; mesh retries and timeouts are not fallbacks. A dependency the inventory marks as **hard** (no
meaningful fallback) is not judged.

## Why it matters
When a dependency is down, the difference between "checkout works without recommendations" and "the
whole site returns 500" is a decision someone made in advance; undocumented, it is made during the
outage.

## How to fix
Add a "Degraded mode" table to the docs (dependency, what users see, how it falls back, how to switch),
implement the fallback in code or with a feature flag, and mark dependencies without a possible fallback
as hard in the inventory.

## Example
```yaml fail file=deploy/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: RECOMMENDER_URL
              value: https://recs.example.net/v2
```
```yaml pass file=deploy/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: RECOMMENDER_URL
              value: https://recs.example.net/v2
```
```markdown pass file=docs/degraded-mode.md
# Degraded mode

| Dependency | Users see | Fallback |
|---|---|---|
| recs.example.net | best sellers instead of personal picks | static list cached for 24 hours |
```
"""
import re

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT, Location, Related
from readylint.registry import rule
from readylint.rules.dep._external import external_dependencies, infra_option

HEADING = lazy_re.compile(r"degraded|fallback|graceful degradation|failure modes?", re.IGNORECASE)
HARD = lazy_re.compile(r"\bhard\b|no (?:meaningful )?fallback|fail[s]? closed", re.IGNORECASE)
CODE_GLOBS = ("**/*.java", "**/*.kt", "**/*.cs", "**/*.js", "**/*.ts", "**/*.go", "**/*.py",
              "**/application*.yml", "**/application*.yaml", "**/flagd*.json", "**/*.flagd.json")
CODE = lazy_re.compile(r"fallbackMethod|\.Fallback\(|FallbackPolicy|AddFallback|\.fallback\(|@openfeature/|"
                  r"openfeature|unleash-client|flagd|serve[-_]?stale|stale-if-error|stale_if_error")


@rule(code="DEP004", slug="fallbacks", scope="dependency", severity="note", confidence="low", evidence="R, M",
      options={"infrastructure_hosts": ""})
def check(index, opts):
    found = external_dependencies(index, infra_option(opts))
    if not found:
        yield index.repo.subject("fallbacks", "fallbacks").not_applicable(NOT_RELEVANT, "no external dependency")
        return
    # the documentation machinery loads only when there is a dependency to look up
    from readylint.model.docs import docs
    from readylint.rules.dep._inventory import inventory, mentions

    listing = inventory(index)
    tables = _tables(docs(index))
    code = _code_evidence(index)
    for dep in found:
        subject = index.repo.subject(f"fallback:{dep.label}", f"fallback for {dep.label}")
        named = listing.names(dep)
        if named and HARD.search(named[1]):
            yield subject.not_applicable(NOT_RELEVANT, f"marked hard in the inventory ({named[0].path}:"
                                                       f"{named[0].line})")
            continue
        row = next(((at, line) for at, line in tables if any(mentions(n, line.lower()) for n in dep.names)), None)
        if row is not None:
            yield subject.passed(f"degraded mode declared at {row[0].path}:{row[0].line}")
            continue
        where = tables[0][0] if tables else (listing.location or index.repo.anchor())
        support = f" Fallback code exists ({code.path}:{code.line}) but no table says what it covers." if code else ""
        related = (Related(dep.location, f"{dep.label}: {dep.locations[0][1]}"),)
        if code:
            related += (Related(code, "fallback code"),)
        yield subject.fail(f"No fallback is declared for external dependency {dep.label} ({dep.locations[0][1]}): "
                           f"add it to a 'Degraded mode' table (what users see, how it falls back), or mark it hard "
                           f"in the dependency inventory.{support}", at=where, key_path=f"fallback.{dep.label}",
                           related=related)


def _tables(docset) -> list:
    """(Location, line) of every line in a degraded-mode or fallback section of the docs."""
    found = []
    for doc in docset.documents():
        for section in doc.sections:
            if HEADING.search(section.heading.text):
                for number in range(section.heading.line, section.end + 1):
                    found.append((Location(doc.path, number, 1), doc.lines[number - 1]))
    return found


def _code_evidence(index) -> Location | None:
    for path in index.repo.glob(*CODE_GLOBS):
        if "node_modules/" in path or "/vendor/" in path:
            continue
        text = index.repo.text(path) or ""
        hit = CODE.search(text)
        if hit:
            return Location(path, text.count("\n", 0, hit.start()) + 1, 1)
    return None
