"""Integration tests automated.

## What it does
Looks for integration tests (`tests/integration/`, `*IT.java`, Go files with the `integration` build tag, a
pytest `integration` marker, Testcontainers in a dependency manifest, chart tests run by `ct install`) and
for a gating CI step that runs them (`go test -tags=integration`, `pytest -m integration`, `mvn verify`,
`make test-integration`, `ct install`, or a step named "integration tests"). Integration tests that CI runs
count even when the test sources are elsewhere, and so does a gating end-to-end run against the deployed system
(a kind, minikube or k3d cluster, or a deploy in the same job), which exercises the real integrations.
Committed JUnit results of integration suites must hold tests, no failures or errors, and fewer skipped tests
than `integration_max_skipped_pct` (50 %).

## Why it matters
Unit tests with mocks do not show that the service works with its real database, queue or API. Integration
tests that nobody runs rot quickly.

## How to fix
Run the integration suite on every pull request, e.g. a job with service containers that runs
`go test -tags=integration ./...`, and do not mark it `continue-on-error`.

## Example
```yaml fail file=.github/workflows/ci.yml
on: {pull_request: {}}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: go test ./...
```
```yaml pass file=.github/workflows/ci.yml
on: {pull_request: {}}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: go test -tags=integration ./...
```
"""
import re

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT
from readylint.model.ci import ci_anchor, ephemeral_cluster, gating, project_type
from readylint.model.ci_tools import DEPLOY, E2E, INTEGRATION, UNIT, hits
from readylint.model.junit import integration_results
from readylint.registry import rule


@rule(code="TEST002", slug="integration-tests", scope="repository", severity="warning", confidence="medium",
      evidence="T, R, C", options={"integration_max_skipped_pct": 50})
def check(index, opts):
    subject = index.repo.subject("integration-tests", "the integration tests")
    if project_type(index) == "library":
        yield subject.not_applicable(NOT_RELEVANT, "project.type is library")
        return
    config = index.settings.get("config")
    extra = index.repo.glob(*(config.section("inputs").get("reports") or [])) if config else []
    for result in integration_results(index, extra):
        problem = _result_problem(result, opts["integration_max_skipped_pct"])
        if problem:
            yield subject.fail(problem, at=result.location, key_path=f"integration.results.{result.path}")
            return
    runs = hits(index, INTEGRATION)
    good = [h for h in runs if gating(h.step) is None]
    if good:
        yield subject.passed(f"{good[0].tool} in {good[0].step.job.display}")
        return
    system = _system_tests(index)
    if system:
        yield subject.passed(f"{system.tool} in {system.step.job.display} runs against the deployed system, which "
                             f"exercises the service's integrations (no separate integration suite)")
        return
    if runs:
        hit = runs[0]
        yield subject.fail(f"The integration tests in {hit.step.job.display} do not gate: {gating(hit.step)}. Run "
                           f"them on pull requests and let a failure fail the pipeline.", at=hit.step.location,
                           key_path="integration.ci")
        return
    sources = _sources(index)
    if sources:
        unit = hits(index, UNIT)
        at = unit[0].step.job.location if unit else ci_anchor(index)
        yield subject.fail(f"Integration tests exist ({sources[0]}) but no CI job runs them. Add a gating job "
                           f"that runs them on pull requests.", at=at, key_path="integration.ci")
        return
    yield subject.fail("No integration tests were found and no CI job runs any. Add tests against real "
                       "dependencies (e.g. Testcontainers or service containers) and run them in CI.",
                       at=index.repo.anchor(), key_path="integration")


def _system_tests(index):
    """A gating E2E run against the deployed system (a throw-away cluster or a deploy in the same job)."""
    deployed = {id(h.step.job) for h in hits(index, DEPLOY)}
    return next((h for h in hits(index, E2E) if gating(h.step) is None
                 and (ephemeral_cluster(h.step.job) or id(h.step.job) in deployed)), None)


def _result_problem(result, max_skipped_pct):
    if result.tests == 0:
        return f"The integration results {result.path} contain no tests: the suite ran nothing."
    if result.failures + result.errors:
        return (f"The integration results {result.path} record {result.failures} failure(s) and {result.errors} "
                f"error(s) in {result.tests} tests. Fix the failing tests.")
    if result.skipped_pct >= max_skipped_pct:
        return (f"The integration results {result.path} skip {result.skipped} of {result.tests} tests "
                f"({result.skipped_pct:.0f}%, limit {max_skipped_pct:g}%); skipped integration tests often mean "
                f"CI lacks Docker or a service. Make them run.")
    return ""


_GO_TAG = lazy_re.compile(r"^//\s*(go:build|\+build)\s.*\bintegration\b", re.M)


def _sources(index):
    found = index.repo.glob("**/tests/integration/**", "**/test/integration/**", "**/integration_tests/**",
                            "**/integration-tests/**", "**/*IT.java", "**/*IT.kt", "**/*_integration_test.go",
                            "**/test_integration*.py")
    for path in index.repo.glob("**/*_test.go")[:2000]:
        if _GO_TAG.search((index.repo.text(path) or "")[:2000]):
            found.append(path)
            break
    for path in index.repo.glob("pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini"):
        if re.search(r"markers[\s\S]{0,300}\bintegration\b", index.repo.text(path) or ""):
            found.append(path)
    for path in index.repo.glob("**/pom.xml", "**/build.gradle", "**/build.gradle.kts", "**/package.json",
                                "**/go.mod", "**/requirements*.txt", "pyproject.toml"):
        if "testcontainers" in (index.repo.text(path) or "").lower():
            found.append(path)
    return found
