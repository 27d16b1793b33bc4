"""readylint renders the charts the user points at with the real helm binary, offline, with a time limit."""
from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner

from readylint.cli import main
from readylint.config import ConfigError
from readylint.findings import EVIDENCE_UNAVAILABLE, Location
from readylint.helm.render import RenderJob, find_tools, render
from readylint.helm.sources import ChartIndex
from tests.helm_support import GATEWAY, RECORDED, SHOP, copy_shop, helm_binary, lint_paths
from tests.helpers import lint


@pytest.fixture
def shop(tmp_path):
    copy_shop(tmp_path)
    shutil.rmtree(tmp_path / "argocd")
    return tmp_path


@pytest.mark.parametrize("env", ["prod", "staging"])
def test_the_recorded_outputs_are_what_helm_renders_today(env):
    """The mapping tests run on recorded output; this keeps it honest."""
    tools = find_tools(helm_binary(), None)
    job = RenderJob(label=env, kind="helm", chart_dir="charts/shop", anchor=Location("README.md"),
                    release=f"shop-{env}", namespace=f"shop-{env}", value_files=[f"charts/shop/values-{env}.yaml"])
    text, problem = render(job, ChartIndex(str(SHOP), []), tools)
    assert problem is None
    assert text == (RECORDED / f"{env}.yaml").read_text()


def test_the_recorded_gateway_output_is_what_helm_renders_today_with_nested_local_dependencies():
    job = RenderJob(label="gw", kind="helm", chart_dir="charts/gateway", anchor=Location("README.md"),
                    release="gw", namespace="edge")
    text, problem = render(job, ChartIndex(str(GATEWAY), []), find_tools(helm_binary(), None))
    assert problem is None
    assert text == (RECORDED / "gateway.yaml").read_text()
    # the chart's file:// dependency edge, and edge's own file:// dependency sidecar, were both rendered
    assert "# Source: gateway/charts/edge/charts/sidecar/templates/deployment.yaml" in text


def test_a_nested_local_dependency_that_is_missing_is_reported_with_its_chart(tmp_path):
    shutil.copytree(GATEWAY, tmp_path, dirs_exist_ok=True)
    shutil.rmtree(tmp_path / "charts" / "sidecar")
    report = lint_paths(tmp_path, ["charts/gateway"], select=["HA001"], helm_bin=helm_binary())
    assert [n.message for n in report.notes if n.path == "charts/gateway/Chart.yaml"] == [
        "release gateway of charts/gateway not rendered: chart dependencies not vendored in charts/edge/charts/: "
        "sidecar (file://../sidecar); readylint does not fetch them (run `helm dependency build` and commit charts/)."]


def test_a_chart_folder_given_as_the_path_is_rendered_with_its_defaults(shop):
    report = lint_paths(shop, ["charts/shop"], select=["HA001", "SEC003"], helm_bin=helm_binary())
    found = sorted((f.code, f.location.path, f.location.line) for f in report.active)
    assert found == [("HA001", "charts/shop/charts/worker/templates/deployment.yaml", 9),
                     ("SEC003", "charts/shop/charts/worker/templates/deployment.yaml", 24)]
    ha001 = next(f for f in report.active if f.code == "HA001")
    assert ha001.message.endswith("Rendered for release shop of charts/shop.")
    # the worker's replicaCount came from the parent chart's values (worker.replicaCount: 2)
    assert [(r.location.path, r.location.line) for r in ha001.related] == [
        ("charts/shop/values.yaml", 17), ("charts/shop/Chart.yaml", 1)]
    assert not [n for n in report.notes if n.kind == "template"], "rendered templates are not 'skipped'"


def test_helm_chart_with_values_set_release_and_namespace(shop, monkeypatch):
    monkeypatch.chdir(shop)
    result = CliRunner().invoke(main, [
        "check", ".", "--select", "HA001", "--format", "text", "--helm-bin", helm_binary(),
        "--helm-chart", "charts/shop", "--values", "charts/shop/values-staging.yaml", "--set", "worker.replicaCount=4",
        "--release", "web", "--namespace", "store"])
    assert result.exit_code == 1, result.output
    assert "charts/shop/templates/deployment.yaml:8:3: error HA001 min-replicas Deployment store/web-shop runs 1 " \
           "replica" in result.output
    assert "web-worker" not in result.output  # --set raised the worker to 4 replicas


def test_dependencies_that_are_not_vendored_are_reported_not_fetched(shop):
    chart = shop / "charts" / "shop" / "Chart.yaml"
    chart.write_text(chart.read_text() + "  - name: redis\n    version: 19.0.0\n"
                                         "    repository: https://charts.bitnami.com/bitnami\n")
    report = lint_paths(shop, ["charts/shop"], select=["HA001"], helm_bin=helm_binary())
    assert [n.message for n in report.notes if n.path == "charts/shop/Chart.yaml"] == [
        "release shop of charts/shop not rendered: chart dependencies not vendored in charts/shop/charts/: redis "
        "(https://charts.bitnami.com/bitnami); readylint does not fetch them (run `helm dependency build` and "
        "commit charts/)."]
    assert report.statuses["HA001"] == "unknown"
    assert {o.reason for o in report.outcomes["HA001"]} == {EVIDENCE_UNAVAILABLE}


