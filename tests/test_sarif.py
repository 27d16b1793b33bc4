"""SARIF output against the official 2.1.0 schema and GitHub's expectations (integrations.md S1–S17)."""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import subprocess
import sys
from urllib.parse import unquote

import jsonschema

from readylint.findings import EVIDENCE_UNAVAILABLE, Subject
from readylint.registry import find_rule
from readylint.reporters import sarif

from .conftest import CORPUS, SCHEMAS_REF, needs_shared
from .helpers import lint

SARIF_SCHEMA = SCHEMAS_REF / "sarif-schema-2.1.0.json"

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop{annotations}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/{name}:1.0
"""
WAIVED = '\n  annotations:\n    ignore.readylint.dev/HA001: "leader-elected singleton"'


def write_tree(root: pathlib.Path) -> pathlib.Path:
    """Two failing Deployments (one waived by annotation), one passing, in two files."""
    (root / "deploy").mkdir(parents=True, exist_ok=True)
    (root / "deploy" / "api.yaml").write_text(
        DEPLOY.format(name="api", replicas=1, annotations="") + "---\n"
        + DEPLOY.format(name="web", replicas=3, annotations=""), encoding="utf-8")
    (root / "deploy" / "worker.yaml").write_text(
        DEPLOY.format(name="worker", replicas=2, annotations=WAIVED), encoding="utf-8")
    return root


def sarif_doc(report, **options) -> dict:
    return json.loads(sarif.render(report, **options))


def validate(document: dict) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)  # the file declares its own draft
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@needs_shared(SARIF_SCHEMA)
def test_output_validates_against_the_official_schema(tmp_path):
    report = lint(write_tree(tmp_path), select=["HA001"])
    validate(sarif_doc(report))
    validate(sarif_doc(report, include_suppressed=True, include_non_failing=True, category="prod"))


def test_envelope_driver_and_one_run(tmp_path):
    report = lint(write_tree(tmp_path), select=["HA001"])
    text = sarif.render(report)
    document = json.loads(text)
    assert text.endswith("}\n")
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "readylint"
    assert driver["semanticVersion"] == report.version
    assert driver["informationUri"] == "https://readylint.dev"
    assert [r["id"] for r in driver["rules"]] == [m.code for m in report.rules]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["automationDetails"]["id"] == "readylint/"
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]  # no absolute root in the output
    invocation = run["invocations"][0]
    assert invocation == {**invocation, "executionSuccessful": True, "exitCode": 1}


def test_category_sets_automation_id(tmp_path):
    report = lint(write_tree(tmp_path), select=["HA001"])
    assert sarif_doc(report, category="prod")["runs"][0]["automationDetails"]["id"] == "readylint/prod/"


def test_results_match_their_rule_entries(tmp_path):
    report = lint(write_tree(tmp_path), select=["HA001"])
    run = sarif_doc(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["results"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["kind"] == "fail"
        assert result["message"]["text"].strip()
        location = result["locations"][0]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith(("/", "./", "file:"))
        assert (tmp_path / artifact["uri"]).is_file()
        assert set(result["partialFingerprints"]) == {"primaryLocationLineHash", "readylint/v1"}
        assert set(result["properties"]) >= {"subject", "environment", "keyPath"}
    first = run["results"][0]
    assert first["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "shop/apps/v1/Deployment/api#spec.replicas", "kind": "object"}]
    assert first["partialFingerprints"]["readylint/v1"] == report.active[0].fingerprint


def test_rule_descriptors_and_security_severity():
    base = find_rule("HA001")
    plain = sarif.rule_descriptor(base)
    assert plain["name"] == "min-replicas"
    assert plain["properties"]["problem.severity"] == "error"
    assert "security-severity" not in plain["properties"]
    assert plain["properties"]["precision"] == "high"
    assert plain["properties"]["tags"][:3] == ["production-readiness", "ha", "high-availability"]
    assert "kubernetes" in plain["properties"]["tags"] and len(plain["properties"]["tags"]) <= 10
    assert plain["help"]["markdown"].rstrip().endswith(f"({base.help_uri})")
    assert len(plain["fullDescription"]["text"]) <= 1024
    assert plain["fullDescription"]["text"].startswith("Checks that every long-running workload")
    for severity, expected in (("error", "8.0"), ("warning", "5.5"), ("note", "2.0")):
        meta = dataclasses.replace(base, code="SEC002", slug="pod-security-context", severity=severity,
                                   section_title="Infrastructure Security")
        entry = sarif.rule_descriptor(meta)
        assert entry["properties"]["security-severity"] == expected
        assert "problem.severity" not in entry["properties"]
        assert "security" in entry["properties"]["tags"]
        assert "infrastructure-security" in entry["properties"]["tags"]
    override = dataclasses.replace(base, code="SEC004", security_severity="9.0")
    assert sarif.rule_descriptor(override)["properties"]["security-severity"] == "9.0"
    note = sarif.rule_descriptor(dataclasses.replace(base, severity="note", confidence="low"))
    assert note["properties"]["problem.severity"] == "recommendation"
    assert note["properties"]["precision"] == "low"


def test_every_catalogue_rule_is_a_valid_descriptor():
    from readylint.registry import all_rules

    for meta in all_rules():
        entry = sarif.rule_descriptor(meta)
        assert len(entry["properties"]["tags"]) <= 10
        assert 0 < len(entry["fullDescription"]["text"]) <= 1024
        severity = entry["properties"].get("security-severity")
        assert (severity is not None) == meta.is_security
        if severity is not None:
            assert isinstance(severity, str) and float(severity) > 0


def test_region_columns_are_code_points_after_an_emoji(tmp_path):
    line = 'spec: {note: "\U0001F680\U0001F680", replicas: 1, selector: {matchLabels: {app: api}}}'
    (tmp_path / "d.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
                                     f"  namespace: shop\n{line}\n", encoding="utf-8")
    result = sarif_doc(lint(tmp_path, select=["HA001"]))["runs"][0]["results"][0]
    region = result["locations"][0]["physicalLocation"]["region"]
    start = line.index("replicas") + 1  # Python indices are code points: the emoji count once each
    assert region == {"startLine": 6, "startColumn": start, "endLine": 6, "endColumn": start + len("replicas")}
    assert start == 20


def test_end_column_falls_back_to_the_line_content(tmp_path):
    report = lint(write_tree(tmp_path), select=["HA001"])
    finding = report.active[0]
    bare = dataclasses.replace(finding, location=dataclasses.replace(finding.location, end_col=None))
    report.findings = [bare]
    region = sarif_doc(report)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region["endColumn"] == len("  replicas: 1") + 1
    gone = dataclasses.replace(bare, location=dataclasses.replace(bare.location, path="<stdin>"))
    report.findings = [gone]
    result = sarif_doc(report)["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["region"]["endColumn"] == bare.location.col + 1
    assert "primaryLocationLineHash" not in result["partialFingerprints"]  # no file, no hash


def test_suppressed_findings_only_with_the_flag(tmp_path):
    report = lint(write_tree(tmp_path), select=["HA001"])
    default = sarif_doc(report)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in default] == [
        "deploy/api.yaml"]
    included = sarif_doc(report, include_suppressed=True)["runs"][0]["results"]
    waived = [r for r in included if "suppressions" in r]
    assert len(included) == 2 and len(waived) == 1
    assert waived[0]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "leader-elected singleton"}]


def test_output_is_identical_from_another_directory(tmp_path):
    first = write_tree(tmp_path / "one" / "repo")
    second = tmp_path / "elsewhere" / "deeper" / "copy"
    shutil.copytree(first, second)
    render_a = sarif.render(lint(first, select=["HA001"]), include_suppressed=True)
    render_b = sarif.render(lint(second, select=["HA001"]), include_suppressed=True)
    assert render_a == render_b
    assert str(tmp_path) not in render_a


def test_result_cap_keeps_the_highest_ranked_and_says_so(tmp_path, monkeypatch):
    for i in range(5):
        (tmp_path / f"d{i}.yaml").write_text(DEPLOY.format(name=f"app{i}", replicas=1, annotations=""))
    report = lint(tmp_path, select=["HA001"])
    levels = ["note", "error", "warning", "note", "error"]
    report.findings = [dataclasses.replace(f, level=lv) for f, lv in zip(report.findings, levels)]
    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    run = sarif_doc(report)["runs"][0]
    kept = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["level"]) for r in run["results"]]
    assert kept == [("d1.yaml", "error"), ("d2.yaml", "warning"), ("d4.yaml", "error")]
    texts = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert any(t.startswith("2 results omitted") for t in texts)


def test_evidence_unavailable_is_a_notification_not_a_result(tmp_path):
    report = lint(write_tree(tmp_path), select=["HA001"])
    subject = Subject(key="repo:", display="the repository")
    report.outcomes["HA001"] = list(report.outcomes["HA001"]) + [
        subject.not_applicable(EVIDENCE_UNAVAILABLE, "no settings snapshot")]
    run = sarif_doc(report)["runs"][0]
    notes = [n for n in run["invocations"][0]["toolExecutionNotifications"] if "associatedRule" in n]
    assert len(notes) == 1
    assert notes[0]["associatedRule"]["id"] == "HA001"
    assert notes[0]["level"] == "note"
    assert "no settings snapshot" in notes[0]["message"]["text"]
    assert all(r["kind"] == "fail" for r in run["results"])


def test_non_failing_outcomes_are_level_none(tmp_path):
    report = lint(write_tree(tmp_path), select=["HA001"])
    results = sarif_doc(report, include_non_failing=True)["runs"][0]["results"]
    passes = [r for r in results if r["kind"] == "pass"]
    assert passes and all(r["level"] == "none" for r in passes)


def test_skipped_templates_are_one_notification(tmp_path):
    templates = tmp_path / "chart" / "templates"
    templates.mkdir(parents=True)
    for i in range(25):
        (templates / f"t{i:02}.yaml").write_text("kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n")
    report = lint(tmp_path, select=["HA001"])
    texts = [n["message"]["text"] for n in sarif_doc(report)["runs"][0]["invocations"][0]
             ["toolExecutionNotifications"]]
    skipped = [t for t in texts if "template" in t]
    assert len(skipped) == 1
    assert skipped[0].startswith("25 unrendered template files skipped")
    assert "`readylint check chart`" in skipped[0]  # the folder to point at, to render them
    assert skipped[0].endswith("and 5 more.")


@needs_shared(CORPUS)
def test_cli_on_the_shared_corpus_validates(tmp_path):
    out = tmp_path / "corpus.sarif"
    done = subprocess.run([sys.executable, "-m", "readylint", "check", str(CORPUS), "--format", "sarif",
                           "--output", str(out)], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 1, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    validate(document)
    assert len(document["runs"]) == 1
    results = document["runs"][0]["results"]
    assert results
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert (CORPUS / unquote(uri)).is_file(), uri


def test_related_locations_are_capped_at_100_and_numbered(tmp_path):
    from readylint.findings import Related

    report = lint(write_tree(tmp_path), select=["HA001"])
    finding = report.active[0]
    many = tuple(Related(finding.location, f"evidence {i}") for i in range(150))
    report.findings = [dataclasses.replace(finding, related=many)]
    run = sarif_doc(report)["runs"][0]
    related = run["results"][0]["relatedLocations"]
    assert len(related) == 100
    assert [r["id"] for r in related] == list(range(1, 101))
    assert related[0]["message"] == {"text": "evidence 0"}
    texts = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert any(t.startswith("50 related locations omitted") for t in texts)


def test_uris_are_percent_encoded_relative_references():
    assert sarif.artifact_uri("deploy/api.yaml") == "deploy/api.yaml"
    assert sarif.artifact_uri("my charts/a#1.yaml") == "my%20charts/a%231.yaml"
    assert sarif.artifact_uri("<stdin>") == "%3Cstdin%3E"
    assert sarif.artifact_uri("dé.yaml") == "d%C3%A9.yaml"


def test_the_skipped_template_hint_names_the_chart_as_the_user_would_type_it():
    from readylint.report import Note, template_hint

    notes = [Note("skipped", "deploy/charts/web/templates/cm.yaml", kind="template")]
    assert "`readylint check charts/web`" in template_hint(notes, "/repo", "/repo/deploy")
    assert "`readylint check deploy/charts/web`" in template_hint(notes, "/repo", "/repo")
    # pointed at but not rendered (no helm, --no-render): the render note says why; no advice to do it again
    assert template_hint(notes, "/repo", "/repo", {"deploy/charts/web"}) == (
        "their chart was not rendered: see the note that says why")
