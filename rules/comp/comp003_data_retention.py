"""Data retention policies implemented.

## What it does
Finds the data stores the repository configures and their retention: Prometheus CR `spec.retention`
(operator default 24h), Loki `limits_config.retention_period` (only effective with
`compactor.retention_enabled: true`), Tempo `compactor.compaction.block_retention`, Velero Schedule
`template.ttl` (default 30 days), CloudNativePG `spec.backup.retentionPolicy`, k8up `prune.retention`, and
Strimzi KafkaTopic `retention.ms` (broker default 7 days); stateful workloads and database CRs count as
stores of application data. Then it reads the retention document (`RETENTION.md`,
`DATA_RETENTION.md`, `docs/*retention*.md`, or a "Retention" section) that maps each data category to a
period and a deletion mechanism, and compares: each configured store needs a row for its category
(metrics, logs, traces, backups, events) whose period matches the configured one. Loki retention without
compactor retention keeps logs for ever, whatever the document says.

## Why it matters
Data kept longer than the policy allows is a compliance finding (GDPR storage limitation, customer
contracts); data deleted sooner than the policy requires is missing on the day an auditor or an
incident needs it.

## How to fix
Write the retention policy (category, period, deletion mechanism) in `docs/data-retention.md` and set
each store's retention to the documented period (e.g. Prometheus `spec.retention: 30d`).

## Example
```yaml fail file=deploy/prometheus.yaml
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring}
spec:
  retention: 15d
```
```markdown fail file=docs/data-retention.md
# Data retention

| Data | Period | Deletion |
|---|---|---|
| Metrics (Prometheus) | 30 days | removed by Prometheus block compaction |
```
```yaml pass file=deploy/prometheus.yaml
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring}
spec:
  retention: 30d
```
```markdown pass file=docs/data-retention.md
# Data retention

Each category of data the service keeps, how long it is kept and what deletes it afterwards; the
privacy team reviews this table every year.

| Data | Period | Deletion |
|---|---|---|
| Metrics (Prometheus) | 30 days | removed by Prometheus block compaction |
```
"""
import re
from dataclasses import dataclass

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location, Related
from readylint.inputs.yaml_docs import YMap, load_stream
from readylint.model.backups import go_duration, stateful_components
from readylint.model.doc_requirements import DocRequirement, evaluate, judge
from readylint.model.facts import format_minutes, parse_duration
from readylint.model.objects import dig, mapping
from readylint.registry import rule

CATEGORIES = {"metrics": r"metric|prometheus|\btsdb\b|thanos|mimir",
              "logs": r"\blogs?\b|logging|loki",
              "traces": r"trac(?:e|es|ing)\b|tempo|spans?",
              "backups": r"backup|velero|snapshot|k8up|barman",
              "events": r"kafka|\bevents?\b|topics?|stream"}
DAY = 1440


@dataclass
class Store:
    category: str
    name: str                 # "Prometheus monitoring/main"
    minutes: float | None     # configured retention; None = unbounded
    location: Location
    note: str = ""            # how the value was obtained ("operator default 24h")
    defect: str = ""          # a configuration defect on its own (Loki retention without compactor)


def requirement(opts) -> DocRequirement:
    return DocRequirement(
        name="data retention policy",
        paths=("RETENTION.md", "DATA_RETENTION.md", "DATA-RETENTION.md", "docs/*retention*.md",
               "docs/**/*retention*.md", "docs/*retention*.rst", "docs/*retention*.adoc"),
        headings=(r"retention",), exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md"),
        facts=(), min_words=opts["doc_section_min_words"],
        fix="Add docs/data-retention.md mapping each data category (metrics, logs, backups, application data) to "
            "its retention period and deletion mechanism.")


def _minutes(value) -> float | None:
    seconds = go_duration(value)
    if seconds is not None:
        return seconds / 60
    return parse_duration(value)


def _prometheus(index):
    for obj in index.of_kind("Prometheus"):
        if obj.group != "monitoring.coreos.com" or index.is_excluded(obj):
            continue
        name = f"Prometheus {obj.namespace}/{obj.name}"
        if obj.spec.get("retention"):
            yield Store("metrics", name, _minutes(obj.spec["retention"]), obj.at("spec", "retention"))
        elif obj.spec.get("retentionSize"):
            yield Store("metrics", name, None, obj.at("spec", "retentionSize"), "bounded by size only")
        else:
            yield Store("metrics", name, DAY, obj.at("spec"), "operator default 24h")


