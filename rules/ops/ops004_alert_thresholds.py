"""Alert thresholds calibrated.

## What it does
Checks each alerting rule for the signs of a calibrated alert: a `for:` of at least `alert_min_for` (not
required for `absent()`, `vector(1)` watchdogs, `info` alerts, ages computed from `time()`, time-to-expiry
gauges and SLO burn-rate alerts), a `severity` label from
`options.severities`, `summary` and `description` annotations, no `> 0` on a raw counter, ratio expressions
over windows of at least 5 minutes (unless `for:` already spans 5 minutes), and no second alert with the same expression and `for`. At repository level
it looks for promtool rule tests (`rule_files:` with `alert_rule_test`) and for a CI step that runs them
(`promtool test rules` in a workflow step, directly, through a root Makefile target or a script file); tests
nobody runs, or a step that ignores their failure, give one finding, as does having no tests at all. When CI calls
remote reusable workflows that might run them, the CI part is unknown.

## Why it matters
An alert without `for:` pages on every scrape blip, a `> 0` on a counter fires for ever after the first error,
a 1-minute ratio is noise, and an alert without severity or summary cannot be routed or understood at 3 a.m.
Untested rules break silently when metrics are renamed.

## How to fix
Give every alert `for: 5m` (or more), `labels.severity`, `annotations.summary` and `annotations.description`;
alert on `rate(...[5m])` ratios against a threshold; add `promtool test rules` tests and run them in CI.

## Example
```yaml fail
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api, namespace: shop}
spec:
  groups:
    - name: api
      rules:
        - alert: ApiErrors
          expr: http_requests_errors_total{job="api"} > 0
```
```yaml pass
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api, namespace: shop}
spec:
  groups:
    - name: api
      rules:
        - alert: ApiErrors
          expr: sum(rate(http_requests_total{job="api",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="api"}[5m])) > 0.05
          for: 10m
          labels: {severity: critical}
          annotations:
            summary: API error ratio above 5%
            description: More than 5% of API requests failed over the last 10 minutes.
```
```yaml pass file=tests/rules.test.yaml
rule_files: [../example.yaml]
tests:
  - interval: 1m
    input_series: []
    alert_rule_test:
      - {alertname: ApiErrors, eval_time: 10m, exp_alerts: []}
```
```yaml pass file=.github/workflows/alerts.yml
on: pull_request
jobs:
  rules:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: promtool test rules tests/rules.test.yaml
```
"""
import re

from readylint import lazy_re
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location, Related
from readylint.model.monitoring import alerts
from readylint.model.promql import parse_duration, range_windows
from readylint.registry import rule

WATCHDOG_NAMES = frozenset({"watchdog", "deadmansswitch", "deadmanswitch", "infoinhibitor", "heartbeat"})
_RAW_COUNTER_ZERO = lazy_re.compile(r"^\s*[A-Za-z_:][\w:]*_(total|count|sum)\s*(\{[^}]*\})?\s*(>|!=)\s*0\s*$")
_EXPIRY = lazy_re.compile(r"(expir|_ttl_|ttl_seconds)", re.IGNORECASE)
NON_PAGING = ("info", "none")
_RATIO_FUNCS = lazy_re.compile(r"\b(rate|irate|increase)\s*\(")


def _persistent(expr):
    """Conditions that cannot blip: ages computed from time() and time-to-expiry gauges."""
    return "time()" in expr.replace(" ", "") or bool(_EXPIRY.search(expr))


def _is_watchdog(alert):
    expr = alert.expr if isinstance(alert.expr, str) else ""
    compact = expr.replace(" ", "")
    return (alert.name.lower() in WATCHDOG_NAMES or compact.startswith("vector(") or compact.startswith("absent(")
            or compact.startswith("absent_over_time("))


