"""Coverage reports and gates: each format counted the way its tool counts lines, bad reports become RL001."""
from __future__ import annotations

import json

import pytest

from readylint.model import coverage
from readylint.model.index import RepoIndex

from .helpers import lint


def index_with(tmp_path, files: dict) -> RepoIndex:
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return RepoIndex([], str(tmp_path), sorted(files))


def only_report(tmp_path, name, text):
    index = index_with(tmp_path, {name: text})
    found = coverage.reports(index)
    return found, index.repo.problems


COBERTURA_LINES = """<?xml version="1.0" ?>
<coverage line-rate="0.99" version="1">
  <packages><package name="p"><classes>
    <class name="a" filename="a.py"><lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class>
    <class name="a2" filename="a.py"><lines><line number="2" hits="3"/><line number="3" hits="0"/></lines></class>
  </classes></package></packages>
</coverage>
"""


def test_cobertura_counts_lines_not_the_rounded_rate(tmp_path):
    (report,), problems = only_report(tmp_path, "coverage.xml", COBERTURA_LINES)
    assert (report.covered, report.total, report.format) == (2, 3, "Cobertura")  # a.py line 2 hit by either class
    assert (report.location.line, problems) == (2, [])


def test_cobertura_totals_and_epoch_millisecond_timestamp(tmp_path):
    text = '<coverage lines-covered="81" lines-valid="100" line-rate="0.81" timestamp="1700000000000"/>'
    (report,), _ = only_report(tmp_path, "coverage.xml", text)
    assert report.pct == pytest.approx(81.0)
    assert report.timestamp == 1_700_000_000


def test_lcov_merges_duplicate_files_with_the_maximum_hits(tmp_path):
    text = "TN:unit\nSF:a.go\nDA:1,1\nDA:2,0\nend_of_record\nTN:other\nSF:a.go\nDA:2,0\nDA:3,4\nend_of_record\n"
    (report,), _ = only_report(tmp_path, "lcov.info", text)
    assert (report.covered, report.total) == (2, 3)


def test_jacoco_uses_the_report_level_line_counter(tmp_path):
    text = ('<?xml version="1.0"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">'
            '<report name="api"><package name="p"><counter type="LINE" missed="90" covered="10"/></package>'
            '<counter type="INSTRUCTION" missed="1" covered="1"/><counter type="LINE" missed="25" covered="75"/>'
            '</report>')
    (report,), problems = only_report(tmp_path, "build/reports/jacocoTestReport.xml", text)
    assert (report.covered, report.total, problems) == (75, 100, [])


def test_coverage_py_json_counts_statements_not_percent_covered(tmp_path):
    text = json.dumps({"meta": {"version": "7.4"}, "totals": {"covered_lines": 70, "num_statements": 100,
                                                              "percent_covered": 85.0}})
    (report,), _ = only_report(tmp_path, "coverage.json", text)
    assert report.pct == pytest.approx(70.0)


def test_istanbul_summary_and_go_coverprofile(tmp_path):
    summary = json.dumps({"total": {"lines": {"total": 200, "covered": 170, "pct": 85}}})
    go = "mode: set\na.go:1.1,3.2 4 1\na.go:5.1,6.2 6 0\na.go:5.1,6.2 6 0\n"
    index = index_with(tmp_path, {"coverage/coverage-summary.json": summary, "coverage.out": go})
    found = {r.format: (r.covered, r.total) for r in coverage.reports(index)}
    assert found == {"Istanbul": (170, 200), "Go coverprofile": (4, 10)}  # statement-weighted, blocks merged


@pytest.mark.parametrize(("name", "text", "message", "line"), [
    ("coverage.xml", "<coverage><unclosed></coverage>", "coverage.xml is not a valid cobertura coverage report: "
                                                         "invalid XML", 1),
    ("coverage.xml", "<report/>", "coverage.xml is not a valid cobertura coverage report: the root element is "
                                  "<report>, not <coverage>", 1),
    ("coverage.xml", '<!DOCTYPE c [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><coverage line-rate="&b;"/>',
     "coverage.xml is not a valid cobertura coverage report: it declares XML entities", 1),
    ("lcov.info", "SF:a.go\nDA:x\n", "lcov.info is not a valid lcov coverage report: line 2 is not", 2),
    ("coverage.out", "a.go:1.1,2.2 1 1\n", "coverage.out is not a valid go coverage report: the first line", 1),
])
def test_malformed_reports_are_problems_not_crashes(tmp_path, name, text, message, line):
    found, problems = only_report(tmp_path, name, text)
    assert found == []
    ((path, got, got_line, _),) = problems
    assert (path, got_line) == (name, line)
    assert got.startswith(message)


def test_oversized_report_is_not_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(coverage, "MAX_REPORT_BYTES", 10)
    found, problems = only_report(tmp_path, "coverage.xml", COBERTURA_LINES)
    assert found == [] and "is larger than" in problems[0][1]


def test_gates_from_config_files(tmp_path):
    index = index_with(tmp_path, {
        "pyproject.toml": "[tool.coverage.report]\nshow_missing = true\nfail_under = 85\n",
        ".coveragerc": "[run]\nbranch = True\n[report]\nfail_under = 70\n",
        "package.json": json.dumps({"jest": {"coverageThreshold": {"global": {"lines": 90}}}}, indent=2),
        "codecov.yml": "coverage:\n  status:\n    project:\n      default:\n        target: 75%\n",
        "pom.xml": "<project><limit><counter>LINE</counter><value>COVEREDRATIO</value>"
                   "<minimum>0.80</minimum></limit></project>\n",
    })
    found = sorted((g.source, g.value, g.location.line) for g in coverage.gates(index, []))
    assert found == [(".coveragerc [report] fail_under", 70.0, 4),
                     ("codecov.yml coverage.status target", 75.0, 5),
                     ("package.json coverageThreshold lines", 90.0, 3),
                     ("pom.xml JaCoCo coverage check", 80.0, 1),
                     ("pyproject.toml [tool.coverage.report] fail_under", 85.0, 3)]


def test_a_broken_report_is_rl001_and_the_gate_still_decides(tmp_path):
    index_with(tmp_path, {
        "README.md": "# api\n", "pyproject.toml": "[project]\nname = 'api'\n",
        "coverage.xml": "<coverage",
        ".github/workflows/ci.yml": "on: pull_request\njobs:\n  test:\n    steps:\n"
                                    "      - run: pytest --cov=api --cov-fail-under=90\n",
    })
    report = lint(tmp_path, select=["TEST001"])
    assert not report.errors
    assert [(f.code, f.location.path) for f in report.findings] == [("RL001", "coverage.xml")]
    assert [o.status for o in report.outcomes["TEST001"]] == ["pass"]


def test_reports_named_in_config_are_read_whatever_their_name(tmp_path):
    index_with(tmp_path, {
        "README.md": "# api\n", "go.mod": "module example.com/api\n",
        ".readylint.yaml": "inputs:\n  reports: [artifacts/unit-*.info]\n",
        "artifacts/unit-api.info": "SF:a.go\nDA:1,1\nDA:2,0\nDA:3,0\nDA:4,0\nend_of_record\n",
    })
    report = lint(tmp_path, select=["TEST001"])
    (finding,) = [f for f in report.findings if f.code == "TEST001"]
    assert (finding.location.path, finding.message.split(",")[0]) == (
        "artifacts/unit-api.info", "Unit test line coverage is 25.0% (1 of 4 lines in artifacts/unit-api.info)")
