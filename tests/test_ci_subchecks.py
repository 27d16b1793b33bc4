"""Second-wave CI and report sub-checks: when CI runs (path filters, GitLab rules), coverage exclusions, e2e
JUnit results, Alertmanager timing. Each test builds the smallest repository that shows the behaviour."""
from __future__ import annotations

import json
import textwrap

import pytest

from readylint.findings import Location
from readylint.model.ci_triggers import CONTEXTS, PathFilter, evaluate, outcomes
from readylint.rules.ops._alertmanager import seconds
from tests.helpers import lint


def write(root, files: dict):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def messages(report, code):
    return [f.message for f in report.active if f.code == code]


@pytest.mark.parametrize("expression, mr, branch, default", [
    ('$CI_PIPELINE_SOURCE == "merge_request_event"', True, False, False),
    ("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", False, False, True),
    ("$CI_COMMIT_TAG", False, False, False),
    ('$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "merge_request_event"', False, False, False),
    ("$CI_COMMIT_BRANCH =~ /^release/", False, None, False),  # a feature branch may be called release-1
    ('$CI_COMMIT_REF_NAME == "main"', False, False, None),  # the default branch may be main or master
    ("$DEPLOY_ENABLED", None, None, None),  # a user variable: cannot tell
    ('($CI_COMMIT_TAG || $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH) && $CI_MERGE_REQUEST_IID == null',
     False, False, True),
])
def test_gitlab_if_is_three_valued(expression, mr, branch, default):
    got = {name: evaluate(expression, context) for name, context in CONTEXTS.items()}
    assert got == {"merge_request": mr, "branch": branch, "default": default}


def test_gitlab_rules_first_match_wins_and_unknown_may_run():
    rules = [{"if": "$CI_PIPELINE_SOURCE == 'schedule'", "when": "never"}, {"if": "$RUN_ME"}]
    from readylint.inputs.yaml_docs import load_stream
    data = load_stream(json.dumps(rules)).documents[0].data
    assert outcomes(data, CONTEXTS["default"]) == {"run", "never"}
    never = load_stream('[{"if": "$CI_COMMIT_TAG"}]').documents[0].data
    assert outcomes(never, CONTEXTS["merge_request"]) == {"never"}


@pytest.mark.parametrize("kind, patterns, path, runs", [
    ("paths", ("src/**",), "chart/values.yaml", False),
    ("paths", ("src/**", "chart/**"), "chart/templates/a.yaml", True),
    ("paths", ("**", "!chart/**"), "chart/Chart.yaml", False),
    ("paths", ("*.go",), "cmd/main.go", False),  # `*` stops at a slash: root files only
    ("paths", ("**.go",), "cmd/main.go", True),
    ("paths", ("chart",), "chart/Chart.yaml", True),  # a bare folder name is read leniently
    ("paths-ignore", ("docs/**", "**.md"), "chart/Chart.yaml", True),
    ("paths-ignore", ("chart/**",), "chart/Chart.yaml", False),
])
def test_github_path_filters(kind, patterns, path, runs):
    assert PathFilter("ci.yml", "push", kind, patterns, Location("ci.yml", 1, 1)).runs_for(path) is runs


def test_path_filter_on_one_workflow_is_fine_when_another_covers_the_code(tmp_path):
    workflow = """\
        on:
          pull_request: {paths: ["docs/**"]}
          push: {branches: [main]}
        jobs:
          lint: {runs-on: ubuntu-latest, steps: [{run: go vet ./...}]}
          test: {runs-on: ubuntu-latest, steps: [{run: go test ./...}]}
        """
    write(tmp_path, {"README.md": "# x\n", "go.mod": "module x\n", "main.go": "package main\n",
                     ".github/workflows/ci.yml": workflow})
    assert any("run no CI workflow on pull requests" in m for m in messages(lint(tmp_path, select=["CD004"]),
                                                                             "CD004"))
    write(tmp_path, {".github/workflows/go.yml": """\
        on: {pull_request: {paths: ["**.go", "go.mod"]}}
        jobs:
          test: {runs-on: ubuntu-latest, steps: [{run: go test ./...}]}
        """})
    assert not any("run no CI workflow" in m for m in messages(lint(tmp_path, select=["CD004"]), "CD004"))


def test_jest_coverage_ignore_patterns_hiding_the_code_is_a_note(tmp_path):
    package = {"name": "shop", "jest": {"coverageThreshold": {"global": {"lines": 90}},
                                        "coveragePathIgnorePatterns": ["/node_modules/", "<rootDir>/src/payments/"]}}
    files = {"README.md": "# shop\n", "package.json": json.dumps(package, indent=2),
             "src/payments/stripe.js": "x\n" * 80, "src/cart.js": "x\n" * 20, "src/cart.test.js": "x\n" * 500,
             ".github/workflows/ci.yml": """\
                on: {pull_request: {}, push: {branches: [main]}}
                jobs:
                  test: {runs-on: ubuntu-latest, steps: [{run: npx jest --coverage}]}
                """}
    report = lint(write(tmp_path, files), select=["TEST001"])
    found = [f for f in report.active if f.code == "TEST001"]
    assert [(f.level, f.location.path, f.location.line) for f in found] == [("note", "package.json", 9)]
    assert "hides 80% of the javascript application code" in found[0].message


def test_prometheus_durations():
    assert seconds("1h30m") == 5400 and seconds("4h") == 14400 and seconds("90s") == 90
    assert seconds("4 hours") is None and seconds("") is None
