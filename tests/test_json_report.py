"""The JSON report against schemas/report.schema.json, with suppressions and unknown status (R2)."""
from __future__ import annotations

import json
import pathlib
import shutil

import jsonschema

from readylint.findings import EVIDENCE_UNAVAILABLE, Subject
from readylint.reporters import json_report

from .helpers import lint

SCHEMA = json.loads((pathlib.Path(__file__).resolve().parent.parent / "schemas" / "report.schema.json")
                    .read_text(encoding="utf-8"))
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
"""
WAIVED = '\n  annotations:\n    ignore.readylint.dev/HA001: "leader-elected singleton"'


def write_tree(root: pathlib.Path) -> pathlib.Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "a.yaml").write_text(DEPLOY.format(name="api", replicas=1, annotations="") + "---\n"
                                 + DEPLOY.format(name="web", replicas=3, annotations=""), encoding="utf-8")
    (root / "b.yaml").write_text(DEPLOY.format(name="worker", replicas=2, annotations=WAIVED), encoding="utf-8")
    return root


def validate(document) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_report_validates_and_carries_every_field(tmp_path):
    report = lint(write_tree(tmp_path), select=["HA001"])
    text = json_report.render(report)
    assert text.endswith("}\n")
    document = json.loads(text)
    validate(document)
    validate(json.loads(json_report.render(report, include_non_failing=True)))
    assert document["schema_version"] == 1
    assert document["tool"] == {"name": "readylint", "version": report.version}
    assert [r["code"] for r in document["rules"]] == [m.code for m in report.rules]
    assert {r["code"]: r["status"] for r in document["rules"]}["HA001"] == "fail"
    first, waived = document["findings"]
    assert first == {
        "code": "HA001", "slug": "min-replicas", "level": "error",
        "message": "Deployment shop/api runs 1 replica; at least 3 are needed to survive the loss of a pod.",
        "location": {"path": "a.yaml", "line": 7, "column": 3, "end_column": 11},
        "related": [], "subject": "k8s:apps/Deployment/shop/api", "environment": "", "key_path": "spec.replicas",
        "fingerprint": report.findings[0].fingerprint, "suppressed_by": None}
    assert waived["suppressed_by"] == {"kind": "annotation", "reason": "leader-elected singleton"}
    assert document["summary"]["findings"] == {"error": 1, "warning": 0, "note": 0}
    assert document["summary"]["suppressed"] == 1
    assert document["summary"]["exit_code"] == 1


def test_evidence_unavailable_is_unknown_never_pass(tmp_path):
    (tmp_path / "a.yaml").write_text(DEPLOY.format(name="web", replicas=3, annotations=""), encoding="utf-8")
    report = lint(tmp_path, select=["HA001"])
    missing = Subject(key="repo:", display="the repository").not_applicable(EVIDENCE_UNAVAILABLE, "operator CR")
    report.outcomes["HA001"] = list(report.outcomes["HA001"]) + [missing]
    report.statuses["HA001"] = "unknown"  # what rule_status gives for these outcomes
    document = json.loads(json_report.render(report, include_non_failing=True))
    validate(document)
    rule = next(r for r in document["rules"] if r["code"] == "HA001")
    assert rule["status"] == "unknown" and rule["unknown_reasons"] == ["operator CR"]
    assert document["summary"]["rule_statuses"]["unknown"] == 1
    assert document["summary"]["rule_statuses"]["pass"] == 0
    assert {o["status"] for o in document["outcomes"]} == {"pass", "unknown"}


def test_same_bytes_from_another_directory(tmp_path):
    first = write_tree(tmp_path / "repo")
    second = tmp_path / "other" / "place"
    shutil.copytree(first, second)
    text = json_report.render(lint(first, select=["HA001"]))
    assert text == json_report.render(lint(second, select=["HA001"]))
    assert str(tmp_path) not in text
