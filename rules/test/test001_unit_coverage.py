"""Unit test coverage >80%.

## What it does
Reads committed coverage reports (Cobertura, JaCoCo, lcov, coverage.py JSON, Istanbul summary, Go
coverprofile; more paths through `inputs.reports`) and sums covered and coverable lines across them. Reports
older than the commit they sit in (Cobertura `timestamp`, JaCoCo session dump, coverage.py `meta.timestamp`)
are stale and ignored. Without a fresh report it looks for a gate: `--cov-fail-under`, coverage.py
`fail_under`, Jest/Vitest line thresholds, a JaCoCo `COVEREDRATIO` minimum or a Codecov target. Any
threshold below `coverage_min_line_pct` is a finding, as is a gate no CI job runs. Coverage uploaded to Codecov
or Coveralls without a report or threshold in the repository is "unknown": the service's settings decide.
A coverage.py `omit` or Jest `coveragePathIgnorePatterns` that hides more than `coverage_max_omitted_pct`
(20) percent of the application lines (tests and fixtures not counted) is a `note`: the figure leaves that
code out.

## Why it matters
Untested lines are where regressions ship unnoticed. A threshold the pipeline does not enforce decays
silently.

## How to fix
Enforce the minimum in CI, e.g. `pytest --cov --cov-fail-under=80`, coverage.py `fail_under = 80`,
or Jest `coverageThreshold.global.lines: 80`, and raise coverage until it passes.

## Example
```yaml fail file=.github/workflows/ci.yml
on: {pull_request: {}, push: {branches: [main]}}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest --cov=app --cov-fail-under=60
```
```yaml pass file=.github/workflows/ci.yml
on: {pull_request: {}, push: {branches: [main]}}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest --cov=app --cov-fail-under=85
```
"""
import subprocess

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT
from readylint.inputs.git_history import history
from readylint.model import coverage
from readylint.model.coverage_omit import exclusions, hidden_share
from readylint.model.ci import all_steps, builds_code, gating
from readylint.model.ci_tools import COVERAGE_UPLOAD, UNIT, hits
from readylint.registry import rule


@rule(code="TEST001", slug="unit-coverage", scope="repository", severity="error", confidence="high",
      evidence="T, R, C", options={"coverage_min_line_pct": 80, "coverage_max_omitted_pct": 20})
def check(index, opts):
    minimum = float(opts["coverage_min_line_pct"])
    subject = index.repo.subject("unit-coverage", "the unit test coverage")
    config = index.settings.get("config")
    extra = index.repo.glob(*(config.section("inputs").get("reports") or [])) if config else []
    reports = coverage.reports(index, extra)
    if not reports and not builds_code(index):
        yield subject.not_applicable(NOT_RELEVANT, "the repository has no application code")
        return
    head = _head_time(index)
    fresh = [r for r in reports if r.timestamp is None or head is None or r.timestamp >= head - 60]
    stale = [r for r in reports if r not in fresh]
    gates = coverage.gates(index, all_steps(index))
    notes = list(_omissions(index, float(opts["coverage_max_omitted_pct"])))
    unit_gating = any(gating(h.step) is None for h in hits(index, UNIT))
    failures = []
    for gate in gates:
        if gate.value < minimum:
            failures.append((f"The coverage threshold {gate.source} is {gate.value:g}%, below the required "
                             f"{minimum:g}% of lines. Raise it to at least {minimum:g}.", gate.location, "gate"))
    if fresh:
        covered, total = sum(r.covered for r in fresh), sum(r.total for r in fresh)
        pct = 100.0 * covered / total if total else 0.0
        names = ", ".join(r.path for r in fresh[:3])
        if pct < minimum:
            failures.insert(0, (f"Unit test line coverage is {pct:.1f}% ({covered} of {total} lines in {names}), "
                                f"below the required {minimum:g}%. Add tests for the uncovered code.",
                                fresh[0].location, "report"))
        if not failures and not notes:
            yield subject.passed(f"{pct:.1f}% of {total} lines covered ({names})")
            return
    else:
        good = [g for g in gates if g.value >= minimum]
        enforced = [g for g in good if (g.in_ci and _step_gates(g, index)) or (not g.in_ci and unit_gating)]
        if not failures and enforced:
            if not notes:
                yield subject.passed(f"{enforced[0].source} enforces {enforced[0].value:g}% in CI")
            yield from (subject.fail(m, at=at, key_path=f"coverage.{k}", level="note") for m, at, k in notes)
            return
        if not failures and good:
            gate = good[0]
            failures.append((f"The coverage threshold {gate.source} ({gate.value:g}%) is not enforced: no gating "
                             f"CI job runs the unit tests with it. Run the tests with coverage on pull requests.",
                             gate.location, "gate"))
        uploads = hits(index, COVERAGE_UPLOAD)
        if not failures and uploads and notes:
            yield from (subject.fail(m, at=at, key_path=f"coverage.{k}", level="note") for m, at, k in notes)
            return
        if not failures and uploads:
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{uploads[0].tool} receives the coverage in "
                                         f"{uploads[0].step.job.display}, but no report or threshold is in the "
                                         f"repository; the service's settings decide whether coverage gates")
            return
        if not failures:
            why = f" The report {stale[0].path} is older than the last commit." if stale else ""
            failures.append((f"No fresh coverage report and no coverage threshold show that unit tests cover "
                             f"{minimum:g}% of lines.{why} Enforce a threshold in CI (e.g. pytest --cov-fail-under="
                             f"{minimum:g}, Jest coverageThreshold or a JaCoCo check rule).",
                             stale[0].location if stale else index.repo.anchor(), "coverage"))
    for message, at, key in failures:
        yield subject.fail(message, at=at, key_path=f"coverage.{key}")
    for message, at, key in notes:
        yield subject.fail(message, at=at, key_path=f"coverage.{key}", level="note")


def _omissions(index, limit):
    """Coverage exclusions that hide more than ``limit`` % of the application code (lines, tests not counted)."""
    for exclusion in exclusions(index):
        hidden, total, largest = hidden_share(index, exclusion)
        if total and 100.0 * hidden / total > limit:
            yield (f"The coverage exclusion {exclusion.source} hides {100.0 * hidden / total:.0f}% of the "
                   f"{exclusion.language} application code ({hidden} of {total} lines, e.g. {', '.join(largest)}), "
                   f"so the coverage figure leaves it out. Test that code or narrow the exclusion to generated "
                   f"and vendored files.", exclusion.location, f"omit.{exclusion.source}")


def _step_gates(gate, index):
    return any(s.location == gate.location and gating(s) is None for s in all_steps(index))


def _head_time(index):
    """Commit time of HEAD in seconds, or None (no usable history: every report counts as fresh)."""
    if not history(index).available:
        return None
    try:
        out = subprocess.run(["git", "-C", index.root, "log", "-1", "--format=%ct"], capture_output=True, text=True,
                             timeout=20, check=True).stdout.strip()
        return float(out) if out else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
