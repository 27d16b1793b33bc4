"""GitOps model: repository URLs and revisions as Argo CD compares them, Rollout analysis references,
what the repository should deploy, deploys from CI; and CD001-CD003 on the argo corpus."""
from __future__ import annotations

import subprocess

import pytest

from readylint.inputs.yaml_docs import load_stream
from readylint.model.ci_deploys import ci_deploys
from readylint.model.deploy_units import deploy_units
from readylint.model.gitops import analysis_refs, normalise_url, pinned, progressive_steps, repo_url, same_repo
from readylint.model.gitops import strategy
from readylint.model.index import RepoIndex
from readylint.model.objects import K8sObject

from .conftest import CORPUS, needs_shared
from .helpers import judge_everything, lint


def obj(text):
    doc = load_stream(text).documents[0]
    return K8sObject("m.yaml", 0, doc.data, doc_line=doc.line)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("https://github.com/Example/Shop.git", "git@github.com:example/shop", True),
    ("ssh://git@github.com/example/shop.git/", "https://github.com/example/shop", True),
    ("ssh://git@gitlab.example.com:2222/team/shop.git", "https://gitlab.example.com/team/shop", True),
    ("https://github.com/example/shop", "https://github.com/example/shop-config", False),
    ("", "https://github.com/example/shop", False),
])
def test_repository_urls_compare_without_scheme_user_or_git_suffix(a, b, same):
    assert same_repo(a, b) is same


@pytest.mark.parametrize(("revision", "expected"), [
    ("v1.4.2", True), ("1.4.2", True), ("3f9c2a1", True), ("refs/tags/v2", True), (">=1.2.0 <2.0.0", True),
    ("", False), ("HEAD", False), ("main", None), ("release-1.x", None),
])
def test_pinned_revisions(revision, expected):
    assert pinned(revision) is expected


def test_repo_url_falls_back_to_the_origin_remote(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:example/shop.git"],
                   check=True)
    index = RepoIndex([], str(tmp_path), settings={"project": {}})
    assert normalise_url(repo_url(index)) == "github.com/example/shop"
    configured = RepoIndex([], str(tmp_path), settings={"project": {"repo_url": "https://x.example/a/b"}})
    assert repo_url(configured) == "https://x.example/a/b"


ROLLOUT = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api}
spec:
  strategy:
    canary:
      analysis:
        templates: [{templateName: success-rate}]
        args: [{name: service, value: api}]
      steps:
        - setWeight: 20
        - experiment:
            analyses:
              - {name: compare, templateName: compare, clusterScope: true}
        - analysis:
            templates: [{templateName: smoke}]
"""


def test_analysis_refs_cover_background_step_and_experiment_analyses():
    rollout = obj(ROLLOUT)
    refs = [(r.name, r.where, r.cluster, sorted(r.args)) for r in analysis_refs(rollout)]
    assert refs == [("success-rate", "background", False, ["service"]), ("compare", "experiment", True, []),
                    ("smoke", "step", False, [])]
    kind, block = strategy(rollout)
    assert kind == "canary" and progressive_steps(block)


def test_a_weight_of_100_or_a_weight_without_a_wait_is_not_progressive():
    assert not progressive_steps(load_stream("steps: [{setWeight: 100}, {pause: {}}]").documents[0].data)
    assert not progressive_steps(load_stream("steps: [{pause: {}}, {setWeight: 20}]").documents[0].data)


def _repo(tmp_path, files):
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    return RepoIndex([], str(tmp_path), files=sorted(files), settings={})


def test_deploy_units_skip_subcharts_and_example_charts(tmp_path):
    index = _repo(tmp_path, {"charts/shop/Chart.yaml": "name: shop\n", "charts/shop/charts/redis/Chart.yaml":
                             "name: redis\n", "examples/demo/Chart.yaml": "name: demo\n", "README.md": "# shop\n"})
    assert [(u.chart_dir, u.chart_name) for u in deploy_units(index)] == [("charts/shop", "shop")]


def test_ci_deploys_know_atomic_helm_test_clusters_and_remote_workflows(tmp_path):
    index = _repo(tmp_path, {
        ".github/workflows/deploy.yml": "jobs:\n  d:\n    steps:\n      - run: |\n          helm upgrade --install a "
                                        "c \\\n            --atomic --timeout 5m\n      - run: kubectl apply -f x\n",
        ".github/workflows/e2e.yml": "jobs:\n  e:\n    steps:\n      - uses: helm/kind-action@v1\n"
                                    "      - run: kubectl apply -f test/\n",
        ".github/workflows/release.yml": "jobs:\n  r:\n    uses: org/platform/.github/workflows/deploy.yml@v1\n"
                                        "  s:\n    uses: slsa-framework/slsa/.github/workflows/generator.yml@v2\n"})
    found = [(d.path.rsplit("/", 1)[-1], d.line, d.rollback, d.remote) for d in ci_deploys(index)]
    # the atomic flag on a continuation line counts for its own command only; kind deploys are tests
    assert found == [("deploy.yml", 5, True, False), ("deploy.yml", 7, False, False),
                     ("release.yml", 3, False, True)]


@needs_shared(CORPUS / "argo-rollouts")
def test_argo_rollouts_examples_without_analysis_are_reported(tmp_path):
    report = lint(CORPUS / "argo-rollouts", select=["CD002", "CD003"], config=judge_everything(tmp_path))
    cd003 = {f.location.path for f in report.active if f.code == "CD003"}
    assert "examples/rollout-canary.yaml" in cd003  # manual pauses only
    # the examples that do analyse are not serving (no Service), so they are not judged at all
    assert "examples/rollout-analysis-step.yaml" not in cd003
    blue_green = [f for f in report.active
                  if f.code == "CD002" and f.location.path == "examples/rollout-bluegreen.yaml"]
    assert [f.location.line for f in blue_green] == [25]
