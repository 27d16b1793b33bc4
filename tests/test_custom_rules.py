"""Custom rules as data: object rules (JSON Schema per match, containers one by one) and document rules, with
exact positions, suppressions, selection, catalogue commands, SARIF metadata and configuration errors."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from readylint.cli import main
from readylint.custom_rules import schema as custom_schema
from readylint.model.facts import FACTS
from readylint.registry import all_rules, find_rule

from .conftest import FIXTURES
from .helpers import lint, normalise

CUSTOM = FIXTURES / "custom"
CASES = sorted(p for p in CUSTOM.iterdir() if p.is_dir())


def _custom(findings):
    return [f for f in findings if f.code.startswith("X-")]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fixture(case, update_snapshots):
    """pass*: every custom rule passes; fail*/doc-missing: the findings of expected.txt, exactly."""
    report = lint(case, select=["X"])
    assert not report.errors
    own = _custom(report.active)
    if case.name.endswith("pass"):
        assert normalise(own) == ""
        assert {code: s for code, s in report.statuses.items() if code.startswith("X-")} == {
            m.code: "pass" for m in report.rules if m.code.startswith("X-")}
        return
    if case.name == "suppressed":
        return  # test_annotation_and_inline_comment_suppress_custom_findings
    expected = case / "expected.txt"
    if update_snapshots:
        expected.write_text(normalise(own), encoding="utf-8")
    assert own and normalise(own) == expected.read_text(encoding="utf-8")


def test_object_rule_positions_each_container_and_the_nearest_parent():
    report = lint(CUSTOM / "object-fail", select=["X"])
    where = {(f.code, f.location.line, f.location.col, f.key_path) for f in report.active}
    assert where == {
        ("X-TEAM-LABEL", 6, 3, "metadata.labels.team"),                 # labels: exists, team does not
        ("X-TEAM-LABEL", 25, 1, "metadata.labels"),                      # no labels: at metadata
        ("X-OWN-REGISTRY", 14, 11, "spec.template.spec.containers[name=api].image"),  # the value that broke
        ("X-OWN-REGISTRY", 19, 11, "spec.template.spec.containers[name=proxy].resources.limits"),
        ("X-OWN-REGISTRY", 21, 11, "spec.template.spec.containers[2].resources"),  # unnamed item: its first key
    }
    api = next(f for f in report.active if f.key_path == "metadata.labels.team")
    assert api.message == ("Deployment shop/api: metadata.labels lacks required key 'team'. Add metadata.labels.team "
                           "so alerts reach the owning team.")
    assert api.level == "error" and report.exit_code == 1


def test_annotation_and_inline_comment_suppress_custom_findings():
    report = lint(CUSTOM / "suppressed", select=["X"])
    kinds = sorted((f.code, f.suppressed_by.kind) for f in _custom(report.findings))
    assert kinds == [("X-OWN-REGISTRY", "inline"), ("X-TEAM-LABEL", "annotation")]
    assert report.active == [] and report.exit_code == 0
    assert report.statuses["X-TEAM-LABEL"] == "waived"


def _copy(case, tmp_path):
    target = tmp_path / case
    shutil.copytree(CUSTOM / case, target)
    return target


def test_config_ignore_and_baseline_suppress_custom_findings(tmp_path):
    root = _copy("object-fail", tmp_path)
    config = root / ".readylint.yaml"
    config.write_text(config.read_text() + "ignores:\n  - rules: [X-TEAM-LABEL]\n    objects: [{kind: StatefulSet}]\n"
                                           "    reason: the database is owned by the DBA team\n")
    report = lint(root, select=["X"])
    waived = [(f.code, f.location.line) for f in report.findings if f.suppressed_by is not None]
    assert waived == [("X-TEAM-LABEL", 25)]

    from readylint.suppressions import write_baseline

    write_baseline(str(root / "baseline.json"), report.findings, "accepted at adoption")
    again = lint(root, select=["X"], baseline="baseline.json")
    assert again.active == [] and again.exit_code == 0
    assert {f.suppressed_by.kind for f in again.findings} == {"config", "baseline"}


def test_unused_custom_waiver_is_reported_like_a_builtin_one(tmp_path):
    root = _copy("object-pass", tmp_path)
    deploy = root / "deploy.yaml"
    deploy.write_text(deploy.read_text().replace(
        "  labels:\n    team: payments\n",
        "  labels:\n    team: payments\n  annotations:\n    ignore.readylint.dev/X-TEAM-LABEL: legacy\n", 1))
    report = lint(root, select=["X"])
    assert [(f.code, f.location.line) for f in report.active] == [("RL002", 9)]


def test_select_ignore_and_the_x_family_from_the_command_line(tmp_path, monkeypatch):
    root = _copy("object-fail", tmp_path)
    monkeypatch.chdir(root)
    runner = CliRunner()
    one = runner.invoke(main, ["check", ".", "--select", "X-TEAM-LABEL", "--format", "json", "--no-render"])
    codes = {f["code"] for f in json.loads(one.output)["findings"]}
    assert one.exit_code == 1 and codes == {"X-TEAM-LABEL"}
    family = runner.invoke(main, ["check", ".", "--select", "x", "--ignore", "x-team-label", "--format", "json",
                                  "--no-render"])
    assert {f["code"] for f in json.loads(family.output)["findings"]} == {"X-OWN-REGISTRY"}
    by_default = lint(root)
    assert {"X-TEAM-LABEL", "X-OWN-REGISTRY", "HA001"} <= {f.code for f in by_default.active}


def test_custom_rules_are_rules_of_one_run_only():
    lint(CUSTOM / "object-fail", select=["X"])
    assert find_rule("X-TEAM-LABEL") is None
    assert not any(m.code.startswith("X-") for m in all_rules())


def test_sarif_text_rules_and_explain_show_custom_rules(tmp_path, monkeypatch):
    root = _copy("object-fail", tmp_path)
    config = root / ".readylint.yaml"
    config.write_text(config.read_text().replace(
        "    help: Use an image", "    url: https://wiki.example.com/registry\n    help: Use an image", 1))
    monkeypatch.chdir(root)
    runner = CliRunner()
    sarif = json.loads(runner.invoke(main, ["check", ".", "--select", "X", "--format", "sarif", "--no-render"]).output)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    team = rules["X-TEAM-LABEL"]
    assert team["shortDescription"]["text"] == "Workloads carry a team label"
    assert team["defaultConfiguration"]["level"] == "error" and "helpUri" not in team
    assert "Add metadata.labels.team" in team["help"]["markdown"]
    assert rules["X-OWN-REGISTRY"]["helpUri"] == "https://wiki.example.com/registry"
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "X-TEAM-LABEL")
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    assert result["ruleIndex"] == list(rules).index("X-TEAM-LABEL")

    text = runner.invoke(main, ["check", ".", "--select", "X", "--format", "text", "--no-render"]).output
    assert "deploy.yaml:6:3: error X-TEAM-LABEL" in text

    listed = json.loads(runner.invoke(main, ["rules", "--format", "json"]).output)
    custom = [r for r in listed if r["section"] == "X"]
    assert [r["code"] for r in custom] == ["X-TEAM-LABEL", "X-OWN-REGISTRY"]
    assert custom[0]["section_title"] == "Custom" and custom[0]["level"] == "error"
    explained = runner.invoke(main, ["explain", "X-TEAM-LABEL"])
    assert explained.exit_code == 0 and "Add metadata.labels.team so alerts" in explained.output


def test_readiness_report_lists_custom_rules(tmp_path):
    from readylint.reporters import markdown

    report = lint(CUSTOM / "object-fail", select=["X"])
    text = markdown.render(report)
    assert "X-TEAM-LABEL Workloads carry a team label" in text and "Custom" in text


def test_match_kinds_namespaces_names_and_labels(tmp_path):
    (tmp_path / ".readylint.yaml").write_text("""\
