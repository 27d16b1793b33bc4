"""Argo CD Applications render their charts as Argo CD would; each finding is reported once, on the template."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import unquote

import pytest

from readylint.helm.argocd import ArgoPlanner, normalise_url
from readylint.helm.sources import ChartIndex
from readylint.inputs.yaml_docs import load_stream
from readylint.model.objects import K8sObject
from tests.helm_support import copy_shop, git_files, helm_binary, kustomize_dir
from tests.helpers import lint

PROD, STAGING = "Application argocd/shop-prod", "Application argocd/shop-staging"


def test_check_reports_each_finding_once_on_the_template_naming_both_applications(tmp_path):
    """The issue's "done when": a git repository with a chart, two environments and two Applications."""
    helm = helm_binary()
    repo = copy_shop(tmp_path / "shop", git=True)
    env = {**os.environ, "PATH": os.path.dirname(helm) + os.pathsep + os.environ["PATH"], "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    done = subprocess.run([sys.executable, "-m", "readylint", "check", ".", "--sarif-file", "out.sarif"], cwd=repo,
                          env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    results = json.loads((repo / "out.sarif").read_text())["runs"][0]["results"]
    tracked = git_files(repo)

    places = [(r["ruleId"], _where(r["locations"][0]), r["message"]["text"]) for r in results]
    assert len(places) == len(set(places)), "a finding is reported twice"
    for result in results:
        uris = [result["locations"][0]] + result.get("relatedLocations", [])
        for uri in (unquote(u["physicalLocation"]["artifactLocation"]["uri"]) for u in uris):
            assert uri in tracked, f"{result['ruleId']} points at {uri}, which git does not track"

    rendered = [r for r in results if "renders" in r["properties"]]
    assert rendered and all(_where(r["locations"][0]).split(":")[0].endswith(".yaml") for r in rendered)
    assert all("/templates/" in _where(r["locations"][0]) for r in rendered)
    both = [r for r in rendered if r["properties"]["renders"] == [PROD, STAGING]]
    assert len(both) >= len(rendered) - 1  # only the staging worker runs a single replica
    for result in both:
        assert f"Rendered for {PROD} and {STAGING}." in result["message"]["text"]
        related = {unquote(x["physicalLocation"]["artifactLocation"]["uri"]) for x in result["relatedLocations"]}
        assert {"argocd/shop-prod.yaml", "argocd/shop-staging.yaml"} <= related

    probes = [r for r in results if r["ruleId"] == "HA006" and "charts/shop/templates/" in _where(r["locations"][0])]
    assert [(_where(r["locations"][0]), r["properties"]["renders"]) for r in probes] == [
        ("charts/shop/templates/deployment.yaml:32:11", [PROD, STAGING])]
    replicas = [r for r in results if r["ruleId"] == "HA001"]
    assert sorted((_where(r["locations"][0]), r["properties"]["renders"]) for r in replicas) == [
        ("charts/shop/charts/worker/templates/deployment.yaml:9:3", [STAGING]),
        ("charts/shop/templates/deployment.yaml:8:3", [PROD, STAGING])]
    shop = next(r for r in replicas if "charts/shop/templates/" in _where(r["locations"][0]))
    assert "It differs in Application argocd/shop-staging: Deployment shop-staging/shop-staging-shop runs 1 " \
           "replica" in shop["message"]["text"]
    values = [_where(x) for x in shop["relatedLocations"] if "is set here" in x["message"]["text"]]
    assert values == ["charts/shop/values-prod.yaml:2:1", "charts/shop/values-staging.yaml:2:1"]
    assert "unrendered" not in done.stdout
    # several defects of one container stay several findings, each merged across the two renders
    worker = [r for r in results if r["ruleId"] == "SEC002"
              and _where(r["locations"][0]) == "charts/shop/charts/worker/templates/deployment.yaml:21:11"]
    assert sorted(r["properties"]["keyPath"].rsplit(".", 1)[-1] for r in worker) == [
        "allowPrivilegeEscalation", "drop", "readOnlyRootFilesystem", "seccompProfile"]
    assert all(r["properties"]["renders"] == [PROD, STAGING] for r in worker)


def _where(location) -> str:
    physical = location["physicalLocation"]
    region = physical["region"]
    return f"{unquote(physical['artifactLocation']['uri'])}:{region['startLine']}:{region['startColumn']}"


# -- planning, without helm -------------------------------------------------------------------------------

def _objects(text: str, path="argocd/apps.yaml"):
    return [K8sObject(path, d.index, d.data, doc_line=d.line) for d in load_stream(text).documents]


def _plan(tmp_path, text, identities=frozenset()):
    copy_shop(tmp_path)
    files = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()]
    planner = ArgoPlanner(ChartIndex(str(tmp_path), files), set(identities), lambda: files)
    return planner.plan(_objects(text)), planner