def test_without_helm_one_note_and_evidence_unavailable_never_a_crash(shop, monkeypatch):
    bare = shop / "bare-bin"
    bare.mkdir()
    os.symlink(shutil.which("git"), bare / "git")
    monkeypatch.setenv("PATH", str(bare))
    report = lint_paths(shop, ["charts/shop"], select=["HA001", "HA006"])
    assert [n.message for n in report.notes if n.kind != "template"] == [
        "release shop of charts/shop not rendered: helm was not found on PATH (install Helm or pass --helm-bin)."]
    assert (report.statuses["HA001"], report.statuses["HA006"]) == ("unknown", "unknown")
    assert report.exit_code == 0


def test_a_helm_bin_that_does_not_exist_is_a_usage_error(shop):
    with pytest.raises(ConfigError, match="no-such-helm: helm executable not found"):
        lint_paths(shop, ["charts/shop"], helm_bin=str(shop / "no-such-helm"))


def test_no_render_runs_nothing_and_says_so(shop):
    report = lint_paths(shop, ["charts/shop"], select=["HA001"], no_render=True)
    assert [n.message for n in report.notes if n.kind != "template"] == [
        "1 chart render skipped (--no-render): release shop of charts/shop."]
    assert report.statuses["HA001"] == "unknown"


def test_the_time_limit_stops_a_render(shop):
    (shop / ".readylint.yaml").write_text("helm:\n  timeout_seconds: 0.001\n")
    report = lint_paths(shop, ["charts/shop"], select=["HA001"], helm_bin=helm_binary())
    assert [n.message for n in report.notes if n.kind != "template"] == [
        "release shop of charts/shop not rendered: helm template did not finish within 0.001 seconds "
        "(helm.timeout_seconds)."]


def test_inputs_charts_in_the_configuration_render_each_environment(shop):
    (shop / ".readylint.yaml").write_text(
        "inputs:\n  charts:\n"
        "    - {path: charts/shop, name: prod, release: shop-prod, namespace: shop-prod,"
        " values: [charts/shop/values-prod.yaml]}\n"
        "    - {path: charts/shop, name: staging, release: shop-staging, namespace: shop-staging,"
        " values: [charts/shop/values-staging.yaml], set: {replicaCount: 3}}\n")
    report = lint(shop, select=["HA001"], helm_bin=helm_binary())
    found = sorted((f.location.path, f.location.line, f.message) for f in report.active)
    assert found == [
        ("charts/shop/charts/worker/templates/deployment.yaml", 9,
         "Deployment shop-staging/shop-staging-worker runs 1 replica; at least 3 are needed to survive the loss of "
         "a pod. Rendered for release shop-staging of charts/shop."),
        ("charts/shop/templates/deployment.yaml", 8,
         "Deployment shop-prod/shop-prod-shop runs 2 replicas; at least 3 are needed to survive the loss of a pod. "
         "Rendered for release shop-prod of charts/shop.")]


def test_chart_options_without_a_chart_are_a_usage_error(shop):
    with pytest.raises(ConfigError, match="need --helm-chart DIR or a chart folder"):
        lint(shop, values=["charts/shop/values-prod.yaml"])


def test_a_configured_chart_folder_without_chart_yaml_is_a_configuration_error(shop):
    (shop / ".readylint.yaml").write_text("inputs:\n  charts:\n    - {path: charts/missing}\n")
    with pytest.raises(ConfigError, match=r"\.readylint\.yaml: inputs\.charts: charts/missing holds no Chart\.yaml"):
        lint(shop)


def test_applications_with_the_same_render_inputs_share_one_helm_run(shop, tmp_path_factory):
    """Two Applications deploying the chart with the same release, namespace and values: helm runs once, and
    the finding still names both."""
    bin_dir = tmp_path_factory.mktemp("bin")
    log = bin_dir / "calls.log"
    wrapper = bin_dir / "helm"
    wrapper.write_text(f"#!/bin/sh\necho \"$1\" >> {log}\nexec {helm_binary()} \"$@\"\n")
    wrapper.chmod(0o755)
    (shop / "argocd").mkdir()
    for name in ("shop-eu", "shop-us"):
        (shop / "argocd" / f"{name}.yaml").write_text(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
            f"metadata: {{name: {name}, namespace: argocd}}\n"
            "spec:\n  source:\n    repoURL: https://git.example.com/example/shop.git\n    path: charts/shop\n"
            "    helm: {releaseName: shop, valueFiles: [values-prod.yaml]}\n"
            "  destination: {namespace: shop}\n")
    report = lint(shop, select=["HA001"], helm_bin=str(wrapper))
    assert log.read_text().split() == ["template"]
    finding = next(f for f in report.active if f.location.path == "charts/shop/templates/deployment.yaml")
    assert finding.properties["renders"] == ["Application argocd/shop-eu", "Application argocd/shop-us"]