def _config_trees(index):
    """(path, tree, fixed line or None) of YAML configs: plain documents and ConfigMap file values."""
    for path, documents in sorted(index.documents.items()):
        for doc in documents:
            if isinstance(doc.data, YMap):
                yield path, doc.data, None, path
    for obj in index.of_kind("ConfigMap"):
        data = mapping(obj.data.get("data")) or {}
        for key, text in data.items():
            if isinstance(text, str) and re.search(r"^\s*(limits_config|compactor|storage):", text, re.MULTILINE):
                stream = load_stream(text)
                for doc in stream.documents:
                    if isinstance(doc.data, YMap):
                        yield obj.path, doc.data, data.kpos[key][0], f"ConfigMap {obj.namespace}/{obj.name}"


def _find(tree, key, depth=0):
    if not isinstance(tree, YMap) or depth > 3:
        return None
    if isinstance(tree.get(key), YMap):
        return tree
    for value in tree.values():
        found = _find(value, key, depth + 1)
        if found is not None:
            return found
    return None


def _at(path, node, key, fixed):
    pos = node.kpos.get(key) if isinstance(node, YMap) else None
    if fixed is not None or pos is None:
        return Location(path, fixed or getattr(node, "line", 1) or 1, 1)
    return Location(path, pos[0], pos[1])


def _loki_tempo(index):
    for path, tree, fixed, where in _config_trees(index):
        loki = _find(tree, "limits_config")
        if loki is not None:
            limits = loki["limits_config"]
            compactor = mapping(loki.get("compactor")) or {}
            period = limits.get("retention_period")
            enabled = compactor.get("retention_enabled") is True
            name = f"Loki ({where})"
            if period and not enabled:
                yield Store("logs", name, None, _at(path, limits, "retention_period", fixed),
                            defect="limits_config.retention_period has no effect without compactor.retention_enabled: "
                                   "true, so logs are kept for ever")
            elif period:
                yield Store("logs", name, _minutes(period), _at(path, limits, "retention_period", fixed))
            else:
                yield Store("logs", name, None, _at(path, loki, "limits_config", fixed), "no retention_period")
        tempo = _find(tree, "compactor")
        block = dig(tempo, "compactor", "compaction") if tempo is not None else None
        if isinstance(block, YMap) and "block_retention" in block:
            yield Store("traces", f"Tempo ({where})", _minutes(block["block_retention"]),
                        _at(path, block, "block_retention", fixed))


def _backups_and_events(index):
    for obj in index.of_kind("Schedule"):
        if index.is_excluded(obj):
            continue
        if obj.group == "velero.io":
            ttl = dig(obj.spec, "template", "ttl")
            yield Store("backups", f"Velero Schedule {obj.namespace}/{obj.name}", _minutes(ttl) if ttl else 30 * DAY,
                        obj.at("spec", "template", "ttl"), "" if ttl else "Velero default 720h")
        elif obj.group == "k8up.io":
            keep = mapping(dig(obj.spec, "prune", "retention"))
            yield Store("backups", f"k8up Schedule {obj.namespace}/{obj.name}", _keep_minutes(keep),
                        obj.at("spec", "prune", "retention"), "" if keep else "no prune.retention")
    for obj in index.of_kind("Cluster"):
        if obj.group == "postgresql.cnpg.io" and mapping(obj.spec.get("backup")) is not None:
            policy = dig(obj.spec, "backup", "retentionPolicy")
            yield Store("backups", f"CloudNativePG Cluster {obj.namespace}/{obj.name}",
                        _minutes(policy) if policy else None, obj.at("spec", "backup", "retentionPolicy"),
                        "" if policy else "no backup.retentionPolicy")
    for obj in index.of_kind("KafkaTopic"):
        if obj.group == "kafka.strimzi.io":
            value = (mapping(obj.spec.get("config")) or {}).get("retention.ms")
            minutes = float(value) / 60000 if str(value or "").lstrip("-").isdigit() and int(value) >= 0 else None
            yield Store("events", f"KafkaTopic {obj.namespace}/{obj.name}", minutes if value is not None else 7 * DAY,
                        obj.at("spec", "config", "retention.ms"), "" if value is not None else "broker default 7 days")


