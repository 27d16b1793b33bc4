"""E2E tests implemented.

## What it does
Looks for an end-to-end suite (`playwright.config.*`, `cypress.config.*` or `cypress.json`, `wdio.conf.*`,
kuttl `kuttl-test.yaml`, Chainsaw `chainsaw-test.yaml`, a `test/e2e` or `e2e/` folder) and for a gating CI
job that runs it against a deployed target: a kind, minikube or k3d cluster created in the job, a preview
deployment, or a base URL. E2E jobs that CI runs count even when the suite lives elsewhere. A suite without
specs, or with only the framework's generated example spec (`warning`), is a finding. Committed JUnit
results of an e2e suite (or paths in `inputs.reports`) must pass: failing tests, or a suite whose every test
was skipped, are findings at the results file.

## Why it matters
Only a test that drives the deployed system shows that the pieces work together as users see them. A
suite that CI never runs, or that may fail without blocking, stops protecting anything.

## How to fix
Run the suite in CI against a real deployment, e.g. create a kind cluster with `helm/kind-action`, install
the chart and run `npx playwright test` or `kubectl kuttl test`, without `continue-on-error`.

## Example
```yaml fail file=.github/workflows/e2e.yml
on: {pull_request: {}}
jobs:
  e2e:
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - uses: helm/kind-action@v1
      - run: make test-e2e
```
```yaml pass file=.github/workflows/e2e.yml
on: {pull_request: {}}
jobs:
  e2e:
    runs-on: ubuntu-latest
    steps:
      - uses: helm/kind-action@v1
      - run: make test-e2e
```
"""
import re

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT, Location, Related
from readylint.model.ci import ci_anchor, ephemeral_cluster, gating, project_type
from readylint.model.ci_tools import DEPLOY, E2E, hits
from readylint.model.junit import e2e_results
from readylint.registry import rule

CONFIGS = ("**/playwright.config.*", "**/cypress.config.*", "**/cypress.json", "**/wdio.conf.*",
           "**/kuttl-test.yaml", "**/chainsaw-test.yaml")
_TARGET = lazy_re.compile(r"base_?url|baseurl|https?://|preview|staging", re.I)


@rule(code="TEST003", slug="e2e-tests", scope="repository", severity="warning", confidence="medium",
      evidence="R, C, T")
def check(index, opts):
    subject = index.repo.subject("e2e-tests", "the end-to-end tests")
    if project_type(index) in ("library", "batch"):
        yield subject.not_applicable(NOT_RELEVANT, f"project.type is {project_type(index)}: no user-facing flow")
        return
    reported = list(_reported(index, subject))
    for outcome in _suite(index, subject):
        if outcome.status != "pass" or not reported:
            yield outcome
    yield from reported


def _reported(index, subject):
    """Committed e2e JUnit results that fail or skip every test (rules.md: passing results when reports exist)."""
    config = index.settings.get("config")
    extra = index.repo.glob(*(config.section("inputs").get("reports") or [])) if config else []
    for result in e2e_results(index, extra):
        if result.failures + result.errors:
            yield subject.fail(f"The end-to-end results {result.path} report {result.failures + result.errors} of "
                               f"{result.tests} tests failing. Fix the failing flows (or the flaky specs) before "
                               f"release.", at=result.location, key_path=f"e2e.results.{result.path}")
        elif result.tests and result.skipped >= result.tests:
            yield subject.fail(f"The end-to-end results {result.path} skipped all {result.tests} tests, so the "
                               f"suite checked nothing. Find out why they are skipped (a missing target URL or "
                               f"cluster) and run them.", at=result.location, key_path=f"e2e.results.{result.path}")


def _suite(index, subject):
    configs = index.repo.glob(*CONFIGS)
    specs = _specs(index, configs)
    if configs and not specs:
        yield subject.fail(f"The end-to-end suite {configs[0]} has no spec files, so it tests nothing. Add specs "
                           f"that exercise the main user flows.", at=Location(configs[0], 1, 1), key_path="e2e.specs")
        return
    if specs and all(_scaffold(index, p) for p in specs):
        yield subject.fail(f"The end-to-end suite holds only the framework's generated example ({specs[0]}), not "
                           f"tests of this application. Replace it with specs of the main user flows.",
                           at=Location(specs[0], 1, 1), key_path="e2e.specs", level="warning")
        return
    runs = hits(index, E2E)
    good = [h for h in runs if gating(h.step) is None and _deployed_target(index, h.step)]
    if good:
        yield subject.passed(f"{good[0].tool} in {good[0].step.job.display}")
        return
    if runs:
        hit = next((h for h in runs if gating(h.step) is not None), None)
        if hit is not None:
            yield subject.fail(f"The end-to-end tests in {hit.step.job.display} do not gate: {gating(hit.step)}. "
                               f"Fix or quarantine flaky specs instead of letting the job fail silently.",
                               at=hit.step.job.location, key_path="e2e.ci")
        else:
            hit = runs[0]
            yield subject.fail(f"The end-to-end tests in {hit.step.job.display} run against no deployed target "
                               f"(no kind/minikube/k3d cluster, deploy step or base URL in the job), so they test "
                               f"components, not the system. Deploy the application first.",
                               at=hit.step.job.location, key_path="e2e.target")
        return
    if configs:
        yield subject.fail(f"The end-to-end suite {configs[0]} is never run by CI. Add a job that deploys the "
                           f"application and runs it on pull requests.", at=Location(configs[0], 1, 1),
                           key_path="e2e.ci", related=[Related(ci_anchor(index), "The CI workflow.")]
                           if ci_anchor(index).path != configs[0] else [])
        return
    yield subject.fail("No end-to-end test suite was found and no CI job runs one. Add E2E tests (e.g. Playwright, "
                       "Cypress or kuttl) that run against a deployed environment in CI.",
                       at=index.repo.anchor(), key_path="e2e")


SPEC_GLOBS = ("**/*.spec.ts", "**/*.spec.js", "**/*.spec.tsx", "**/*.spec.mjs", "**/*.cy.ts", "**/*.cy.js",
              "**/e2e/**/*.test.ts", "**/e2e/**/*.test.js", "**/*-assert.yaml", "**/*-assert.yml")
_SCAFFOLD = lazy_re.compile(r"playwright\.dev|example\.cypress\.io|docs\.cypress\.io/guides|todomvc", re.I)


def _specs(index, configs):
    """Spec files of the suite; Chainsaw tests are their own specs."""
    found = [p for p in index.repo.glob(*SPEC_GLOBS) if "node_modules/" not in p]
    found += [c for c in configs if c.lower().endswith("chainsaw-test.yaml")]
    if any(c.lower().endswith("kuttl-test.yaml") for c in configs):
        found += [p for p in index.files if re.match(r"\d\d-.*\.ya?ml$", p.rsplit("/", 1)[-1])]
    return sorted(set(found))


def _scaffold(index, path):
    """The example spec `npm init playwright` or Cypress generates, which tests someone else's site."""
    lower = path.lower()
    if "1-getting-started/" in lower or "2-advanced-examples/" in lower:
        return True
    return bool(_SCAFFOLD.search((index.repo.text(path) or "")[:4000]))


def _deployed_target(index, step):
    job = step.job
    if ephemeral_cluster(job) is not None or job.environment:
        return True
    if any(_TARGET.search(" ".join(f"{k}={v}" for k, v in s.env.items()) + " " + s.text) for s in job.steps):
        return True
    deploys = {id(h.step.job) for h in hits(index, DEPLOY)}
    return id(job) in deploys or any(id(a) in deploys for a in job.pipeline.ancestors(job))
