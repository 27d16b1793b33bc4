"""On-call rotation established.

## What it does
Checks two things. **Paging**: the service is bound to a paging system, through Backstage
`catalog-info.yaml` annotations (`pagerduty.com/service-id` or `pagerduty.com/integration-key`,
`opsgenie.com/team` or `opsgenie.com/component-selector`, Grafana OnCall or incident.io links) or an
Alertmanager receiver with `pagerduty_configs`, `opsgenie_configs`, `victorops_configs` or an on-call
webhook that some route reaches (in `alertmanager.yaml`, a Secret carrying it, Helm values, or an
AlertmanagerConfig with `pagerdutyConfigs` / `opsgenieConfigs`). Slack, e-mail and Teams receivers
notify a channel; they do not page anyone. **Rotation**: `ONCALL.md` (or `docs/on-call*.md`, or an
"On-call" section) names the rotation, links its schedule (PagerDuty, Opsgenie, Grafana OnCall,
incident.io, or front matter `oncall_schedule`) and lists at least `oncall_min_participants` people
(`@handles`, e-mail addresses, or list items under a Participants / Members / Rotation heading, or front
matter `participants`). A catalog Component with `spec.lifecycle: experimental` is not judged; the claim
`platform.paging: provided` satisfies the paging part.

## Why it matters
An alert nobody is paged for waits until someone happens to look. A rotation of one person is a single
point of failure that burns out.

## How to fix
Route critical alerts to a PagerDuty or Opsgenie receiver (keys from a file or Secret, never inline),
or annotate `catalog-info.yaml` with the PagerDuty service, and add `ONCALL.md` with the schedule link
and the people in the rotation.

## Example
```yaml fail file=alertmanager.yaml
route:
  receiver: team-slack
receivers:
  - name: team-slack
    slack_configs:
      - channel: "#shop-alerts"
        api_url_file: /etc/alertmanager/secrets/slack-url
```
```yaml pass file=alertmanager.yaml
route:
  receiver: team-pager
receivers:
  - name: team-pager
    pagerduty_configs:
      - routing_key_file: /etc/alertmanager/secrets/pagerduty-key
```
```markdown pass file=ONCALL.md
# On-call rotation

The shop team runs a weekly rotation; the schedule is
https://example.pagerduty.com/schedules/PABC123 and hand-over happens on Monday at 10:00.
The rotation is @alice, @bob and @carol.
```
"""
import re

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT, Location
from readylint.model.doc_requirements import DocRequirement, evaluate, judge
from readylint.model.objects import mapping, sequence
from readylint.registry import rule
from readylint.rules.ops._alertmanager import PAGING_WEBHOOK, catalog_entities, configs, experimental

CATALOG_PAGING = lazy_re.compile(r"^(pagerduty\.com/(service-id|integration-key)|opsgenie\.com/(team|component-selector)|"
                            r"grafana(\.com)?/.*oncall|.*oncall.*|incident\.io/|splunk\.com/on-call|firehydrant)",
                            re.IGNORECASE)
HANDLE = lazy_re.compile(r"(?<![\w.@/])@([A-Za-z0-9][\w-]*(?:/[\w-]+)?)")
EMAIL = lazy_re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PEOPLE_HEADING = lazy_re.compile(r"participant|member|people|engineer|roster|rota\b|rotation|who", re.IGNORECASE)
LIST_ITEM = lazy_re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S|^\s*\|(?!\s*-)")


def requirement(opts) -> DocRequirement:
    return DocRequirement(
        name="on-call rotation document",
        paths=("ONCALL.md", "ON_CALL.md", "ON-CALL.md", "docs/oncall*.md", "docs/on-call*.md", "docs/on_call*.md",
               "docs/**/oncall*.md", "docs/**/on-call*.md", "docs/oncall*.rst", "docs/on-call*.adoc"),
        headings=(r"on[- ]?call|\brota\b|(?:pager|support|duty|ops|operations|incident)\s+rotation",),
        exclude_headings=(r"escalat",),
        exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md"), facts=("oncall_schedule",),
        min_words=opts["doc_section_min_words"],
        fix="Add ONCALL.md naming the rotation, linking its schedule and listing the people in it.")


def people(match) -> set[str]:
    """Distinct people a rotation document names: @handles, e-mails, list items under a people heading."""
    doc = match.doc
    found: set[str] = set()
    for value in sequence(doc.front_matter.get("participants") or doc.front_matter.get("members")):
        found.add(str(value).lower())
    text = match.text()
    emails = EMAIL.findall(text)
    found |= {e.lower() for e in emails}
    for email in emails:
        text = text.replace(email, " ")
    found |= {"@" + h.lower() for h in HANDLE.findall(text)}
    sections = [s for s in doc.sections if match.start <= s.heading.line <= match.end and
                PEOPLE_HEADING.search(s.heading.text)]
    for section in sections:
        for line in doc.lines[section.start - 1:section.end]:
            if LIST_ITEM.match(line) and not HANDLE.search(line) and not EMAIL.search(line):
                found.add(re.sub(r"^\s*(?:[-*+]|\d+[.)]|\|)\s*", "", line).split("|")[0].split("(")[0].strip()
                          .lower())
    found.discard("")
    return found