APP = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop-eu, namespace: argocd}
spec:
  sources:
    - repoURL: git@github.com:example/shop.git
      path: charts/shop
      helm:
        releaseName: storefront
        valueFiles: [values-prod.yaml, $config/charts/shop/values-staging.yaml, missing.yaml]
        ignoreMissingValueFiles: true
        skipTests: true
        kubeVersion: "1.31.0"
        values: |
          containerPort: 9090
        valuesObject:
          replicaCount: 4
        parameters:
          - {name: image.tag, value: "2.5,rc1", forceString: true}
          - {name: worker.replicaCount, value: "3"}
    - repoURL: https://github.com/example/shop
      ref: config
  destination: {namespace: shop-eu}
"""


def test_an_application_becomes_a_helm_job_with_its_own_settings(tmp_path):
    jobs, _ = _plan(tmp_path, APP, {normalise_url("https://github.com/example/shop.git")})
    assert len(jobs) == 1
    job = jobs[0]
    assert (job.label, job.kind, job.chart_dir, job.release, job.namespace, job.environment) == (
        "Application argocd/shop-eu", "helm", "charts/shop", "storefront", "shop-eu", "shop-eu")
    assert job.value_files == ["charts/shop/values-prod.yaml", "charts/shop/values-staging.yaml"]
    # Argo CD uses valuesObject instead of values when both are given
    assert job.value_texts == []
    assert [(path, dict(data)) for path, data in job.value_objects] == [("argocd/apps.yaml", {"replicaCount": 4})]
    assert job.set_strings == ["image.tag=2.5\\,rc1"] and job.set_values == ["worker.replicaCount=3"]
    assert job.flags == ["--skip-tests", "--kube-version", "1.31.0"]
    assert job.problem is None
    assert (job.anchor.path, job.anchor.line) == ("argocd/apps.yaml", 4)


def test_sources_of_other_repositories_and_helm_repository_charts_are_not_rendered(tmp_path):
    other = APP.replace("git@github.com:example/shop.git", "https://github.com/someone/else.git")
    assert _plan(tmp_path / "a", other, {"github.com/example/shop"})[0] == []
    chart = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: redis}
spec:
  source: {repoURL: 'https://charts.bitnami.com/bitnami', chart: redis, targetRevision: 19.0.0}
  destination: {namespace: cache}
"""
    assert _plan(tmp_path / "b", chart)[0] == []


def test_a_missing_value_file_stops_that_render_with_a_reason(tmp_path):
    text = APP.replace("        ignoreMissingValueFiles: true\n", "")
    jobs, _ = _plan(tmp_path, text)
    assert jobs[0].problem == "value file missing.yaml of Application argocd/shop-eu is not in this repository"


def test_application_sets_with_list_and_git_directory_generators(tmp_path):
    text = """
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: shop, namespace: argocd}
spec:
  generators:
    - list:
        elements:
          - {env: prod}
          - {env: staging}
    - git:
        repoURL: https://github.com/example/shop.git
        revision: HEAD
        directories:
          - path: charts/*
          - path: charts/cache
            exclude: true
    - clusters: {}
  template:
    metadata: {name: 'shop-{{env}}'}
    spec:
      source:
        repoURL: https://github.com/example/shop.git
        path: charts/shop
        helm:
          valueFiles: ['values-{{env}}.yaml']
      destination: {namespace: 'shop-{{env}}'}
"""
    jobs, planner = _plan(tmp_path, text)
    assert [(j.label, j.namespace, j.value_files) for j in jobs] == [
        ("Application shop-prod (ApplicationSet shop)", "shop-prod", ["charts/shop/values-prod.yaml"]),
        ("Application shop-staging (ApplicationSet shop)", "shop-staging", ["charts/shop/values-staging.yaml"])]
    assert [m for _, m in planner.notes] == [
        "ApplicationSet argocd/shop: a generated Application is not rendered: the placeholder {{env}} has no value",
        "ApplicationSet argocd/shop: clusters generators are not evaluated (they need a live Argo CD); only list, "
        "git, matrix and merge generators are rendered"]


def test_git_directory_generators_in_go_template_mode(tmp_path):
    text = """
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: charts}
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://github.com/example/shop.git
        directories: [{path: 'charts/*'}]
  template:
    metadata: {name: '{{ .path.basename }}'}
    spec:
      source: {repoURL: 'https://github.com/example/shop.git', path: '{{.path.path}}'}
      destination: {namespace: '{{ .path.basenameNormalized }}'}
"""
    jobs, _ = _plan(tmp_path, text)
    assert [(j.label, j.chart_dir, j.release, j.namespace) for j in jobs] == [
        ("Application cache (ApplicationSet charts)", "charts/cache", "cache", "cache"),
        ("Application shop (ApplicationSet charts)", "charts/shop", "shop", "shop")]


def test_repository_urls_compare_across_their_spellings():
    spellings = ["https://github.com/Example/Shop.git", "git@github.com:example/shop.git",
                 "ssh://git@github.com/example/shop", "https://github.com/example/shop/"]
    assert {normalise_url(u) for u in spellings} == {"github.com/example/shop"}


