"""The demo service in examples/ does what its README promises a newcomer.

Only properties a newcomer would check are asserted (the run fails, findings exist and point at real
files, nothing fails to parse), never the full list of findings: rules are still being added.
"""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from readylint.cli import main
from tests.conftest import REPO
from tests.helpers import lint

DEMO = REPO / "examples" / "demo-service"


@pytest.fixture(scope="module")
def report():
    return lint(DEMO)


def test_demo_fails_with_findings(report):
    assert report.exit_code == 1
    assert report.active, "the demo should show findings at once"
    assert any(f.level == "error" for f in report.active)


def test_every_finding_points_at_a_demo_file(report):
    for finding in report.findings:
        path = finding.location.path
        assert (DEMO / path).is_file(), f"{finding.code} points at {path}, which is not a file of the demo"
        assert finding.location.line >= 1
        text = (DEMO / path).read_text(encoding="utf-8")
        assert finding.location.line <= len(text.splitlines()), f"{finding.code} {path}:{finding.location.line}"


def test_demo_parses_cleanly(report):
    assert not [f for f in report.findings if f.code == "RL001"]
    assert not report.errors
    # Every object of the render is read; the unrendered chart templates are skipped with a note.
    assert report.objects >= 10
    assert any("template" in note.message for note in report.notes)


def test_demo_suppressions_are_valid_and_used(report):
    assert not [f for f in report.active if f.code == "RL003"], "every demo suppression has a valid reason"
    kinds = {f.suppressed_by.kind for f in report.findings if f.suppressed_by is not None}
    assert "config" in kinds, "the .readylint.yaml ignore should waive a finding"
    assert "inline" in kinds, "the inline `# readylint: ignore[HA002]` comment should waive a finding"


def test_readme_command_from_the_project_root(monkeypatch):
    """`readylint check examples/demo-service --config …` from the checkout, as the README says."""
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["check", "examples/demo-service", "--config",
                                       "examples/demo-service/.readylint.yaml", "--format", "text"])
    assert result.exit_code == 1, result.output
    # findings on the committed render land on the chart templates that produced them
    assert "examples/demo-service/charts/demo-service/templates/deployment.yaml:" in result.output


def test_demo_yaml_files_are_valid_yaml():
    """Everything but the Helm templates (which hold `{{ … }}`) is plain YAML."""
    from readylint.inputs.yaml_docs import load_stream

    files = [p for p in DEMO.rglob("*.y*ml") if "templates" not in p.parts]
    assert files
    for path in files:
        stream = load_stream(path.read_text(encoding="utf-8"))
        assert not stream.issues, f"{path}: {stream.issues[0]}"
