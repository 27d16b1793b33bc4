"""The readiness report (integrations.md R3, J1-J3): the checklist as a person reads it, in Markdown and HTML."""
from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner

from readylint.cli import main
from readylint.findings import EVIDENCE_UNAVAILABLE, Location, Subject
from readylint.registry import checklist
from readylint.report import rule_status
from readylint.reporters import html, markdown
from tests.conftest import CORPUS, REPO, needs_shared
from tests.helpers import lint

MSD = CORPUS / "microservices-demo"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: shop{annotations}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0.0
"""
WAIVER = '\n  annotations:\n    ignore.readylint.dev/HA003: "singleton by design (ADR-7)"'


def deployment(name, kind="Deployment", annotations=""):
    return DEPLOYMENT.format(name=name, kind=kind, annotations=annotations)


def item_row(text, code):
    """The table row of one checklist item."""
    (row,) = [line for line in text.splitlines() if line.startswith("| ") and f"{code}" in line.split("|")[1]]
    return row


@needs_shared(MSD)
def test_microservices_demo_report_reads_as_the_checklist():
    report = lint(MSD)
    text = markdown.render(report)
    assert text.startswith("## readylint readiness report\n")
    titles = list(dict.fromkeys(item["section_title"] for item in checklist()))
    assert len(titles) == 11
    for title in titles:
        assert re.search(rf"^### {re.escape(markdown.md(title))}: ", text, re.M), title
    for item in checklist():  # all 67 items, implemented or not
        assert item_row(text, item["code"])
    assert "❌ fail" in item_row(text, "HA001") and "✅ pass" in item_row(text, "SEC007")
    assert "### Fix these first" in text and "1. ❌ **" in text
    assert "and 2 more" in text  # twelve HA001 findings, ten listed
    assert "unrendered Helm template" in text  # the chart in helm-chart/ is not rendered
    assert len(text.encode("utf-8")) < markdown.MAX_BYTES
    assert str(MSD) not in text and "/work/" not in text and not re.search(r"\d{4}-\d\d-\d\dT\d\d:", text)
    assert text.count("<details>") == text.count("</details>")


@needs_shared(MSD)
def test_same_report_from_another_directory(tmp_path):
    """C4: no absolute path, no timestamp, so a copy of the repository gives byte-identical reports."""
    copy = tmp_path / "elsewhere"
    shutil.copytree(MSD, copy)
    assert markdown.render(lint(copy)) == markdown.render(lint(MSD))
    assert html.render(lint(copy)) == html.render(lint(MSD))


def test_states_pass_fail_waived_not_applicable_unknown_and_not_checked(tmp_path):
    (tmp_path / "README.md").write_text("# shop\n", encoding="utf-8")
    (tmp_path / "api.yaml").write_text(deployment("api", annotations=WAIVER), encoding="utf-8")
    (tmp_path / "agent.yaml").write_text(deployment("agent", kind="DaemonSet"), encoding="utf-8")
    report = lint(tmp_path, select=["HA001", "HA002", "HA003", "HA004"])
    # HA004 as if its evidence were out of reach (an operator CR): unknown, never shown as a pass
    subject = Subject("k8s:apps/Deployment/shop/api", "Deployment shop/api")
    report.outcomes["HA004"] = [subject.not_applicable(EVIDENCE_UNAVAILABLE, "KEDA ScaledObject not rendered")]
    report.findings = [f for f in report.findings if f.code != "HA004"]
    report.statuses["HA004"] = rule_status(report.outcomes["HA004"], [])
    text = markdown.render(report)
    assert "❌ fail" in item_row(text, "HA001")
    assert "💤 waived" in item_row(text, "HA003") and "singleton by design" in item_row(text, "HA003")
    row = item_row(text, "HA004")
    assert "❔ unknown" in row and "KEDA ScaledObject not rendered" in row and "✅" not in row
    assert "⬜ not checked" in item_row(text, "SEC001") and "not selected" in item_row(text, "SEC001")
    assert "Unknown means the evidence was not available" in text


def test_not_applicable_item(tmp_path):
    (tmp_path / "agent.yaml").write_text(deployment("agent", kind="DaemonSet"), encoding="utf-8")
    text = markdown.render(lint(tmp_path, select=["HA001"]))
    assert "➖ not applicable" in item_row(text, "HA001") and "one pod per node" in item_row(text, "HA001")


def test_findings_per_item_are_capped_and_the_size_stays_under_the_cap(tmp_path):
    (tmp_path / "d.yaml").write_text(deployment("api"), encoding="utf-8")
    report = lint(tmp_path, select=["HA001"])
    (one,) = report.findings
    report.findings = [dataclasses.replace(one, location=Location(f"m/{i:05}.yaml", 7, 3), message=one.message * 3)
                       for i in range(20_000)]  # J2: 20,000 findings
    text = markdown.render(report)
    assert len(text.encode("utf-8")) < markdown.MAX_BYTES
    assert "20000 errors" in item_row(text, "HA001") and "… and 19990 more" in text
    cut = markdown.render(report, max_bytes=6000)
    assert len(cut.encode("utf-8")) <= 6000
    assert cut.rstrip().splitlines()[-1].startswith("**Report truncated:**")
    assert cut.count("<details>") == cut.count("</details>")


def test_hostile_text_stays_text(tmp_path):
    """Finding messages come from the scanned repository: no markup, no table breakage, no script."""
    (tmp_path / "d.yaml").write_text(deployment("api"), encoding="utf-8")
    report = lint(tmp_path, select=["HA001"])
    evil = "<script>alert(1)</script> | *x* [link](http://evil.example)"
    report.findings = [dataclasses.replace(report.findings[0], message=evil)]
    text = markdown.render(report)
    assert "<script>" not in text and "\\<script\\>" in text and "\\| \\*x\\*" in text
    page = html.render(report)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@needs_shared(MSD)
def test_html_is_one_self_contained_page():
    page = html.render(lint(MSD))
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"\bsrc\s*=", page) and "<link" not in page and "@import" not in page and "url(" not in page
    external = re.findall(r"<(\w+)[^>]*\bhref=\"https?:", page)
    assert set(external) == {"a"}  # only links to rule pages, never an asset
    assert page.count("<details>") == page.count("</details>")


def test_markdown_file_appends_and_report_command(tmp_path, monkeypatch):
    (tmp_path / "d.yaml").write_text(deployment("api"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["check", "--select", "HA001", "--markdown-file", str(summary)])
        assert result.exit_code == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n") and text.count("## readylint readiness report") == 2
    result = runner.invoke(main, ["report", "--format", "html", "--output", "r.html"])
    assert result.exit_code == 0, result.output  # report describes; check gates
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    result = runner.invoke(main, ["check", "--select", "HA001", "--format", "markdown"])
    assert result.stdout.startswith("## readylint readiness report")


def test_templates_and_rule_catalogue_ship_in_the_wheel(tmp_path):
    """`pip install .` must carry the package data (jinja2 templates, the generated rule catalogue that runs
    read instead of importing every rule), not only the editable checkout."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("linter", "rules", "schemas"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
                          str(source)], capture_output=True, text=True, timeout=300)
    if out.returncode != 0 and "Could not" in out.stderr and "setuptools" in out.stderr:
        pytest.skip("no index to fetch the build backend from: " + out.stderr.strip().splitlines()[-1])
    assert out.returncode == 0, out.stderr
    (wheel,) = (tmp_path / "dist").glob("readylint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"readylint/reporters/templates/{p.name}" for p in (REPO / "linter/reporters/templates").iterdir()}
    assert shipped and shipped <= names
    assert {"readylint/data/catalogue.json", "readylint/data/catalogue-docs.json"} <= names


def test_fix_first_orders_by_level_then_count(tmp_path):
    files = {"a.yaml": deployment("a"), "b.yaml": deployment("b"), "c.yaml": deployment("c")}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = lint(tmp_path, select=["HA001", "HA002", "SEC003"])
    readiness = markdown.readiness(report)
    order = [(item.code, item.worst) for item in readiness.fix_first]
    assert [worst for _, worst in order] == sorted((worst for _, worst in order), reverse=True)
    assert {"HA001", "SEC003"} <= {code for code, _ in order[:2]} or order[0][1] == 2
