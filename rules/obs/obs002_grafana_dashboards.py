"""Grafana dashboards created.

## What it does
Checks that the repository delivers at least one valid Grafana dashboard as code: a ConfigMap the Grafana
sidecar loads (label `grafana_dashboard: "1"`) or a Grafana pod mounts, a grafana-operator `GrafanaDashboard`,
dashboard JSON or jsonnet under `dashboards/`, `grafana/` or a mixin, or a Terraform `grafana_dashboard`.
Each inspectable dashboard must parse, have panels, a `uid` unique across the repository, and pick its
datasource through a variable rather than a hard-coded UID. A `GrafanaDashboard` whose `instanceSelector`
matches no rendered `Grafana` is never imported.

## Why it matters
Dashboards clicked together in a UI are lost with the Grafana instance and drift between environments.
Broken JSON or a duplicate `uid` makes provisioning skip or overwrite a dashboard silently, and a hard-coded
datasource UID breaks the dashboard in every other Grafana.

## How to fix
Export the dashboard JSON into the repository and ship it as a ConfigMap labelled `grafana_dashboard: "1"`
(or a `GrafanaDashboard`). Give it a stable `uid` and a `datasource` template variable. If dashboards live in
a central repository, declare `platform.dashboards: external`.

## Example
```yaml fail
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-dashboard
  labels: {grafana_dashboard: "1"}
data:
  api.json: '{"title": "API", "uid": "api", "panels": []}'
```
```yaml pass
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-dashboard
  labels: {grafana_dashboard: "1"}
data:
  api.json: '{"title": "API", "uid": "api", "panels": [{"type": "timeseries", "targets": [{"expr": "up"}]}]}'
```
"""
from readylint.findings import Related
from readylint.model.dashboards import dashboards
from readylint.registry import rule

VENDOR_KINDS = {("datadoghq.com", "DatadogDashboard"), ("newrelic.com", "NewRelicDashboard")}


def _problems(board, seen_uids):
    """(message, location, key suffix, level, related) for each defect of one dashboard."""
    if board.error:
        yield (f"Dashboard {board.name} is not valid JSON: {board.error}; Grafana will not load it.",
               board.error_at or board.at, "json", None, ())
        return
    if not board.inspectable:
        return
    if not board.panels():
        yield f"Dashboard {board.name} has no panels; add panels or remove it.", board.at, "panels", None, ()
    uid = board.uid
    if not uid:
        yield (f"Dashboard {board.name} has no uid, so Grafana assigns a random one and links to it break; set a "
               f"stable uid.", board.at, "uid", None, ())
    elif uid in seen_uids:
        first = seen_uids[uid]
        yield (f"Dashboard {board.name} reuses uid {uid!r} of {first.name}; Grafana keeps only one of them. Give "
               f"each dashboard its own uid.", board.at, "uid", None,
               (Related(first.at, f"{first.name} has the same uid."),))
    else:
        seen_uids[uid] = board
    hard = board.hard_coded_datasource()
    if hard:
        yield (f"Dashboard {board.name} selects datasource UID {hard!r} literally, so it breaks on any other "
               f"Grafana; use a datasource template variable ($datasource).", board.at, "datasource",
               "warning", ())


@rule(code="OBS002", slug="grafana-dashboards", scope="repository", severity="warning", confidence="high",
      evidence="M, R", options={"sidecar_label": "grafana_dashboard", "sidecar_value": "1",
                                 "accept_vendor_dashboards": False})
def check(index, opts):
    subject = index.repo.subject("dashboards", "the repository's dashboards")
    if (index.settings.get("platform") or {}).get("dashboards") == "external":
        yield subject.passed("claim: platform.dashboards: external")
        return
    found = dashboards(index, str(opts["sidecar_label"]), str(opts["sidecar_value"]))
    vendor = [o for o in index.objects if (o.group, o.kind) in VENDOR_KINDS] if opts["accept_vendor_dashboards"] \
        else []
    failed = False
    seen = {}
    for board in found.items:
        for message, at, suffix, level, related in _problems(board, seen):
            failed = True
            yield subject.fail(message, at=at, key_path=f"{board.key}#{suffix}", level=level, related=related)
    for obj, field in found.grafana_errors:
        failed = True
        yield subject.fail(f"{obj.ref} matches no Grafana instance in the repository with its instanceSelector, so "
                           f"the operator never imports it; match the labels of your Grafana CR.",
                           at=obj.at(*field.split(".")), key_path=f"{obj.kind}/{obj.name}.{field}")
    if found.items or vendor:
        if not failed:
            kinds = sorted({b.origin for b in found.items} | ({"vendor"} if vendor else set()))
            yield subject.passed(f"{len(found.items) + len(vendor)} dashboard(s) as code ({', '.join(kinds)})")
        return
    related = tuple(Related(b.at, f"{b.name} holds dashboard JSON but no label {opts['sidecar_label']}: "
                                  f"\"{opts['sidecar_value']}\" and no Grafana mounts it.")
                    for b in found.unloaded[:5])
    hint = (f" {found.unloaded[0].name} holds dashboard JSON but nothing loads it: add the label "
            f"{opts['sidecar_label']}: \"{opts['sidecar_value']}\"." if found.unloaded else "")
    yield subject.fail(f"The repository delivers no Grafana dashboard as code, so dashboards live only in a Grafana "
                       f"UI and drift.{hint} Add dashboard JSON as a labelled ConfigMap or GrafanaDashboard, or "
                       f"declare platform.dashboards: external.", at=index.repo.anchor(), key_path="dashboards",
                       related=related)