def _defects(alert, opts, min_for):
    """(message, key, key path) per defect of one alert."""
    name, where = alert.name, alert.owner
    expr = alert.expr if isinstance(alert.expr, str) else ""
    watchdog = _is_watchdog(alert)
    seconds = parse_duration(alert.for_)
    if not watchdog and not _persistent(expr) and alert.severity not in NON_PAGING:
        if alert.for_ is None:
            yield (f"Alert {name} in {where} has no `for:`, so a single bad scrape pages; wait at least "
                   f"{opts['alert_min_for']} (for: 5m is common).", "alert", "for")
        elif seconds is not None and seconds < min_for:
            yield (f"Alert {name} in {where} fires after only {alert.for_}, below {opts['alert_min_for']}; short "
                   f"blips will page. Raise `for:`.", "for", "for")
    severity = alert.severity
    allowed = [str(s) for s in opts["severities"]]
    if watchdog:
        pass  # watchdogs and inhibitors carry severity "none" on purpose
    elif severity is None:
        yield (f"Alert {name} in {where} has no severity label, so Alertmanager cannot route it; add "
               f"labels.severity ({', '.join(allowed)}).", "labels" if "labels" in alert.data else "alert",
               "labels.severity")
    elif severity not in allowed and "{{" not in severity:
        yield (f"Alert {name} in {where} has severity {severity!r}, not one of {', '.join(allowed)}; routes "
               f"matching on severity will miss it.", "labels.severity", "labels.severity")
    annotations = alert.annotations
    missing = [k for k in ("summary", "description") if k not in annotations
               and not (k == "description" and "message" in annotations)]
    if missing:
        yield (f"Alert {name} in {where} has no {' or '.join(missing)} annotation; whoever is paged needs to know "
               f"what broke and why it matters.", "annotations" if "annotations" in alert.data else "alert",
               "annotations")
    if _RAW_COUNTER_ZERO.match(expr):
        yield (f"Alert {name} in {where} compares a raw counter with 0, so it fires for ever after the first "
               f"event; alert on rate(...[5m]) against a threshold.", "expr", "expr")
    elif "/" in re.sub(r'"[^"]*"', "", expr) and _RATIO_FUNCS.search(expr):
        short = [w for w in range_windows(expr) if w < 300]
        if short and (seconds or 0) < 300:
            yield (f"Alert {name} in {where} computes a ratio over a {int(min(short))}s window; ratios over less "
                   f"than 5 minutes are noisy. Use [5m] or longer.", "expr", "expr")


def _rule_tests(index):
    """Alert names covered by promtool unit tests (files with rule_files and alert_rule_test)."""
    covered, files = set(), []
    for path, docs in index.documents.items():
        for doc in docs:
            data = doc.data
            if not isinstance(data, dict) or "rule_files" not in data or not isinstance(data.get("tests"), list):
                continue
            files.append(path)
            for test in data["tests"]:
                for item in (test.get("alert_rule_test") or ()) if isinstance(test, dict) else ():
                    if isinstance(item, dict) and item.get("alertname"):
                        covered.add(str(item["alertname"]))
    return covered, files


@rule(code="OPS004", slug="alert-thresholds", scope="alert", severity="warning", confidence="medium",
      evidence="M, R, C", options={"alert_min_for": "1m", "severities": ["critical", "warning", "info"]})
def check(index, opts):
    every = alerts(index)
    if not every:
        yield index.repo.subject("alerts", "the repository's alerts").not_applicable(
            NOT_RELEVANT, "no alerting rules (OBS003 reports that)")
        return
    min_for = parse_duration(str(opts["alert_min_for"])) or 60
    seen = {}
    for alert in every:
        subject = alert.subject()
        if alert.is_burn_rate:
            yield subject.passed("SLO burn-rate alert (multi-window, calibrated by construction)")
            continue
        found = list(_defects(alert, opts, min_for))
        expr = " ".join(str(alert.expr).split())
        twin = seen.get((expr, alert.for_, alert.severity))
        if twin is not None:
            found.append((f"Alert {alert.name} in {alert.owner} repeats the expression, `for` and severity of "
                          f"{twin.name}, so both fire together; remove one or differentiate them.", "expr",
                          "expr#duplicate"))
        else:
            seen[(expr, alert.for_, alert.severity)] = alert
        for message, key, path in found:
            related = (Related(twin.location, f"{twin.name} has the same expression."),) \
                if path == "expr#duplicate" else ()
            yield subject.fail(message, at=alert.at(key), key_path=f"{alert.group}/{alert.name}.{path}",
                               related=related)
        if not found:
            yield subject.passed()
    yield from _tests_outcome(index, every)