def _keep_minutes(keep) -> float | None:
    if not keep:
        return None
    for key, unit in (("keepYearly", 365 * DAY), ("keepMonthly", 30 * DAY), ("keepWeekly", 7 * DAY),
                      ("keepDaily", DAY), ("keepHourly", 60)):
        if str(keep.get(key, "")).isdigit():
            return int(keep[key]) * unit
    return None


def stores(index) -> list[Store]:
    return list(_prometheus(index)) + list(_loki_tempo(index)) + list(_backups_and_events(index))


@rule(code="COMP003", slug="data-retention", scope="repository", severity="warning", confidence="low",
      evidence="R, M", options={"doc_section_min_words": 20})
def check(index, opts):
    found = stores(index)
    stateful = stateful_components(index)
    subject = index.repo.subject("retention", "data retention policy")
    req = requirement(opts)
    match = evaluate(index, req)
    for store in found:
        if store.defect:
            yield _store_subject(index, store).fail(f"{store.name}: {store.defect}. Enable compactor retention or "
                                                    f"remove the setting.", at=store.location,
                                                    key_path="retention.defect")
    if not found and not stateful:
        if match is None:
            yield subject.not_applicable(NOT_RELEVANT, "the repository stores no data (no stateful workloads, no "
                                                       "logs or metrics stack); a retention document is still "
                                                       "recommended")
        else:
            yield subject.passed(f"{match.where} (no data stores in the repository)")
        return
    if match is None:
        what = ", ".join(s.name for s in found[:5]) or ", ".join(c.obj.ref for c in stateful[:5])
        yield subject.fail(f"No data retention policy, but the repository stores data ({what}). {req.fix}",
                           at=index.repo.anchor(), key_path="doc.missing",
                           related=tuple(Related(s.location, f"{s.name} retention") for s in found[:50]))
        return
    yield from judge(index, req, subject, match)
    for store in found:
        if not store.defect:
            yield from _compare(index, match, store)


def _store_subject(index, store):
    return index.repo.subject(f"retention:{store.name}", f"retention of {store.name}")


def _compare(index, match, store):
    subject = _store_subject(index, store)
    row = _row(match, store.category)
    configured = "unbounded" if store.minutes is None else format_minutes(store.minutes)
    how = f"{configured}{f', {store.note}' if store.note else ''}"
    if row is None:
        yield subject.fail(f"The data retention policy in {match.where} has no entry for {store.category}, which "
                           f"{store.name} keeps ({how}); add a row with the period and the deletion mechanism.",
                           at=store.location, key_path=f"retention.{store.category}.undocumented",
                           related=(Related(match.location, "the data retention policy"),))
        return
    at, documented, text = row
    if documented is None:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"the {store.category} row of {match.where} states no "
                                                           f"period readylint can read: {text!r}")
        return
    if store.minutes is None:
        yield subject.fail(f"{store.name} keeps {store.category} without limit ({store.note or 'no retention set'}), "
                           f"but the data retention policy demands {format_minutes(documented)}; configure the "
                           f"retention.", at=store.location, key_path=f"retention.{store.category}.unbounded",
                           related=(Related(at, "the documented period"),))
        return
    if abs(store.minutes - documented) > 1:
        direction = "longer" if store.minutes > documented else "shorter"
        yield subject.fail(f"The data retention policy says {store.category} are kept {format_minutes(documented)}, "
                           f"but {store.name} keeps them {how} ({direction}); make them agree.", at=at,
                           key_path=f"retention.{store.category}.mismatch",
                           related=(Related(store.location, f"{store.name}: {configured}"),))
        return
    yield subject.passed(f"{store.name} keeps {store.category} {configured}, as documented")


def _row(match, category):
    """(Location, minutes or None, text) of the first policy line naming the category."""
    pattern = re.compile(CATEGORIES[category], re.IGNORECASE)
    for number in range(max(match.start, match.doc.body_start), match.end + 1):
        line = match.doc.lines[number - 1]
        if pattern.search(line):
            return Location(match.doc.path, number, 1), parse_duration(line), line.strip()
    return None
