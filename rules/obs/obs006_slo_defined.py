"""SLOs defined and monitored.

## What it does
Checks that every user-facing service (a long-running workload selected by a Service; exporters whose Services
only exist to be scraped by a ServiceMonitor are not user-facing) has an SLO, matched by
service name, app labels or the label matchers of its SLI queries: a Sloth `PrometheusServiceLevel` or CLI
spec (`version: prometheus/v1`), a Pyrra `ServiceLevelObjective`, an OpenSLO `SLO`, a google slo-generator
spec, or committed Sloth output. Each SLO is checked too: its objective must leave an error budget (below
100%) and reach `slo_min_objective_pct`, its burn-rate alerts must not all be disabled, and an OpenSLO spec
needs something that evaluates it (committed Sloth output or a `sloth generate` step).

## Why it matters
Without an SLO nobody has agreed how reliable the service must be, so there is no error budget to spend on
releases and no burn-rate alert that pages before users notice. An SLO at 100% can never be met; one whose
alerts are switched off is a number on a page.

## How to fix
Add a Sloth `PrometheusServiceLevel` (or a Pyrra `ServiceLevelObjective`) for the service with an
availability objective such as 99.9 and keep its page alert enabled.

## Example
```yaml fail
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: api, namespace: shop}
spec:
  service: api
  slos:
    - name: availability
      objective: 100
      sli:
        events:
          errorQuery: sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))
          totalQuery: sum(rate(http_requests_total{job="api"}[{{.window}}]))
      alerting:
        name: ApiAvailability
```
```yaml pass
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: api, namespace: shop}
spec:
  service: api
  slos:
    - name: availability
      objective: 99.9
      sli:
        events:
          errorQuery: sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))
          totalQuery: sum(rate(http_requests_total{job="api"}[{{.window}}]))
      alerting:
        name: ApiAvailability
```
"""
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.monitoring import (SERVICE_MONITOR_KINDS, all_rules, monitors, rule_mentions, scrape_only,
                                        slo_matches, slos, workload_names)
from readylint.registry import rule

CI_GLOBS = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "Makefile", "**/Makefile",
            "**/*.sh")


def _generated_services(index):
    """Services named by committed Sloth output (``sloth_service`` labels of generated rules)."""
    found = set()
    for item in all_rules(index):
        value = item.labels.get("sloth_service")
        if value is not None:
            found.add(str(value))
    return found


def _sloth_runs(index):
    return any("sloth generate" in (index.repo.text(p) or "") for p in index.repo.glob(*CI_GLOBS))


def _judge_slo(index, slo, opts, generated, evaluated):
    subject = slo.subject()
    defects = []
    if slo.objective is None:
        defects.append((f"SLO {slo.name} in {slo.owner} has no numeric objective; set the target percentage.",
                        slo.at, slo.key, None))
    elif slo.objective >= 100:
        defects.append((f"SLO {slo.name} in {slo.owner} has an objective of {slo.objective:g}%, which leaves no "
                        f"error budget: every failed request breaches it. Use a target below 100, such as 99.9.",
                        slo.at, slo.key, None))
    elif slo.objective < float(opts["slo_min_objective_pct"]):
        defects.append((f"SLO {slo.name} in {slo.owner} targets only {slo.objective:g}%, below the "
                        f"{opts['slo_min_objective_pct']}% floor; confirm that users accept this, or raise it.",
                        slo.at, slo.key, "warning"))
    if slo.alerting == "disabled":
        other = [a for a in all_rules(index) if a.is_alert and not a.is_burn_rate
                 and rule_mentions(a, {slo.service}, None)] if slo.service else []
        if not other:
            defects.append((f"SLO {slo.name} in {slo.owner} has its burn-rate alerts disabled and no other alert "
                            f"watches service {slo.service or slo.name}, so nobody learns when the budget burns. "
                            f"Enable the page alert.", slo.alerting_at or slo.at, f"{slo.key}#alerting", None))
    if slo.kind == "openslo" and not evaluated and slo.service not in generated:
        defects.append((f"OpenSLO {slo.name} in {slo.owner} is evaluated by nothing in the repository (no committed "
                        f"Sloth output for service {slo.service or '?'} and no `sloth generate` step), so no "
                        f"recording rule or alert exists for it. Generate its rules.", slo.at, f"{slo.key}#backend",
                        "warning"))
    if not defects:
        yield subject.passed(f"objective {slo.objective:g}%")
    for message, at, path, level in defects:
        yield subject.fail(message, at=at, key_path=path, level=level)


@rule(code="OBS006", slug="slo-defined", scope="repository", severity="warning", confidence="high", evidence="M, R",
      options={"slo_min_objective_pct": 90})
def check(index, opts):
    declared = slos(index)
    generated = _generated_services(index)
    evaluated = any(s.kind == "openslo" for s in declared) and _sloth_runs(index)
    for slo in declared:
        yield from _judge_slo(index, slo, opts, generated, evaluated)
    service_monitors = monitors(index, SERVICE_MONITOR_KINDS)
    services = [wl for wl in index.workloads_for(long_running=True)
                if index.is_serving(wl) and not scrape_only(index, wl, service_monitors)]
    if not services:
        if not declared:
            yield index.repo.subject("slo", "the repository's SLOs").not_applicable(
                NOT_RELEVANT, "no user-facing service: no long-running workload is selected by a Service")
        return
    for wl in services:
        subject = wl.subject()
        names = workload_names(index, wl)
        slo = next((s for s in declared if slo_matches(s, names, wl.namespace)), None)
        if slo is not None:
            yield subject.passed(f"SLO {slo.name} ({slo.owner})")
            continue
        committed = names & generated
        if committed:
            yield subject.passed(f"committed Sloth output for service {sorted(committed)[0]}")
            continue
        service = index.services_selecting(wl)[0]
        yield subject.fail(f"{wl.ref} serves traffic through {service.ref} but has no SLO, so there is no error "
                           f"budget and no burn-rate alert for it. Define one (Sloth PrometheusServiceLevel or "
                           f"Pyrra ServiceLevelObjective) for service {service.name}.", at=wl.obj.name_at(),
                           key_path="metadata.name",
                           related=(Related(service.name_at(), f"{service.ref} exposes it."),))
