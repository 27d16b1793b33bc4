"""JUnit XML and GitLab Code Quality reports, validated against their published shapes (tests/schemas/)."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from readylint.cli import main
from readylint.registry import SECURITY_CODES
from readylint.reporters import gitlab, junit

from .conftest import FIXTURES, REPO
from .helpers import lint

SCHEMAS = REPO / "tests" / "schemas"
DEMO = REPO / "examples" / "demo-service"
CUSTOM = FIXTURES / "custom"


@pytest.fixture(scope="module")
def junit_schema():
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is in the test extra: pip install -e '.[test]'")
    return xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd"))


@pytest.fixture(scope="module")
def gitlab_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads((SCHEMAS / "gitlab-codequality.schema.json").read_text()))


def _cases(xml_text):
    root = ET.fromstring(xml_text)
    return root, {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}


def test_junit_one_case_per_rule_and_subject(junit_schema):
    report = lint(CUSTOM / "object-fail", select=["X", "HA001"])
    text = junit.render(report)
    junit_schema.validate(text)
    root, cases = _cases(text)
    team = cases[("readylint.X-TEAM-LABEL", "Deployment shop/api")].find("failure")
    assert team.get("message").startswith("deploy.yaml:6:3: Deployment shop/api: metadata.labels lacks required key")
    assert team.get("type") == "error X-TEAM-LABEL"
    registry = cases[("readylint.X-OWN-REGISTRY", "Deployment shop/api")].find("failure")
    assert registry.text.splitlines() == [
        f"warning {f.location.path}:{f.location.line}:{f.location.col} {f.message}"
        for f in report.active if f.code == "X-OWN-REGISTRY"]  # every finding on the subject, in order
    passed = cases[("readylint.HA001", "Deployment shop/api")]
    assert list(passed) == []
    assert list(cases[("readylint.RL001", "(all files)")]) == []
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["Custom"].get("tests") == "3" and suites["Custom"].get("failures") == "3"
    assert root.get("failures") == str(sum(1 for c in cases.values() if c.find("failure") is not None))


def test_junit_skips_waived_not_applicable_and_unknown_with_the_reason(junit_schema):
    waived = junit.render(lint(CUSTOM / "suppressed", select=["X"]))
    junit_schema.validate(waived)
    _, cases = _cases(waived)
    skipped = cases[("readylint.X-TEAM-LABEL", "Deployment shop/api")].find("skipped")
    assert skipped.get("message") == "waived: owned by the platform team until the split lands"

    demo = lint(DEMO, no_render=True)
    text = junit.render(demo)
    junit_schema.validate(text)
    _, cases = _cases(text)
    messages = [c.find("skipped").get("message") for c in cases.values() if c.find("skipped") is not None]
    assert any(m.startswith("unknown, evidence unavailable: ") for m in messages)
    assert any(m.startswith("not applicable (") for m in messages)
    failing = {c for (c, _), case in cases.items() if case.find("failure") is not None}
    assert failing == {f"readylint.{f.code}" for f in demo.shown}
    assert len(cases) >= len(demo.rules)  # every selected rule shows up, with or without subjects


def test_junit_is_well_formed_with_control_characters(junit_schema):
    report = lint(CUSTOM / "object-fail", select=["X"])
    from dataclasses import replace

    report.findings = [replace(f, message=f.message + " \x1b[31m<&>") for f in report.findings]
    text = junit.render(report)
    junit_schema.validate(text)
    assert "<&>" not in text and "&lt;&amp;&gt;" in text


def test_gitlab_code_quality_matches_the_published_shape(gitlab_validator):
    report = lint(DEMO, no_render=True)
    issues = json.loads(gitlab.render(report))
    assert list(gitlab_validator.iter_errors(issues)) == []
    assert len(issues) == len(report.active) > 0
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    by_fingerprint = {f.fingerprint: f for f in report.active}
    for issue in issues:
        finding = by_fingerprint[issue["fingerprint"]]
        assert issue["location"] == {"path": finding.location.path, "lines": {"begin": finding.location.line}}
        assert issue["check_name"] == f"readylint/{finding.code}-{finding.slug}"
        expected = {"error": "major", "warning": "minor", "note": "info"}[finding.level]
        if finding.level == "error" and finding.code in SECURITY_CODES:
            expected = "critical"
        assert issue["severity"] == expected


def test_gitlab_fingerprints_stay_unique_when_two_findings_share_a_key(gitlab_validator):
    report = lint(CUSTOM / "object-fail", select=["X"])
    report.findings = report.findings + report.findings[:1]
    issues = json.loads(gitlab.render(report))
    assert list(gitlab_validator.iter_errors(issues)) == []
    assert len({i["fingerprint"] for i in issues}) == len(issues) == 6


def test_format_and_extra_files_from_the_command_line(tmp_path, monkeypatch, junit_schema, gitlab_validator):
    root = tmp_path / "repo"
    shutil.copytree(CUSTOM / "object-fail", root)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check", ".", "--select", "X", "--format", "text", "--no-render",
                                       "--junit-file", "junit.xml", "--gitlab-file", "gl-code-quality.json"])
    assert result.exit_code == 1
    junit_schema.validate(str(root / "junit.xml"))
    assert len(json.loads((root / "gl-code-quality.json").read_text())) == 5
    as_format = CliRunner().invoke(main, ["check", ".", "--select", "X", "--format", "junit", "--no-render"])
    assert as_format.exit_code == 1 and as_format.output.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert as_format.output == (root / "junit.xml").read_text()  # no timestamps: same run, same bytes
