"""A kustomization the user points at (a folder path or `inputs.kustomizations`) is rendered like a chart:
the overlay decides the findings, and they land on the base resource lines."""
from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner

from readylint.cli import main
from tests.conftest import FIXTURES
from tests.helm_support import kustomize_dir, lint_paths
from tests.helpers import lint

FIXTURE = FIXTURES / "kustomize-inputs"
OVERLAY = "deploy/overlays/prod"
BASE = "deploy/base/deployment.yaml"
LABEL = "kustomization deploy/overlays/prod"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """The fixture repository (base with 1 replica, prod overlay patching 3), with kubectl or kustomize on PATH."""
    monkeypatch.setenv("PATH", kustomize_dir() + os.pathsep + os.environ["PATH"])
    root = tmp_path / "web"
    shutil.copytree(FIXTURE, root)
    return root


def _found(report) -> list[tuple]:
    return sorted((f.code, f.location.path, f.location.line) for f in report.active)


def test_an_overlay_given_as_a_path_is_rendered_and_reported_on_the_base(repo):
    report = lint_paths(repo, [OVERLAY], select=["HA001", "HA003"])
    # the overlay's replicas: 3 is what production runs; the PodDisruptionBudget is missing all the same
    assert _found(report) == [("HA003", BASE, 4)]
    (pdb,) = report.active
    assert pdb.message.startswith("Deployment shop/web has no PodDisruptionBudget")  # the overlay's namespace
    assert pdb.properties["renders"] == [LABEL]
    assert report.statuses["HA001"] == "pass"
    assert not [n for n in report.notes if "not rendered" in n.message]


def test_the_base_alone_still_reports_its_one_replica(repo):
    report = lint_paths(repo, ["deploy/base"], select=["HA001"])
    assert _found(report) == [("HA001", BASE, 6)]


def test_a_configured_kustomization_renders_on_every_run_and_its_base_is_context(repo):
    (repo / ".readylint.yaml").write_text(f"inputs:\n  kustomizations:\n    - {{path: {OVERLAY}, name: prod}}\n")
    report = lint(repo, select=["HA001", "HA003"])
    # linted from the root, the base is judged through the render only: no "1 replica" on the base as committed
    assert _found(report) == [("HA003", BASE, 4)]
    assert report.active[0].properties["renders"] == [LABEL]


def test_a_configured_folder_without_a_kustomization_exits_2_naming_the_config_file(repo, monkeypatch):
    (repo / ".readylint.yaml").write_text("inputs:\n  kustomizations:\n    - path: deploy/overlays/staging\n")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 2, result.output
    assert ".readylint.yaml:3: inputs.kustomizations: deploy/overlays/staging holds no kustomization.yaml" in \
        result.output
    assert "Traceback" not in result.output


def test_an_unknown_key_in_a_kustomizations_entry_is_a_configuration_error(repo, monkeypatch):
    (repo / ".readylint.yaml").write_text(f"inputs:\n  kustomizations:\n    - {{path: {OVERLAY}, values: [x]}}\n")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 2, result.output
    assert "unknown key 'values'" in result.output


def test_no_render_leaves_a_note_and_no_verdict(repo):
    report = lint_paths(repo, [OVERLAY], select=["HA001"], no_render=True)
    assert [n.message for n in report.notes if "skipped" in n.message] == [
        f"1 render skipped (--no-render): {LABEL}."]
    assert report.statuses["HA001"] == "unknown"
    assert not report.active


REMOTE = "https://example.invalid/org/repo//deploy?ref=v1"


# In the overlay, or in a base it reaches (kustomize would fetch it while building the overlay): the whole tree is
# read first, and nothing runs.
@pytest.mark.parametrize("kustomization", [f"{OVERLAY}/kustomization.yaml", "deploy/base/kustomization.yaml"])
def test_a_remote_resource_is_not_fetched_and_says_so(repo, kustomization):
    path = repo / kustomization
    path.write_text(path.read_text().replace("resources:\n", f"resources:\n  - {REMOTE}\n"))
    report = lint_paths(repo, [OVERLAY], select=["HA001"])
    assert [n.message for n in report.notes if n.path == f"{OVERLAY}/kustomization.yaml"] == [
        f"{LABEL} not rendered: {kustomization} refers to remote resources ({REMOTE}); readylint does not fetch them."]
    assert report.statuses["HA001"] == "unknown"


def test_the_configured_namespace_holds_objects_that_name_none(repo):
    kustomization = repo / OVERLAY / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("namespace: shop\n", ""))
    (repo / ".readylint.yaml").write_text(
        f"inputs:\n  kustomizations:\n    - {{path: {OVERLAY}, name: prod, namespace: web-prod}}\n")
    report = lint(repo, select=["HA003"])
    assert [f.message.split(" has ")[0] for f in report.active] == ["Deployment web-prod/web"]


def test_a_failed_render_reads_the_same_on_every_run(repo):
    """kubectl's log header (time, process id) and absolute paths are left out, so reports stay byte-identical."""
    (repo / "deploy" / "base" / "deployment.yaml").unlink()
    notes = [[n.message for n in lint_paths(repo, [OVERLAY], select=["HA001"]).notes if "not rendered" in n.message]
             for _ in range(2)]
    assert notes[0] == notes[1] and len(notes[0]) == 1
    assert str(repo) not in notes[0][0] and "deploy/base" in notes[0][0]
