"""The four suppression forms, the baseline, and the RL002/RL003 findings they produce (rules.md 0.6)."""
from __future__ import annotations

import datetime as dt
import json
import textwrap

from readylint.api import RunOptions, run
from readylint.suppressions import write_baseline

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
{annotations}spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
{template_annotations}    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0.0
"""


def deployment(name="api", annotations="", template_annotations=""):
    return DEPLOYMENT.format(name=name, annotations=annotations, template_annotations=template_annotations)


def lint(tmp_path, files, config=None, **extra):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    if config is not None:
        (tmp_path / ".readylint.yaml").write_text(textwrap.dedent(config), encoding="utf-8")
    return run(RunOptions(paths=["."], cwd=str(tmp_path), root=str(tmp_path), select=["HA001"],
                          today=dt.date(2026, 11, 29), **extra))


def codes(report, active=True):
    pool = report.active if active else report.findings
    return sorted((f.code, f.location.path, f.location.line) for f in pool)


def test_object_annotation_waives_with_its_reason(tmp_path):
    report = lint(tmp_path, {"d.yaml": deployment(
        annotations='  annotations:\n    ignore.readylint.dev/HA001: "leader-elected singleton"\n')})
    assert codes(report) == []
    [waived] = report.findings
    assert (waived.suppressed_by.kind, waived.suppressed_by.reason) == ("annotation", "leader-elected singleton")
    assert report.statuses["HA001"] == "waived"


def test_pod_template_annotation_and_slug_work_too(tmp_path):
    report = lint(tmp_path, {"d.yaml": deployment(
        template_annotations='      annotations:\n        ignore.readylint.dev/min-replicas: "batch consumer"\n')})
    assert codes(report) == []


def test_annotation_without_reason_is_not_honoured_and_is_rl003(tmp_path):
    report = lint(tmp_path, {"d.yaml": deployment(annotations='  annotations:\n    ignore.readylint.dev/HA001: ""\n')})
    assert codes(report) == [("HA001", "d.yaml", 9), ("RL003", "d.yaml", 7)]


def test_annotation_with_unknown_code_is_rl003(tmp_path):
    report = lint(tmp_path, {"d.yaml": deployment(annotations='  annotations:\n    ignore.readylint.dev/HA999: "x"\n')})
    assert ("RL003", "d.yaml", 7) in codes(report)


def test_unused_annotation_is_rl002(tmp_path):
    text = deployment(annotations='  annotations:\n    ignore.readylint.dev/HA001: "was a singleton"\n')
    report = lint(tmp_path, {"d.yaml": text.replace("replicas: 1", "replicas: 3")})
    assert codes(report) == [("RL002", "d.yaml", 7)]


def test_inline_comment_on_the_line_or_the_line_before(tmp_path):
    same_line = deployment().replace("replicas: 1", "replicas: 1  # readylint: ignore[HA001] canary stage")
    before = deployment(name="web").replace("  replicas: 1", "  # readylint: ignore[HA001] canary\n  replicas: 1")
    report = lint(tmp_path, {"a.yaml": same_line, "b.yaml": before})
    assert codes(report) == []
    assert {f.suppressed_by.kind for f in report.findings} == {"inline"}


def test_inline_comment_without_reason_or_malformed(tmp_path):
    no_reason = deployment().replace("replicas: 1", "replicas: 1  # readylint: ignore[HA001]")
    malformed = deployment(name="web").replace("replicas: 1", "replicas: 1  # readylint: skip HA001")
    report = lint(tmp_path, {"a.yaml": no_reason, "b.yaml": malformed})
    assert codes(report) == [("HA001", "a.yaml", 7), ("HA001", "b.yaml", 7), ("RL003", "a.yaml", 7),
                             ("RL003", "b.yaml", 7)]


def test_config_ignore_by_object_and_path_with_expiry(tmp_path):
    config = """\
    ignores:
      - rules: [HA001]
        objects: [{kind: Deployment, namespace: shop, name: api}]
        reason: scaled by the platform team
      - rules: [min-replicas]
        paths: ["legacy/*"]
        reason: legacy stack, retired in Q1
        expires: "2026-01-31"
    """
    (tmp_path / "legacy").mkdir()
    report = lint(tmp_path, {"d.yaml": deployment(), "legacy/old.yaml": deployment(name="old")}, config)
    assert codes(report) == [("HA001", "legacy/old.yaml", 7), ("RL003", ".readylint.yaml", 5)]
    waived = [f for f in report.findings if f.suppressed_by]
    assert [(f.location.path, f.suppressed_by.kind) for f in waived] == [("d.yaml", "config")]


def test_config_ignore_that_matches_nothing_is_rl002(tmp_path):
    config = """\
    ignores:
      - rules: [HA001]
        objects: [{name: nothing-here}]
        reason: old service
    """
    report = lint(tmp_path, {"d.yaml": deployment()}, config)
    assert codes(report) == [("HA001", "d.yaml", 7), ("RL002", ".readylint.yaml", 2)]


def test_baseline_round_trip_and_unused_entries(tmp_path):
    report = lint(tmp_path, {"d.yaml": deployment(), "e.yaml": deployment(name="web")})
    assert len(report.active) == 2
    write_baseline(str(tmp_path / "baseline.json"), report.findings, "accepted at adoption")
    entries = json.loads((tmp_path / "baseline.json").read_text())["findings"]
    assert {e["reason"] for e in entries} == {"accepted at adoption"}
    # move the object within its file: the fingerprint survives
    (tmp_path / "d.yaml").write_text("# a comment that shifts lines\n\n" + deployment(), encoding="utf-8")
    (tmp_path / "e.yaml").write_text(deployment(name="web").replace("replicas: 1", "replicas: 3"))
    again = run(RunOptions(paths=["."], cwd=str(tmp_path), root=str(tmp_path), select=["HA001"],
                           baseline="baseline.json"))
    assert codes(again) == [("RL002", "baseline.json", 12)]  # the entry of web
    assert [f.suppressed_by.kind for f in again.findings if f.suppressed_by] == ["baseline"]
