"""Alert rules configured.

## What it does
Checks that every production workload is watched by at least one alerting rule: a PrometheusRule (or plain
Prometheus rule file) whose `alert` expression names the workload through a `job`, `service`, `container`,
`app`, `pod`, `deployment` or similar label matcher (or its namespace, for namespace-wide alerts), or a burn-rate
alert generated for one of its SLOs (Sloth, Pyrra). Every alert expression must parse, and when a `Prometheus` CR
is rendered (or kube-prometheus-stack values in the repository describe one, see OBS001) each PrometheusRule
must carry the labels its `ruleSelector` requires. Generic cluster alerts
(`KubePodCrashLooping` and friends) watch pods, not the application: alone they give a `note`.

## Why it matters
Metrics nobody alerts on are read only after users complain. An expression with a typo, or a PrometheusRule
the Prometheus CR never selects, looks like coverage in review and never fires.

## How to fix
Add a `monitoring.coreos.com/v1` PrometheusRule with alerts on the workload's error rate, latency and
availability (`up{job="<service>"} == 0`), or define an SLO and let Sloth or Pyrra generate burn-rate alerts.
If alerting is managed centrally, declare `platform.alerts: central`.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api, namespace: shop}
spec:
  groups:
    - name: api
      rules:
        - alert: ApiDown
          expr: up{job="api"} == 0
          for: 5m
          labels: {severity: critical}
```
"""
from readylint.findings import Related
from readylint.model.monitoring import (GENERIC_ALERTS, MentionIndex, alerts, prometheus_selects,
                                        recording_rules, slo_matches, slos, workload_names)
from readylint.model.promql import matchers, syntax_error
from readylint.registry import rule


def _generic_covers(alert, namespace):
    """A generic cluster alert covers a namespace unless its namespace matcher excludes it."""
    spaces = [m for m in matchers(alert.expr) if m.label == "namespace" and m.op in ("=", "=~")]
    return not spaces or any(m.selects(namespace) or m.value in (".*", ".+") for m in spaces)


@rule(code="OBS003", slug="alert-rules", scope="workload", severity="error", confidence="high", evidence="M, R",
      options={"accept_generic_alerts": False})
def check(index, opts):
    claim = (index.settings.get("platform") or {}).get("alerts") == "central"
    every = alerts(index)
    for alert in every:
        error = syntax_error(alert.expr)
        if error:
            yield alert.subject().fail(f"The expression of alert {alert.name} in {alert.owner} does not parse: "
                                       f"{error}. Prometheus rejects the whole rule group.", at=alert.at("expr"),
                                       key_path=f"{alert.group}/{alert.name}.expr")
    yield from _unselected_rule_objects(index, every)
    specific = [a for a in every if a.name not in GENERIC_ALERTS]
    lookup = MentionIndex((a.expr, a, [str(a.labels[k]) for k in ("service", "sloth_service", "job", "app")
                                       if k in a.labels]) for a in specific)
    generic = [a for a in every if a.name in GENERIC_ALERTS]
    monitored_slos = [s for s in slos(index) if s.kind in ("sloth", "pyrra") and s.alerting in ("enabled",
                                                                                                 "page-disabled")]
    records = recording_rules(index)
    for wl in index.workloads_for(long_running=None):
        subject = wl.subject()
        if claim:
            yield subject.passed("claim: platform.alerts: central")
            continue
        names = workload_names(index, wl)
        hit = lookup.first(names, wl.namespace)
        if hit is not None:
            yield subject.passed(f"alert {hit.name} in {hit.owner}")
            continue
        slo = next((s for s in monitored_slos if slo_matches(s, names, wl.namespace)), None)
        if slo is not None:
            yield subject.passed(f"burn-rate alerts generated for SLO {slo.name} ({slo.owner})")
            continue
        at, path = wl.obj.name_at(), "metadata.name"
        cover = next((a for a in generic if _generic_covers(a, wl.namespace)), None)
        if cover is not None:
            if opts["accept_generic_alerts"]:
                yield subject.passed(f"generic alert {cover.name} (accept_generic_alerts)")
                continue
            yield subject.fail(f"Only generic cluster alerts such as {cover.name} watch {wl.ref}; they watch pods and "
                               f"scrape targets, not its own errors. Add alerts on its error rate or latency.", at=at,
                               key_path=path, level="note", related=(Related(cover.location,
                                                                             f"{cover.name} is defined here."),))
            continue
        if every:
            why = "no alerting rule names it (by job, service, container, app or namespace label)"
        elif records:
            why = "the repository has only recording rules, no alert"
        else:
            why = "the repository has no alerting rules"
        yield subject.fail(f"{wl.ref} is not watched by any alert: {why}. Add a PrometheusRule alerting on its "
                           f"errors and availability, or SLO burn-rate alerts.", at=at, key_path=path)


def _unselected_rule_objects(index, every):
    seen = set()
    for alert in every:
        obj = alert.obj
        if obj is None or id(obj) in seen or obj.kind != "PrometheusRule" or index.is_excluded(obj):
            continue
        seen.add(id(obj))
        ok, cr = prometheus_selects(index, obj)
        if ok is False:
            wanted = cr.hint("rule") if hasattr(cr, "hint") else "the labels that selector requires"
            whose = "its" if hasattr(cr, "hint") else "the CR's"
            yield obj.subject().fail(f"{obj.ref} is not loaded by {cr.ref}: its labels or namespace do not match "
                                     f"{whose} ruleSelector, so none of its alerts is evaluated. Add {wanted}.",
                                     at=obj.at("metadata", "labels") if "labels" in obj.metadata else obj.name_at(),
                                     key_path="metadata.labels",
                                     related=(Related(cr.at("spec", "ruleSelector"), f"{cr.ref} selects rules "
                                                                                    f"here."),))