@rule(code="OPS001", slug="on-call-rotation", scope="repository", severity="warning", confidence="low",
      evidence="R, M", options={"oncall_min_participants": 2, "doc_section_min_words": 20})
def check(index, opts):
    why = experimental(index)
    if why:
        yield index.repo.subject("on-call", "on-call rotation").not_applicable(NOT_RELEVANT, why)
        return
    yield from _paging(index, index.repo.subject("on-call/paging", "on-call paging binding"))
    yield from _rotation(index, opts, index.repo.subject("on-call/rotation", "on-call rotation"))


def catalog_paging(index):
    """(Location, text) of the first catalog annotation or link that binds the service to a paging system."""
    for path, entity in catalog_entities(index):
        metadata = mapping(entity.get("metadata")) or {}
        annotations = mapping(metadata.get("annotations")) or {}
        for key, value in annotations.items():
            if CATALOG_PAGING.match(str(key)) and str(value or "").strip():
                return Location(path, annotations.kpos[key][0], annotations.kpos[key][1]), f"annotation {key}"
        links = sequence(metadata.get("links"))
        for i, link in enumerate(links):
            url = str((mapping(link) or {}).get("url") or "")
            if PAGING_WEBHOOK.search(url) or re.search(r"pagerduty\.com|opsgenie\.com", url, re.IGNORECASE):
                return Location(path, links.ipos[i][0], links.ipos[i][1]), f"link {url}"
    return None


def _paging(index, subject):
    if str((index.settings.get("platform") or {}).get("paging") or "").lower() == "provided":
        yield subject.passed("claim: platform.paging (paging is provided by the platform)")
        return
    found = catalog_paging(index)
    if found:
        yield subject.passed(f"catalog {found[1]} at {found[0].path}")
        return
    found_configs = configs(index)
    unreached = []
    for config in found_configs:
        reached = config.reachable()
        for receiver in config.receivers.values():
            if receiver.paging and receiver.name in reached:
                yield subject.passed(f"{config.where}: receiver {receiver.name} pages via {receiver.paging[0]}")
                return
            if receiver.paging:
                unreached.append((config, receiver))
    if unreached:
        config, receiver = unreached[0]
        yield subject.fail(f"The {receiver.paging[0]} receiver '{receiver.name}' in {config.where} is reached by "
                           f"no route, so nobody is paged. Route critical alerts to it (route.receiver or a child "
                           f"route matching severity=\"critical\").", at=receiver.location,
                           key_path="paging.unreachable")
        return
    if found_configs:
        config = found_configs[0]
        root = config.route.receiver if config.route else None
        receiver = config.receivers.get(root) or next(iter(config.receivers.values()), None)
        kinds = sorted({k.replace("_configs", "").replace("Configs", "") for r in config.receivers.values()
                        for k in r.notifying})
        what = f"only notify ({', '.join(kinds)})" if kinds else "have no integration at all"
        at = receiver.location if receiver else (config.route.location if config.route else
                                                 Location(config.path, 1, 1))
        yield subject.fail(f"No Alertmanager receiver pages anyone: the receivers in {config.where} {what}. Add a "
                           f"pagerduty_configs or opsgenie_configs receiver (key from a file or Secret) for critical "
                           f"alerts, or declare platform.paging: provided.", at=at, key_path="paging.receivers")
        return
    catalog = index.repo.actual("catalog-info.yaml")
    at = Location(catalog, 1, 1) if catalog else index.repo.anchor()
    yield subject.fail("The service is bound to no paging system: no catalog-info.yaml PagerDuty/Opsgenie "
                       "annotation and no Alertmanager paging receiver in the repository. Annotate catalog-info.yaml "
                       "(pagerduty.com/service-id) or declare platform.paging: provided.", at=at,
                       key_path="paging.missing")


def _rotation(index, opts, subject):
    req = requirement(opts)
    match = evaluate(index, req)
    failed = False
    for outcome in judge(index, req, subject, match):
        failed = failed or outcome.status == "fail"
        if outcome.status == "fail":
            yield outcome
    if match is None:
        return
    named = people(match)
    minimum = int(opts["oncall_min_participants"])
    if len(named) < minimum:
        failed = True
        who = f"only {', '.join(sorted(named))}" if named else "nobody"
        yield subject.fail(f"The {req.name} in {match.where} names {who} in the rotation; list at least {minimum} "
                           f"people (@handles or a Participants list) so one absence does not leave the service "
                           f"unattended.", at=match.location, key_path="doc.participants")
    if not failed:
        yield subject.passed(f"{match.where} names {len(named)} people and a schedule")