KUSTOMIZE_APP = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api-{env}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/example/api.git
    path: deploy/overlays/{env}
  destination:
    namespace: api-{env}
"""
BASE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: example/api:1.0
"""


def test_kustomize_sources_map_back_to_the_base_resource(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", kustomize_dir() + os.pathsep + os.environ["PATH"])
    (tmp_path / "deploy" / "base").mkdir(parents=True)
    (tmp_path / "deploy" / "base" / "deployment.yaml").write_text(BASE)
    (tmp_path / "deploy" / "base" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    for env in ("prod", "staging"):
        overlay = tmp_path / "deploy" / "overlays" / env
        overlay.mkdir(parents=True)
        (overlay / "kustomization.yaml").write_text(f"namePrefix: {env}-\nnamespace: api-{env}\n"
                                                    "resources:\n  - ../../base\n")
        (tmp_path / f"app-{env}.yaml").write_text(KUSTOMIZE_APP.format(env=env))
    report = lint(tmp_path, select=["HA006"])
    found = [(f.location.path, f.location.line, f.properties.get("renders")) for f in report.active]
    # one finding for the base container (readiness and liveness both missing), naming both Applications;
    # the base read on its own says nothing more
    assert found == [("deploy/base/deployment.yaml", 14, ["Application argocd/api-prod",
                                                          "Application argocd/api-staging"])]


FILE_PARAMETERS_APP = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop-eu, namespace: argocd}
spec:
  source:
    repoURL: https://github.com/example/shop.git
    path: charts/shop
    helm:
      valueFiles: [/charts/shop/values-$ARGOCD_APP_NAME.yaml]
      parameters: [{name: image.tag, value: '${ARGOCD_APP_NAMESPACE}'}]
      fileParameters: [{name: replicaCount, path: files/replicas.txt}]
  destination: {namespace: shop-eu}
"""


def test_file_parameters_absolute_value_files_and_argo_cd_variables(tmp_path):
    (tmp_path / "charts" / "shop" / "files").mkdir(parents=True)
    (tmp_path / "charts" / "shop" / "files" / "replicas.txt").write_text("4")
    (tmp_path / "charts" / "shop" / "values-shop-eu.yaml").write_text("replicaCount: 2\n")
    job = _plan(tmp_path, FILE_PARAMETERS_APP)[0][0]
    assert job.problem is None
    assert job.value_files == ["charts/shop/values-shop-eu.yaml"]
    assert job.set_values == ["image.tag=shop-eu"]
    assert job.set_files == [("replicaCount", "charts/shop/files/replicas.txt")]


@pytest.mark.parametrize("entry, why", [
    ("https://example.com/values.yaml", "is fetched from a URL; readylint does not fetch it"),
    ("$other/values.yaml", "names the source ref other, which the Application does not have"),
    ("../../../etc/values.yaml", "lies outside the repository"),
])
def test_value_files_readylint_cannot_read_stop_the_render_even_when_missing_ones_are_ignored(tmp_path, entry, why):
    text = FILE_PARAMETERS_APP.replace("/charts/shop/values-$ARGOCD_APP_NAME.yaml", f"'{entry}'").replace(
        "      fileParameters", "      ignoreMissingValueFiles: true\n      fileParameters")
    (tmp_path / "charts" / "shop" / "files").mkdir(parents=True)
    (tmp_path / "charts" / "shop" / "files" / "replicas.txt").write_text("4")
    assert _plan(tmp_path, text)[0][0].problem == f"value file {entry} of Application argocd/shop-eu {why}"


def test_a_missing_file_parameter_stops_the_render(tmp_path):
    (tmp_path / "charts" / "shop").mkdir(parents=True)
    (tmp_path / "charts" / "shop" / "values-shop-eu.yaml").write_text("replicaCount: 2\n")
    assert _plan(tmp_path, FILE_PARAMETERS_APP)[0][0].problem == (
        "file parameter replicaCount (files/replicas.txt) of Application argocd/shop-eu is not in this repository")


def test_helm_renders_with_the_file_parameter(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", os.path.dirname(helm_binary()) + os.pathsep + os.environ["PATH"])
    copy_shop(tmp_path)
    (tmp_path / "argocd" / "shop-staging.yaml").unlink()
    (tmp_path / "charts" / "shop" / "files").mkdir()
    (tmp_path / "charts" / "shop" / "files" / "replicas.txt").write_text("4")
    app = tmp_path / "argocd" / "shop-prod.yaml"
    app.write_text(app.read_text().replace("        - values-prod.yaml\n", "        - values-prod.yaml\n"
                                           "      fileParameters:\n        - {name: replicaCount, path: "
                                           "files/replicas.txt}\n"))
    report = lint(tmp_path, select=["HA001"])
    # values-prod.yaml says 2 replicas; the file parameter (applied last, as Argo CD does) says 4
    assert not [f for f in report.active if f.location.path == "charts/shop/templates/deployment.yaml"]
    assert report.statuses["HA001"] == "pass"
