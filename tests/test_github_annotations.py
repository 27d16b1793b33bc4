"""Workflow-command annotations: format, escaping, caps and scope (integrations.md G1–G4)."""
from __future__ import annotations

import dataclasses
import re

from readylint.findings import Related
from readylint.report import Report
from readylint.reporters import github

from .helpers import lint

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop{annotations}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
"""
WAIVED = '\n  annotations:\n    ignore.readylint.dev/HA001: "singleton"'
CLOSING = re.compile(r"^::notice title=readylint::(\d+) more findings were not annotated; "
                     r"see the job summary or the SARIF results$")


def hundred_findings(root):
    for i in range(100):
        (root / f"d{i:03}.yaml").write_text(DEPLOY.format(name=f"app{i:03}", annotations=""), encoding="utf-8")
    report = lint(root, select=["HA001"])
    assert len(report.shown) == 100
    return report


def commands(output: str) -> list[str]:
    return [line.split(" ", 1)[0] for line in output.splitlines()]


def test_one_annotation_line_per_finding(tmp_path):
    (tmp_path / "d.yaml").write_text(DEPLOY.format(name="api", annotations=""), encoding="utf-8")
    output = github.render(lint(tmp_path, select=["HA001"]))
    assert output == ("::error file=d.yaml,line=7,endLine=7,col=3,endColumn=11,title=HA001 min-replicas::"
                      "Deployment shop/api runs 1 replica; at least 3 are needed to survive the loss of a pod.\n")


def test_escaping_of_messages_and_properties(tmp_path):
    assert github.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert github.escape_data("%0A") == "%250A"  # % first: an escape in the input stays literal
    (tmp_path / "d.yaml").write_text(DEPLOY.format(name="api", annotations=""), encoding="utf-8")
    report = lint(tmp_path, select=["HA001"])
    finding = report.findings[0]
    odd = dataclasses.replace(finding, slug="x:y,z", message="50% of pods: a,b\nsecond line\r",
                              location=dataclasses.replace(finding.location, path="dir,1/a:b.yaml"))
    report.findings = [odd]
    line = github.render(report)
    assert line == ("::error file=dir%2C1/a%3Ab.yaml,line=7,endLine=7,col=3,endColumn=11,"
                    "title=HA001 x%3Ay%2Cz::50%25 of pods: a,b%0Asecond line%0D\n")


def test_hundred_errors_give_ten_annotations_and_the_closing_notice(tmp_path):
    output = github.render(hundred_findings(tmp_path)).splitlines()
    assert commands("\n".join(output)) == ["::error"] * 10 + ["::notice"]
    assert CLOSING.match(output[-1]).group(1) == "90"
    assert [line.split("file=")[1].split(",")[0] for line in output[:10]] == [f"d{i:03}.yaml" for i in range(10)]


def test_mixed_levels_are_capped_per_level_and_ordered(tmp_path):
    report = hundred_findings(tmp_path)
    levels = ["note"] * 40 + ["warning"] * 30 + ["error"] * 30
    report.findings = [dataclasses.replace(f, level=lv) for f, lv in zip(report.findings, levels)]
    output = github.render(report).splitlines()
    assert commands("\n".join(output)) == ["::error"] * 10 + ["::warning"] * 10 + ["::notice"] * 9 + ["::notice"]
    assert CLOSING.match(output[-1]).group(1) == str(100 - 29)
    assert len(output) == 30


def test_changed_files_come_first_within_a_level(tmp_path, monkeypatch):
    report = hundred_findings(tmp_path)
    report.changed_files = {f"d{i:03}.yaml" for i in range(0, 100, 4)}  # 25 changed files
    api = report.findings[1]  # d001.yaml is unchanged but cites a changed file
    cited = dataclasses.replace(api, related=(github_related(report.findings[4]),))
    report.findings = [cited if f is api else f for f in report.findings]
    shown = [f for f in report.active if f.location.path in report.changed_files] + [cited]
    # as if Report.shown also kept findings whose related files changed (integrations.md C2)
    monkeypatch.setattr(Report, "shown", property(lambda self: shown))
    output = github.render(report).splitlines()
    files = [line.split("file=")[1].split(",")[0] for line in output[:-1]]
    assert files == [f"d{i:03}.yaml" for i in range(0, 40, 4)]  # primary in a changed file first
    assert CLOSING.match(output[-1]).group(1) == "16"


def github_related(finding):
    return Related(finding.location, "the changed file")


def test_suppressed_and_unchanged_findings_are_not_annotated(tmp_path):
    (tmp_path / "a.yaml").write_text(DEPLOY.format(name="api", annotations=WAIVED), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(DEPLOY.format(name="web", annotations=""), encoding="utf-8")
    (tmp_path / "c.yaml").write_text(DEPLOY.format(name="job", annotations=""), encoding="utf-8")
    report = lint(tmp_path, select=["HA001"])
    output = github.render(report)
    assert "a.yaml" not in output and "b.yaml" in output and "c.yaml" in output
    report.changed_files = {"b.yaml"}
    output = github.render(report)
    assert "b.yaml" in output and "c.yaml" not in output
    assert output.count("\n") == 1


def test_no_findings_no_output(tmp_path):
    (tmp_path / "a.yaml").write_text(DEPLOY.format(name="api", annotations=WAIVED), encoding="utf-8")
    assert github.render(lint(tmp_path, select=["HA001"])) == ""
