"""Escalation procedures defined.

## What it does
Checks two things. **Policy**: an escalation procedure (`ESCALATION.md`, `docs/escalation*.md`, or an
"Escalation" section of any document) with at least two levels, each with a timeout and a contact, or a
PagerDuty `pagerduty_escalation_policy` in Terraform with at least two `rule` blocks. A single level, or
an escalation to one person only, is a `warning`. **Routes**: when the repository holds an Alertmanager
configuration, an alert labelled `severity="critical"` must reach a paging receiver and a
`severity="warning"` alert must not (paging for warnings trains people to ignore pages). The claim
`platform.paging: provided` satisfies the route part; a catalog Component with `spec.lifecycle:
experimental` is not judged. Routes with `continue: true` that page twice are noted. **Timing** (notes):
a `repeat_interval` shorter than the route's `group_interval` (Alertmanager rounds it up), and on paging
routes a `repeat_interval` above `max_repeat_interval` (24h) or a `group_interval` above
`max_group_interval` (1h), values inherited down the route tree.

## Why it matters
When the first responder does not answer, the next person must be paged automatically and know they
are next; without written levels and timeouts an unanswered page stays unanswered.

## How to fix
Write the escalation levels (who, after how long) in `ESCALATION.md` or define a PagerDuty escalation
policy in Terraform, and route `severity="critical"` to the paging receiver and lower severities to a
chat receiver.

## Example
```markdown fail file=docs/escalation.md
# Escalation

Page Alice when something breaks; she decides what to do next and whom to involve, and writes the
incident summary for the weekly operations review with the rest of the team.
```
```markdown pass file=docs/escalation.md
# Escalation

Pages escalate automatically through these levels until someone acknowledges them:

1. Level 1: the primary on-call engineer (@shop-primary), paged at once.
2. Level 2: the secondary on-call engineer (@shop-secondary) after 15 minutes without acknowledgement.
3. Level 3: the engineering manager (@shop-lead) after 30 minutes.
```
"""
import re

from readylint import lazy_re
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location, Related
from readylint.model.doc_requirements import DocRequirement, evaluate, judge
from readylint.model.facts import parse_duration
from readylint.registry import rule
from readylint.rules.ops._alertmanager import configs, experimental, seconds, timings
from readylint.rules.ops.ops001_on_call_rotation import people

LEVEL = lazy_re.compile(r"\b(?:level|tier|stage|step)\s*\d|\bL\d\b|^\s*(?:\d+[.)]|[-*+])\s+\S|^\s*\|(?!\s*[-:])",
                   re.IGNORECASE)
TERRAFORM_POLICY = lazy_re.compile(r'resource\s+"pagerduty_escalation_policy"\s+"([\w-]+)"')


def requirement(opts) -> DocRequirement:
    return DocRequirement(
        name="escalation procedure",
        paths=("ESCALATION.md", "docs/escalation*.md", "docs/**/escalation*.md", "docs/escalation*.rst",
               "docs/escalation*.adoc"),
        headings=(r"escalat",), exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md"),
        min_words=opts["doc_section_min_words"],
        fix="Add ESCALATION.md with at least two levels, each with a contact and a timeout.")


@rule(code="OPS002", slug="escalation-procedure", scope="repository", severity="note", confidence="low",
      evidence="R, M", options={"doc_section_min_words": 20, "max_repeat_interval": "24h",
                                "max_group_interval": "1h"})
def check(index, opts):
    why = experimental(index)
    if why:
        yield index.repo.subject("escalation", "escalation procedure").not_applicable(NOT_RELEVANT, why)
        return
    yield from _policy(index, opts, index.repo.subject("escalation/policy", "escalation policy"))
    yield from _routes(index, index.repo.subject("escalation/routes", "alert routing by severity"))
    yield from _timing(index, opts, index.repo.subject("escalation/timing", "alert notification timing"))


def _human(value: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if value >= size and value % size == 0:
            return f"{value / size:g}{unit}"
    return f"{value:g}s"


def _timing(index, opts, subject):
    """repeat_interval / group_interval sanity: a repeat shorter than the group interval is silently rounded up
    to it, and on paging routes a very long repeat or group interval delays or drops the re-page."""
    found = [c for c in configs(index) if c.route is not None]
    if not found:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, "no Alertmanager configuration in the repository")
        return
    max_repeat = seconds(opts["max_repeat_interval"]) or 86400.0
    max_group = seconds(opts["max_group_interval"]) or 3600.0
    seen, failed = set(), False
    for config in found:
        for route, timing, receiver in timings(config.route):
            (repeat, repeat_at), (group, group_at) = timing["repeat_interval"], timing["group_interval"]
            paging = receiver in config.receivers and bool(config.receivers[receiver].paging)
            problems = []
            if repeat < group and (repeat_at or group_at):
                problems.append((repeat_at or group_at, f"The repeat_interval {_human(repeat)} is shorter than "
                                 f"group_interval {_human(group)} in {config.where}: Alertmanager re-sends at most "
                                 f"once per group interval, so the repeat is really {_human(group)}. Set "
                                 f"repeat_interval to a multiple of group_interval."))
            if paging and repeat > max_repeat and repeat_at:
                problems.append((repeat_at, f"The paging receiver '{receiver}' in {config.where} is re-notified "
                                 f"only every {_human(repeat)} (repeat_interval) while an alert keeps firing, so a "
                                 f"lost or forgotten page is not repeated for that long. Use at most "
                                 f"{_human(max_repeat)}."))
            if paging and group > max_group and group_at:
                problems.append((group_at, f"The paging receiver '{receiver}' in {config.where} has group_interval "
                                 f"{_human(group)}: a new alert joining an already-firing group pages only after "
                                 f"that long. Use at most {_human(max_group)}."))
            for at, message in problems:
                if (at, message[:30]) in seen:
                    continue
                seen.add((at, message[:30]))
                failed = True
                yield subject.fail(message, at=at, key_path=f"routes.{config.where}.timing.{at.line}", level="note")
    if not failed:
        yield subject.passed("repeat_interval and group_interval are consistent on every route")


