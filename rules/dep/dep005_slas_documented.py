"""SLAs documented.

## What it does
Looks for the service level agreement (`SLA.md`, `docs/sla*.md`, or an "SLA" / "Service level
agreement" section) and checks that it states an availability commitment as a percentage, a latency
commitment and the measurement window. Then it cross-checks the figures: every availability SLA must be
backed by an SLO monitored in the repository (Sloth, Pyrra, OpenSLO, slo-generator) whose objective is
**at least** as strict; an SLO looser than the SLA it backs is a failure, with the SLO as related
location. An SLA line that names a service is compared with that service's SLOs only; latency SLOs are
never compared with availability figures. External dependencies listed in the inventory (see DEP001)
should carry their vendor's SLA; when the vendor SLAs of the hard dependencies multiplied together fall
below the service's SLA (dependencies described as optional, cached, queued or with a fallback are not in
series), a `note` says the SLA cannot be met. Not judged when `project.external_commitments` is `false` (no
external customers; internal targets are SLOs, see OBS006).

## Why it matters
An SLA is a promise with money or trust attached. If the internal objective is looser than the promise,
the error budget says "fine" while the contract is already broken.

## How to fix
Write `SLA.md` with the availability percentage, the latency commitment and the measurement window per
external-facing service, and keep each SLO objective at or above the SLA it backs.

## Example
```markdown fail file=SLA.md
# Service level agreement

Availability: 99.95% per calendar month, measured at the public load balancer. Latency: 95% of
checkout requests complete within 500 ms over the same monthly window.
```
```yaml fail file=slos/shop.yaml
version: prometheus/v1
service: shop
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="shop",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="shop"}[{{.window}}]))
    alerting: {name: ShopAvailability}
```
```markdown pass file=SLA.md
# Service level agreement

Availability: 99.9% per calendar month, measured at the public load balancer. Latency: 95% of
checkout requests complete within 500 ms over the same monthly window.
```
```yaml pass file=slos/shop.yaml
version: prometheus/v1
service: shop
slos:
  - name: availability
    objective: 99.95
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="shop",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="shop"}[{{.window}}]))
    alerting: {name: ShopAvailability}
```
"""
import re

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT, Location, Related
from readylint.model.doc_requirements import DocRequirement, SectionSpec, evaluate, judge
from readylint.model.facts import find_facts
from readylint.model.monitoring import slos
from readylint.registry import rule
from readylint.rules.dep._external import external_dependencies, infra_option
from readylint.rules.dep._inventory import inventory

LATENCY = lazy_re.compile(r"latenc|duration|slow|fast|response[- ]?time|p9\d|speed", re.IGNORECASE)
VENDOR_SLA = lazy_re.compile(r"\d{2,3}(?:\.\d+)?\s*%|\bSLA\b", re.IGNORECASE)


def requirement(opts) -> DocRequirement:
    return DocRequirement(
        name="SLA document",
        paths=("SLA.md", "SLAS.md", "docs/sla*.md", "docs/**/sla*.md", "docs/service-level-agreement*.md",
               "docs/sla*.rst", "docs/sla*.adoc"),
        headings=(r"\bSLAs?\b|service[- ]level agreement",), exclude_headings=(r"\bSLOs?\b|objective",),
        exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md"),
        sections=(SectionSpec("an availability commitment", (r"availab|uptime",), in_text=True),
                  SectionSpec("a latency commitment", (r"latenc|response time|\bp9\d|percentile|\bms\b|"
                                                       r"millisecond",), in_text=True),
                  SectionSpec("a measurement window", (r"window|per (?:calendar )?month|monthly|rolling|\d+[- ]day|"
                                                       r"quarter|per year|annual|weekly",), in_text=True)),
        facts=("sla",), min_words=opts["doc_section_min_words"],
        fix="Add SLA.md with the availability percentage, the latency commitment and the measurement window of "
            "each external-facing service.")


@rule(code="DEP005", slug="slas-documented", scope="repository", severity="note", confidence="low",
      evidence="R", options={"doc_section_min_words": 20, "infrastructure_hosts": ""})