custom_rules:
  - code: X-CORE
    level: note
    message: Services name their port
    help: Name every port.
    match:
      kinds: [v1/Service, apps/*]
      names: ["web*"]
      labels: {matchLabels: {tier: front}, matchExpressions: [{key: legacy, operator: DoesNotExist}]}
    schema: {properties: {spec: {properties: {ports: {items: {required: [name]}}}}}}
""")
    (tmp_path / "objects.yaml").write_text("""\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {tier: front}}
spec:
  ports:
    - port: 80
---
apiVersion: v1
kind: Service
metadata: {name: web-old, namespace: shop, labels: {tier: front, legacy: "true"}}
spec:
  ports:
    - port: 80
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, labels: {tier: front}}
spec:
  ports:
    - port: 80
---
apiVersion: v1
kind: Service
metadata: {name: web-sys, namespace: kube-system, labels: {tier: front}}
spec:
  ports:
    - port: 80
""")
    report = lint(tmp_path, select=["X"])
    assert [(f.subject, f.location.line, f.key_path) for f in report.active] == [
        ("k8s:/Service/shop/web", 6, "spec.ports[0].name")]
    assert report.active[0].message.startswith("Service shop/web: spec.ports[0] lacks required key 'name'.")


def test_each_walks_lists_on_the_way_and_absence_is_not_applicable(tmp_path):
    (tmp_path / ".readylint.yaml").write_text("""\
custom_rules:
  - code: X-PORT-NAMES
    level: warning
    message: Container ports are named
    help: Name each container port.
    match:
      kinds: [Deployment]
      each: [spec.template.spec.containers.ports, spec.template.spec.initContainers.ports]
    schema: {required: [name]}
""")
    (tmp_path / "d.yaml").write_text("""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: app
          ports:
            - containerPort: 8080
            - {name: metrics, containerPort: 9090}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: app
""")
    report = lint(tmp_path, select=["X"])
    assert [(f.location.line, f.key_path) for f in report.active] == [
        (10, "spec.template.spec.containers[name=app].ports[0].name")]
    outcomes = report.outcomes["X-PORT-NAMES"]
    assert [o.status for o in outcomes] == ["fail", "not-applicable"]


def _config_error(tmp_path, monkeypatch, text):
    (tmp_path / ".readylint.yaml").write_text(text)
    (tmp_path / "d.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", ".", "--format", "text", "--no-render"])
    assert result.exit_code == 2, result.output
    return result.output.strip().splitlines()[-1]


RULE = """\
custom_rules:
  - code: X-TEAM-LABEL
    level: error
    message: Workloads carry a team label
    help: Add the label.
"""


@pytest.mark.parametrize(("body", "expected"), [
    ("    match: {kinds: [Deployment]}\n    schema: {type: strin}\n",
     ".readylint.yaml:7: custom rule X-TEAM-LABEL: schema.type: not a valid JSON Schema (Draft 2020-12)"),
    ("    match: {kinds: [Deployment], each: 'a..b'}\n    schema: {}\n",
     ".readylint.yaml:6: custom rule X-TEAM-LABEL: match.each:"),
    ("    match: {kinds: [Deployment], kind: Pod}\n    schema: {}\n",
     ".readylint.yaml:6: custom rule X-TEAM-LABEL: match.kind: unknown key 'kind'"),
    ("    match: {kinds: [Deployment]}\n    schema: {$ref: 'https://example.com/s.json'}\n",
     ".readylint.yaml:7: custom rule X-TEAM-LABEL: schema.$ref: $ref 'https://example.com/s.json' is not local"),
    ("    match: {kinds: [Deployment]}\n",
     ".readylint.yaml:2: custom rule X-TEAM-LABEL: (the rule): 'schema' is a required property"),
    ("    match: {kinds: [Deployment]}\n    schema: {}\n    document: {paths: [docs/slo.md]}\n",
     ".readylint.yaml:6: custom rule X-TEAM-LABEL: match: not allowed together with 'document'"),
    ("    document: {paths: [docs/slo.md], headings: ['(']}\n",
     ".readylint.yaml:6: custom rule X-TEAM-LABEL: document.headings[0]: not a valid regular expression"),
    ("    document: {paths: [docs/slo.md], facts: [slo]}\n",
     ".readylint.yaml:6: custom rule X-TEAM-LABEL: document.facts[0]: 'slo' is not one of"),
])
def test_an_invalid_custom_rule_is_a_configuration_error_naming_rule_and_key(tmp_path, monkeypatch, body, expected):
    line = _config_error(tmp_path, monkeypatch, RULE + body)
    assert line.startswith("readylint: error: " + expected), line


def test_bad_code_level_and_duplicates(tmp_path, monkeypatch):
    bad_code = RULE.replace("X-TEAM-LABEL", "TEAM-LABEL") + "    document: {paths: [a.md]}\n"
    assert "custom rule TEAM-LABEL: code: 'TEAM-LABEL' is not a custom rule code: write X-" in _config_error(
        tmp_path, monkeypatch, bad_code)
    bad_level = RULE.replace("level: error", "level: fatal") + "    document: {paths: [a.md]}\n"
    assert ".readylint.yaml:3: custom rule X-TEAM-LABEL: level: 'fatal' is not one of" in _config_error(
        tmp_path, monkeypatch, bad_level)
    twice = RULE + "    document: {paths: [a.md]}\n" + RULE.split("\n", 1)[1] + "    document: {paths: [b.md]}\n"
    assert ".readylint.yaml:7: custom rule X-TEAM-LABEL: code: X-TEAM-LABEL is defined twice" in _config_error(
        tmp_path, monkeypatch, twice)


def test_custom_rules_files_relative_to_the_config(tmp_path, monkeypatch):
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "rules.yaml").write_text(RULE.split("\n", 1)[1].replace("  - code", "- code").replace(
        "\n    ", "\n  ") + "  document: {paths: [docs/team.md]}\n")
    (tmp_path / ".readylint.yaml").write_text("custom_rules_files: [policy/rules.yaml]\n")
    (tmp_path / "README.md").write_text("# svc\n")
    report = lint(tmp_path, select=["X"])
    assert [(f.code, f.location.path) for f in report.active] == [("X-TEAM-LABEL", "README.md")]
    (tmp_path / ".readylint.yaml").write_text("custom_rules_files: [policy/missing.yaml]\n")
    line = _config_error(tmp_path, monkeypatch, "custom_rules_files: [policy/missing.yaml]\n")
    assert line == "readylint: error: .readylint.yaml:1: custom_rules_files: policy/missing.yaml not found"


def test_schema_lists_every_known_fact():
    facts = custom_schema()["$defs"]["document"]["properties"]["facts"]["items"]["enum"]
    assert sorted(facts) == sorted(FACTS)


def test_config_schema_refers_to_the_custom_rules_schema():
    from jsonschema import Draft202012Validator

    from readylint.config import _schema
    from readylint.custom_rules import registry

    validator = Draft202012Validator(_schema(), registry=registry())
    good = {"custom_rules": [{"code": "X-A", "level": "note", "message": "m", "help": "h",
                              "document": {"paths": ["a.md"]}}]}
    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors({"custom_rules": [{"code": "A"}]}))


def test_json_report_with_custom_rules_matches_the_report_schema():
    from jsonschema import Draft202012Validator

    from readylint.reporters import json_report

    from .conftest import REPO

    report = lint(CUSTOM / "object-fail", select=["X"])
    document = json.loads(json_report.render(report, include_non_failing=True))
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(document)) == []
    assert {f["code"] for f in document["findings"]} == {"X-TEAM-LABEL", "X-OWN-REGISTRY"}


def test_document_rule_findings_are_suppressible_by_config_and_baseline(tmp_path):
    root = _copy("doc-fail", tmp_path)
    config = root / ".readylint.yaml"
    config.write_text(config.read_text() + "ignores:\n  - rules: [X-SLO-DOC]\n    paths: [docs/slo.md]\n"
                                           "    reason: SLO review scheduled for Q1\n    expires: '2027-03-31'\n")
    report = lint(root, select=["X"])
    assert len(report.findings) == 3 and report.active == []
    assert report.statuses["X-SLO-DOC"] == "waived"
    missing = _copy("doc-missing", tmp_path)
    first = lint(missing, select=["X"])
    from readylint.suppressions import write_baseline

    write_baseline(str(missing / "baseline.json"), first.findings, "no SLOs until GA")
    assert lint(missing, select=["X"], baseline="baseline.json").active == []