def terraform_policies(index):
    """(Location, name, rule count) of each pagerduty_escalation_policy resource in Terraform."""
    for path in index.repo.glob("**/*.tf"):
        text = index.repo.text(path) or ""
        for found in TERRAFORM_POLICY.finditer(text):
            body = text[found.end():]
            end = re.search(r'\n\s*resource\s+"', body)
            body = body[:end.start()] if end else body
            line = text.count("\n", 0, found.start()) + 1
            yield Location(path, line, 1), found.group(1), len(re.findall(r"\brule\s*\{", body))


def _policy(index, opts, subject):
    for at, name, rules in terraform_policies(index):
        if rules >= 2:
            yield subject.passed(f"pagerduty_escalation_policy {name} has {rules} levels")
            return
    req = requirement(opts)
    match = evaluate(index, req)
    if match is None:
        found = next(iter(terraform_policies(index)), None)
        if found:
            yield subject.fail(f"The PagerDuty escalation policy {found[1]} has a single level: when that responder "
                               f"does not acknowledge, nobody else is paged. Add a second rule block.", at=found[0],
                               key_path="policy.single-level", level="warning")
            return
        yield subject.fail("No escalation procedure in the repository: no escalation document and no PagerDuty "
                           "escalation policy. Add ESCALATION.md with at least two levels, each with a contact and "
                           "a timeout.", at=index.repo.anchor(), key_path="policy.missing")
        return
    failed = False
    for outcome in judge(index, req, subject, match):
        if outcome.status == "fail":
            failed = True
            yield outcome
    lines = match.doc.lines[match.start:match.end]  # the body below the heading
    levels = [line for line in lines if LEVEL.search(line)]
    contacts = people(match)
    if len(levels) < 2 or len(contacts) < 2:
        failed = True
        what = f"{len(levels)} level{'s' if len(levels) != 1 else ''}" if len(levels) < 2 else \
            f"{len(contacts) or 'no'} contact{'s' if len(contacts) != 1 else ''}"
        yield subject.fail(f"The escalation procedure in {match.where} is single-level ({what}): when the first "
                           f"responder does not answer nobody else is called. List at least two levels, each with a "
                           f"contact and a timeout.", at=match.location, key_path="policy.single-level",
                           level="warning")
    elif not any(parse_duration(line) for line in levels[1:]):
        failed = True
        yield subject.fail(f"The escalation procedure in {match.where} gives no timeouts: say after how long each "
                           f"level is paged (e.g. 'after 15 minutes without acknowledgement').", at=match.location,
                           key_path="policy.timeouts")
    if not failed:
        yield subject.passed(f"{match.where}: {len(levels)} levels")


def _routes(index, subject):
    if str((index.settings.get("platform") or {}).get("paging") or "").lower() == "provided":
        yield subject.passed("claim: platform.paging (routing is provided by the platform)")
        return
    found = [c for c in configs(index) if c.route is not None]
    if not found:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, "no Alertmanager configuration in the repository")
        return
    paging_configs = [c for c in found if any(r.paging for r in c.receivers.values())]
    if not paging_configs:
        yield subject.not_applicable(NOT_RELEVANT, "no Alertmanager receiver pages anyone (OPS001 reports it)")
        return
    failed = False
    for config in paging_configs:
        critical = config.receivers_for({"severity": "critical"})
        paged = [(name, route) for name, route in critical if name in config.receivers
                 and config.receivers[name].paging]
        if not paged:
            name, route = critical[0] if critical else (None, config.route)
            failed = True
            yield subject.fail(f"Critical alerts in {config.where} go to receiver '{name}', which pages nobody; "
                               f"route severity=\"critical\" to the paging receiver.", at=route.location,
                               key_path=f"routes.{config.where}.critical")
        elif len(paged) > 1:
            yield subject.fail(f"Critical alerts in {config.where} page {len(paged)} times (routes with continue: "
                               f"true reach {', '.join(n for n, _ in paged)}); page once.", at=paged[1][1].location,
                               key_path=f"routes.{config.where}.twice", level="note",
                               related=tuple(Related(r.location, f"pages via {n}") for n, r in paged[:1]))
            failed = True
        for severity in ("warning", "info"):
            for name, route in config.receivers_for({"severity": severity}):
                if name in config.receivers and config.receivers[name].paging:
                    failed = True
                    yield subject.fail(f"Alerts with severity=\"{severity}\" in {config.where} page through "
                                       f"receiver '{name}': paging for non-critical alerts wears responders out. "
                                       f"Route them to a chat receiver.", at=route.location,
                                       key_path=f"routes.{config.where}.{severity}", level="warning")
                    break
    if not failed:
        yield subject.passed("critical alerts page, lower severities notify")
