"""Outcomes of the platform sub-checks that fixtures cannot show: unknown (evidence unavailable) and git dates."""
from __future__ import annotations

import shutil

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_APPLICABLE, PASS

from .conftest import FIXTURES
from .helpers import lint
from .test_git_history import commit, git

RULES = FIXTURES / "rules"


def _outcomes(report, code, text):
    return [o for o in report.outcomes[code] if text in o.subject.display or text in o.subject.key]


def test_velero_schedule_without_a_defined_storage_location_is_unknown():
    report = lint(RULES / "DR001-backups" / "na-unknown-location", select=["DR001"])
    [outcome] = _outcomes(report, "DR001", "StatefulSet shop/db")
    assert (outcome.status, outcome.reason) == (NOT_APPLICABLE, EVIDENCE_UNAVAILABLE)
    assert "'offsite'" in outcome.why


def test_velero_schedule_with_its_storage_location_passes():
    report = lint(RULES / "DR001-backups" / "pass", select=["DR001"])
    assert all(o.status == PASS for o in report.outcomes["DR001"])


def test_cdn_review_date_comes_from_git_and_is_unknown_without_history(tmp_path):
    source = (RULES / "PERF006-cdn-config" / "pass" / "app.yaml").read_text(encoding="utf-8")
    reviewed = '  annotations:\n    readylint.dev/last-reviewed: "2026-10-01"\n'
    assert reviewed in source
    source = source.replace(reviewed, "")  # no review record: the date must come from git
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "app.yaml").write_text(source, encoding="utf-8")
    [unknown] = _outcomes(lint(plain, select=["PERF006"]), "PERF006", "shop.example.com")
    assert (unknown.status, unknown.reason) == (NOT_APPLICABLE, EVIDENCE_UNAVAILABLE)

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"app.yaml": source}, "2025-01-10")
    report = lint(repo, select=["PERF006"])
    [stale] = [f for f in report.active if f.code == "PERF006"]
    assert stale.level == "warning" and "2025-01-10 (last commit)" in stale.message
    commit(repo, {"app.yaml": source + "\n"}, "2026-11-01")
    [fresh] = _outcomes(lint(repo, select=["PERF006"]), "PERF006", "shop.example.com")
    assert fresh.status == PASS and "2026-11-01" in fresh.why


def test_rule_tests_in_a_step_that_ignores_failure_do_not_count(tmp_path):
    case = tmp_path / "repo"
    shutil.copytree(RULES / "OPS004-alert-thresholds" / "pass", case)
    workflow = case / ".github" / "workflows" / "ci.yml"
    workflow.write_text(workflow.read_text(encoding="utf-8").replace(
        "      - run: make test-alerts\n", "      - run: make test-alerts\n        continue-on-error: true\n"),
        encoding="utf-8")
    [finding] = [f for f in lint(case, select=["OPS004"]).active if f.code == "OPS004"]
    assert finding.location.path == ".github/workflows/ci.yml" and "continue-on-error" in finding.message


def test_rule_tests_are_unknown_when_a_remote_workflow_may_run_them(tmp_path):
    case = tmp_path / "repo"
    shutil.copytree(RULES / "OPS004-alert-thresholds" / "fail-tests-not-in-ci", case)
    (case / ".github" / "workflows" / "ci.yml").write_text(
        "on: pull_request\njobs:\n  alerts:\n    uses: example/shared/.github/workflows/alerts.yml@v1\n",
        encoding="utf-8")
    report = lint(case, select=["OPS004"])
    [outcome] = _outcomes(report, "OPS004", "alert-tests")
    assert (outcome.status, outcome.reason) == (NOT_APPLICABLE, EVIDENCE_UNAVAILABLE)