def check(index, opts):
    subject = index.repo.subject("sla", "service level agreement")
    if (index.settings.get("project") or {}).get("external_commitments") is False:
        yield subject.not_applicable(NOT_RELEVANT, "project.external_commitments: false (targets are SLOs)")
        return
    req = requirement(opts)
    match = evaluate(index, req)
    failed = False
    for outcome in judge(index, req, subject, match):
        if outcome.status == "fail":
            failed = True
            yield outcome
    if match is None:
        return
    for outcome in _against_slos(index, match, subject):
        failed = True
        yield outcome
    for outcome in _vendor_slas(index, opts, subject):
        failed = True
        yield outcome
    for outcome in _serial(index, opts, match, subject):
        failed = True
        yield outcome
    if not failed:
        yield subject.passed(f"{match.where} states the SLA and the SLOs are at least as strict")


def _against_slos(index, match, subject):
    objectives = [s for s in slos(index) if s.objective is not None and not LATENCY.search(f"{s.name} {s.service}")]
    if not objectives:
        return
    for fact in find_facts(match.doc, "sla", match.start, match.end):
        if not isinstance(fact.value, float) or not 50 <= fact.value <= 100:
            continue
        line = fact.text.lower()
        named = [s for s in objectives if s.service and re.search(r"\b" + re.escape(s.service.lower()) + r"\b",
                                                                     line)]
        for slo in named or objectives:
            if slo.objective < fact.value:
                yield subject.fail(f"The SLA of {fact.value:g}% in {match.doc.path} is stricter than the SLO "
                                   f"{slo.name} of {slo.service or slo.path} ({slo.objective:g}%) that backs it: the "
                                   f"error budget allows breaking the agreement. Raise the SLO objective to at least "
                                   f"{fact.value:g}% or revise the SLA.",
                                   at=Location(match.doc.path, fact.line, fact.col),
                                   key_path=f"sla.slo.{slo.service}.{slo.name}",
                                   related=(Related(slo.at, f"SLO {slo.name}: objective {slo.objective:g}%"),))


PERCENT = lazy_re.compile(r"(\d{2,3}(?:\.\d+)?)\s*%")
NOT_SERIAL = lazy_re.compile(r"optional|fallback|degrad|best[- ]effort|non[- ]critical|async|queued?\b|cache|"
                        r"not (?:on )?the (?:request|critical) path", re.IGNORECASE)


def _serial(index, opts, match, subject):
    """Hard dependencies in series multiply their availabilities: three 99.9 % vendors allow only ~99.7 %,
    so an SLA above that product cannot be kept (rules.md DEP005 trap, a note)."""
    facts = [f for f in find_facts(match.doc, "sla", match.start, match.end)
             if isinstance(f.value, float) and 50 <= f.value < 100]
    listing = inventory(index)
    if not facts or not listing.sources:
        return
    chain = []
    for dep in external_dependencies(index, infra_option(opts)):
        named = listing.names(dep)
        found = PERCENT.search(named[1]) if named else None
        if found and 50 <= float(found.group(1)) <= 100 and not NOT_SERIAL.search(named[1]):
            chain.append((dep, named[0], float(found.group(1))))
    if not chain:
        return
    product = 100.0
    for _, _, pct in chain:
        product *= pct / 100
    sla = max(facts, key=lambda f: f.value)
    if product >= sla.value:
        return
    names = ", ".join(f"{d.label} {pct:g}%" for d, _, pct in chain[:6])
    yield subject.fail(f"The SLA of {sla.value:g}% in {match.doc.path} is above what its hard dependencies allow "
                       f"together: {names} in series give at most {product:.3f}%. Negotiate better vendor SLAs, add "
                       f"fallbacks for them (and mark them optional in the inventory), or lower the SLA.",
                       at=Location(match.doc.path, sla.line, sla.col), key_path="sla.serial", level="note",
                       related=tuple(Related(at, f"{d.label}: {pct:g}%") for d, at, pct in chain[:50]))


def _vendor_slas(index, opts, subject):
    listing = inventory(index)
    if not listing.sources:
        return  # DEP001 reports the missing inventory
    lacking = []
    for dep in external_dependencies(index, infra_option(opts)):
        named = listing.names(dep)
        if named and not VENDOR_SLA.search(named[1]):
            lacking.append((dep, named[0]))
    if lacking:
        names = ", ".join(d.label for d, _ in lacking[:10])
        yield subject.fail(f"The dependency inventory ({listing.where}) gives no vendor SLA for {names}; note each "
                           f"provider's committed availability, since serial dependencies cap what this service "
                           f"can promise.", at=lacking[0][1], key_path="sla.vendors",
                           related=tuple(Related(at, f"{d.label}: no SLA") for d, at in lacking[1:50]))
