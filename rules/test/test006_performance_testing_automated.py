"""Performance testing automated.

## What it does
Looks for a CI job that runs a load tool on a schedule, on pull requests or after a deploy:
`grafana/run-k6-action` (legacy `grafana/k6-action`), `k6 run`, a k6-operator TestRun, `locust --headless`,
the Gatling build plugin, `jmeter -n`, `artillery run`, or a Flagger load-tester webhook; and checks that the
test has pass/fail criteria: k6 `thresholds` in the script, Locust `--exit-code-on-error` or
`process_exit_code`, Artillery `ensure`, Gatling assertions. A job that only runs on manual dispatch is not
automation. Not relevant for `project.type` library or batch, or when the manifests hold no serving workload.

## Why it matters
Performance regressions ship silently when load tests run only when someone remembers, and a k6 script
without thresholds exits 0 however slow the responses are.

## How to fix
Run the load test from a scheduled or post-deploy job and give it criteria, e.g. k6
`options.thresholds = {http_req_duration: ['p(95)<300']}`.

## Example
```yaml fail file=.github/workflows/perf.yml
on: workflow_dispatch
jobs:
  load:
    runs-on: ubuntu-latest
    steps:
      - run: k6 run load.js
```
```yaml pass file=.github/workflows/perf.yml
on: {schedule: [{cron: "0 3 * * *"}]}
jobs:
  load:
    runs-on: ubuntu-latest
    steps:
      - run: k6 run load.js
```
"""

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT
from readylint.model.ci import ci_anchor, project_type, tolerated
from readylint.model.ci_tools import LOAD, hits
from readylint.registry import rule

_SCRIPT = lazy_re.compile(r"k6\s+run\s+(?:-\S+\s+(?:\S+\s+)?)*([\w./-]+\.(?:js|ts))")


@rule(code="TEST006", slug="performance-testing-automated", scope="repository", severity="warning",
      confidence="medium", evidence="C")
def check(index, opts):
    subject = index.repo.subject("performance-testing", "automated performance testing")
    if project_type(index) in ("library", "batch"):
        yield subject.not_applicable(NOT_RELEVANT, f"project.type is {project_type(index)}: no serving component")
        return
    if index.objects and not any(index.is_serving(w) for w in index.workloads_for(long_running=True)):
        yield subject.not_applicable(NOT_RELEVANT, "the manifests have no serving workload")
        return
    runs = hits(index, LOAD)
    flagger = [o for o in index.of_kind("Canary") if "loadtester" in str(o.spec.get("analysis"))]
    if not runs and flagger:
        yield subject.passed(f"{flagger[0].ref} runs load through the Flagger load tester during analysis")
        return
    if not runs:
        yield subject.fail("No CI job runs a load test (k6, Locust, Gatling, JMeter or Artillery). Add a scheduled "
                           "or post-deploy job with pass/fail thresholds.", at=ci_anchor(index), key_path="load")
        return
    automated = [h for h in runs if h.step.job.automated and tolerated(h.step) is None]
    if not automated:
        hit = runs[0]
        why = tolerated(hit.step) or "it runs only on manual dispatch"
        yield subject.fail(f"The load test in {hit.step.job.display} is not automated: {why}. Run it on a schedule "
                           f"or after each deploy.", at=hit.step.location, key_path="load.trigger")
        return
    for hit in automated:
        missing = _missing_criteria(index, hit)
        if not missing:
            yield subject.passed(f"{hit.tool} in {hit.step.job.display}")
            return
    hit = automated[0]
    yield subject.fail(f"The load test in {hit.step.job.display} has no pass/fail criteria: {missing}. Add "
                       f"thresholds so that a slow build fails.", at=hit.step.location, key_path="load.criteria")


def _missing_criteria(index, hit):
    """Why the run cannot fail on slowness, or '' (also when the script cannot be read: benefit of the doubt)."""
    text = hit.step.run or ""
    if hit.tool == "k6":
        match = _SCRIPT.search(text)
        path = hit.step.input("path") or (match.group(1) if match else "")
        script = index.repo.text(index.repo.actual(path.lstrip("./"))) if path and index.repo.actual(
            path.lstrip("./")) else None
        if script is not None and "thresholds" not in script:
            return f"{path} defines no k6 thresholds"
    if hit.tool == "Locust" and "--exit-code-on-error" not in text:
        files = index.repo.glob("**/locustfile.py")
        if files and not any("process_exit_code" in (index.repo.text(f) or "") for f in files):
            return "Locust exits 0 unless --exit-code-on-error or process_exit_code is set"
    return ""