def _tests_outcome(index, every):
    subject = index.repo.subject("alert-tests", "the repository's alert rule tests")
    plain = [a for a in every if not a.is_burn_rate]
    if not plain:
        yield subject.passed("only SLO burn-rate alerts")
        return
    covered, files = _rule_tests(index)
    if files:
        tested = sum(1 for a in plain if a.name in covered)
        yield from _tests_run_in_ci(index, subject, files, f"promtool tests in {files[0]} cover {tested} of "
                                                           f"{len(plain)} alerts")
        return
    first = plain[0]
    yield subject.fail(f"No promtool rule test covers the {len(plain)} alerting rule(s) of the repository, so a "
                       f"renamed metric silently disables them. Add `promtool test rules` tests "
                       f"(rule_files + alert_rule_test) and run them in CI.", at=index.repo.anchor(),
                       key_path="alert-tests", related=(Related(first.location, f"{first.name} is untested."),))


_PROMTOOL_TEST = lazy_re.compile(r"\bpromtool\b[^\n]*\btest\s+rules\b", re.IGNORECASE)  # $(PROMTOOL) in Makefiles
_MAKE_TARGETS = lazy_re.compile(r"(?:^|[;&|]\s*)make\b([^\n;&|]*)", re.MULTILINE)
_SCRIPT = lazy_re.compile(r"(?:^|\s)(?:\./|bash\s+|sh\s+)?([\w./-]+\.(?:sh|bash))\b")


def _step_runs_tests(index, step) -> bool:
    """The step runs ``promtool test rules`` itself, through a Makefile target, or through a script file."""
    text = step.run or ""
    if _PROMTOOL_TEST.search(text):
        return True
    for match in _MAKE_TARGETS.finditer(text):
        targets = [w for w in match.group(1).split() if not w.startswith("-") and "=" not in w]
        if targets and any(_PROMTOOL_TEST.search(r) for r in _make_recipes(index, targets)):
            return True
    for match in _SCRIPT.finditer(text):
        script = index.repo.text(match.group(1).lstrip("./")) if index.repo.exists(match.group(1).lstrip("./")) \
            else None
        if script and _PROMTOOL_TEST.search(script):
            return True
    return False


def _make_recipes(index, targets):
    """Recipe texts of the root Makefile targets (and the targets they depend on, one level)."""
    text = index.repo.text("Makefile") if index.repo.exists("Makefile") else None
    if not text:
        return []
    recipes, deps, current = {}, {}, None
    for line in text.splitlines():
        head = re.match(r"^([\w./-]+(?:\s+[\w./-]+)*)\s*:(?!=)(.*)$", line)
        if head and not line.startswith("\t"):
            current = head.group(1).split()
            for name in current:
                recipes.setdefault(name, "")
                deps.setdefault(name, []).extend(head.group(2).split("#")[0].split())
        elif line.startswith("\t") and current:
            for name in current:
                recipes[name] += line + "\n"
    wanted = list(targets) + [d for t in targets for d in deps.get(t, ())]
    return [recipes.get(t, "") for t in wanted]


def _tests_run_in_ci(index, subject, files, why):
    """Rule tests count only when a CI step runs them (rules.md OPS004: promtool test rules in CI)."""
    from readylint.model.ci import all_steps, no_repository, pipelines, tolerated  # only with rule tests

    runs = [step for step in all_steps(index) if _step_runs_tests(index, step)]
    gating = [step for step in runs if step.job.automated and tolerated(step) is None]
    if gating:
        yield subject.passed(f"{why}; run in CI by {gating[0].job.display}")
        return
    missing = no_repository(index)
    if missing:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{why}; whether CI runs them: {missing[1]}")
        return
    remote = [item for p in pipelines(index) for item in p.remote]
    if not runs and remote:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{why}; CI calls {remote[0][1]}, which may run them")
        return
    at = Location(files[0], 1, 1)
    if runs:
        step = runs[0]
        how = "runs only on manual dispatch" if not step.job.automated else tolerated(step)
        yield subject.fail(f"The promtool rule tests ({files[0]}) run in {step.job.display}, but that step "
                           f"{'ignores failures: ' if step.job.automated else ''}{how}, so a broken alert still "
                           f"merges. Let the step fail the pipeline on pull requests.", at=step.location,
                           key_path="alert-tests.ci", related=(Related(at, "the rule tests"),))
        return
    yield subject.fail(f"The promtool rule tests in {files[0]} are not run by any CI workflow, so they do not stop a "
                       f"broken alert from merging. Add a CI step that runs `promtool test rules {files[0]}` on pull "
                       f"requests.", at=at, key_path="alert-tests.ci")
