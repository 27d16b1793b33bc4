"""Argo CD Applications' kustomize options shape what is linted, as Argo CD applies them; findings stay on the base."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from readylint.findings import EVIDENCE_UNAVAILABLE
from readylint.helm.argocd import ArgoPlanner
from readylint.helm.kustomize_options import EditError, apply, envsubst, plan, unreadable
from readylint.helm.locate import kustomize_source
from readylint.helm.render import find_tools, render
from readylint.helm.sources import ChartIndex
from readylint.inputs.yaml_docs import load_stream
from readylint.model.objects import K8sObject
from tests.conftest import FIXTURES
from tests.helm_support import git_files, kustomize_dir
from tests.helpers import lint

REPO = FIXTURES / "argocd-kustomize"
APP = "argocd/web-prod.yaml"
LABEL = "Application argocd/web-prod"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """The fixture as a committed git repository, with kustomize (or kubectl) on PATH."""
    monkeypatch.setenv("PATH", kustomize_dir() + os.pathsep + os.environ["PATH"])
    root = tmp_path / "web"
    shutil.copytree(REPO, root)
    run = dict(cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "init", "-q"], **run)
    subprocess.run(["git", "add", "-A"], **run)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "web"], **run)
    return root


def _edit_app(root, old: str, new: str) -> None:
    app = root / APP
    text = app.read_text()
    assert old in text
    app.write_text(text.replace(old, new))


def _rendered(root) -> dict:
    """The objects readylint renders for the fixture's Application, by kind."""
    files = sorted(git_files(root) | {APP})
    charts = ChartIndex(str(root), files)
    planner = ArgoPlanner(charts, set(), lambda: files)
    app = [K8sObject(APP, d.index, d.data, doc_line=d.line) for d in load_stream((root / APP).read_text()).documents]
    (job,) = planner.plan(app)
    text, problem = render(job, charts, find_tools(None, None))
    assert problem is None
    return {d.data["kind"]: d.data for d in load_stream(text).documents if d.data}


def test_replicas_name_prefix_and_patches_of_the_application_decide_the_findings(repo):
    report = lint(repo, select=["HA001", "HA003", "HA006", "SEC003"])
    found = {(f.code, f.location.path, f.location.line) for f in report.active}
    # replicas: 3, the probes patch and the resources patch of the Application are applied
    assert not [f for f in report.active if f.code in ("HA001", "HA006", "SEC003")], found
    (pdb,) = [f for f in report.active if f.code == "HA003"]
    assert "Deployment shop/prod-web" in pdb.message  # Argo CD's namePrefix replaces the overlay's production-
    assert (pdb.location.path, pdb.location.line) == ("deploy/base/deployment.yaml", 4)
    assert pdb.properties["renders"] == [LABEL]
    assert not [n for n in report.notes if "not applied" in n.message or "not rendered" in n.message]
    # readylint worked on a copy: the repository is as it was
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True)
    assert status.stdout == ""


def test_without_the_options_the_base_replica_count_is_reported_on_the_base_line(repo):
    _edit_app(repo, "      replicas:\n        - name: web\n          count: 3\n", "")
    report = lint(repo, select=["HA001"])
    assert [(f.location.path, f.location.line, f.properties["renders"]) for f in report.active] == [
        ("deploy/base/deployment.yaml", 6, [LABEL])]
    assert "Deployment shop/prod-web runs 1 replica" in report.active[0].message


def test_a_replica_count_the_application_sets_is_reported_on_the_base_with_the_application_line(repo):
    _edit_app(repo, "          count: 3\n", "          count: 2\n")
    (finding,) = lint(repo, select=["HA001"]).active
    assert (finding.location.path, finding.location.line) == ("deploy/base/deployment.yaml", 6)
    assert "Deployment shop/prod-web runs 2 replicas" in finding.message
    assert [(r.location.path, r.location.line, r.location.col, r.message) for r in finding.related][:1] == [
        (APP, 17, 11, f"`kustomize.replicas` of {LABEL} sets it here.")]


def test_two_applications_of_one_folder_render_with_their_own_options(repo):
    staging = (repo / APP).read_text().replace("web-prod", "web-staging").replace(
        "      replicas:\n        - name: web\n          count: 3\n", "")
    (repo / "argocd" / "web-staging.yaml").write_text(staging)
    report = lint(repo, select=["HA001"])
    assert [(f.location.path, f.location.line, f.properties["renders"]) for f in report.active] == [
        ("deploy/base/deployment.yaml", 6, ["Application argocd/web-staging"])]


def test_images_labels_annotations_and_namespace_reach_the_rendered_objects(repo):
    deployment = _rendered(repo)["Deployment"]
    assert deployment["metadata"]["name"] == "prod-web"
    assert deployment["metadata"]["namespace"] == "shop"
    assert deployment["spec"]["replicas"] == 3
    assert deployment["metadata"]["labels"] == {"team": "shop", "tier": "frontend"}
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": "web", "team": "shop", "tier": "frontend"}
    assert deployment["metadata"]["annotations"] == {"owner": "web-prod"}  # $ARGOCD_APP_NAME substituted
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "nginx:1.25"
    assert container["resources"]["limits"] == {"memory": "128Mi"}


def test_a_label_the_kustomization_already_sets_stops_the_render_unless_forced(repo):
    _edit_app(repo, "        team: shop\n", "        tier: web\n")
    report = lint(repo, select=["HA001"])
    assert [n.message for n in report.notes if "not rendered" in n.message] == [
        f"{LABEL} not rendered: the kustomize options cannot be applied: label tier is already in the "
        "kustomization file; Argo CD's kustomize edit add label fails (set forceCommonLabels)."]
    assert [o.reason for o in report.outcomes["HA001"] if o.subject.display == LABEL] == [EVIDENCE_UNAVAILABLE]
    # with no render to judge, the base is judged as committed
    assert ("deploy/base/deployment.yaml", 6) in [(f.location.path, f.location.line) for f in report.active]
    _edit_app(repo, "        tier: web\n", "        tier: web\n      forceCommonLabels: true\n")
    assert _rendered(repo)["Deployment"]["metadata"]["labels"] == {"tier": "web"}


def test_a_component_the_application_adds_is_rendered_with_it(repo):
    _edit_app(repo, "      patches:\n", "      components:\n        - ../../components/pdb\n      patches:\n")
    report = lint(repo, select=["HA003"])
    assert report.active == []  # the component's budget (renamed prod-web, in shop) covers the Deployment
    assert report.statuses["HA003"] == "pass"
    _edit_app(repo, "../../components/pdb", "../../components/missing")
    (note,) = [n.message for n in lint(repo, select=["HA003"]).notes if "not rendered" in n.message]
    assert "component ../../components/missing does not exist" in note


def test_options_readylint_does_not_apply_stay_in_a_note(repo):
    _edit_app(repo, "      namePrefix: prod-\n", "      namePrefix: prod-\n      kubeVersion: '1.31'\n"
                                                   "      version: v5.4.3\n")
    report = lint(repo, select=["HA003"])
    assert [n.message for n in report.notes if "kustomize options" in n.message] == [
        f"{LABEL}: kustomize options kubeVersion are not applied when readylint builds the kustomization"]
    assert [f.location.line for f in report.active] == [4]  # the rest still applies


def test_kustomize_output_maps_to_the_most_specific_committed_name():
    def obj(path, name):
        data = load_stream(f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\n").documents[0].data
        return K8sObject(path, 0, data)

    web, worker = obj("base/web.yaml", "web"), obj("base/worker.yaml", "web-worker")
    assert kustomize_source(obj("<render>", "prod-web-worker"), [web, worker], "overlays/prod") is worker
    assert kustomize_source(obj("<render>", "prod-web"), [web, worker], "overlays/prod") is web
    assert kustomize_source(obj("<render>", "prod-api"), [web, worker], "overlays/prod") is None


@pytest.mark.parametrize("entry, why", [
    ("components: [https://github.com/example/parts//pdb?ref=v1]",
     "the kustomize component https://github.com/example/parts//pdb?ref=v1 is remote; readylint does not fetch it"),
    ("components: [../../../../elsewhere]",
     "the kustomize component ../../../../elsewhere lies outside the repository"),
    ("patches: [{path: /etc/patch.yaml}]", "the kustomize patch /etc/patch.yaml lies outside the repository"),
])
def test_components_and_patches_readylint_cannot_read_stop_the_render(entry, why):
    edits, _, _ = plan(load_stream(entry).documents[0].data, {})
    assert unreadable(edits, "deploy/overlays/prod") == why


# -- the edits, as `kustomize edit` makes them ---------------------------------------------------------------

def test_set_image_replaces_the_entry_of_its_name_and_keeps_what_a_star_keeps():
    k = {"images": [{"name": "nginx", "newName": "mirror/nginx", "newTag": "1.0"}, {"name": "redis", "newTag": "7"}]}
    edits = {"images": ["nginx=*:1.25", "busybox@sha256:abc", "alpine:3.20"]}
    assert apply(k, edits)["images"] == [
        {"name": "alpine", "newTag": "3.20"}, {"name": "busybox", "digest": "sha256:abc"},
        {"name": "nginx", "newName": "mirror/nginx", "newTag": "1.25"}, {"name": "redis", "newTag": "7"}]
    with pytest.raises(EditError, match="kustomize edit set image"):
        apply({}, {"images": ["nginx"]})


def test_replicas_labels_without_selector_and_components():
    k = {"replicas": [{"name": "web", "count": 1}, {"name": "db", "count": 1}], "components": ["../c1"]}
    edits, ignored, _ = plan(load_stream(
        "replicas: [{name: web, count: '3'}]\ncommonLabels: {team: shop}\nlabelWithoutSelector: true\n"
        "components: [../c1, ../c2]\nnamePrefix: a-\nnameSuffix: -b\n").documents[0].data, {})
    assert ignored == []
    out = apply(k, edits)
    assert out["replicas"] == [{"name": "db", "count": 1}, {"name": "web", "count": 3}]
    assert out["labels"] == [{"pairs": {"team": "shop"}}] and "commonLabels" not in out
    assert out["components"] == ["../c1", "../c2"]
    assert (out["namePrefix"], out["nameSuffix"]) == ("a-", "-b")
    with pytest.raises(EditError, match="does not exist"):
        apply({}, {"components": ["../c3"], "ignoreMissingComponents": False}, lambda path: path != "../c3")
    assert apply({}, {"components": ["../c3"], "ignoreMissingComponents": True}, lambda path: False) == {}


@pytest.mark.parametrize("text, expected", [
    ("$ARGOCD_APP_NAME", "web"), ("${ARGOCD_APP_NAME}-x", "web-x"), ("a$$b", "a$b"), ("$UNSET/x", "/x"),
    ("cost$", "cost$"), ("${}x", "x"), ("v-${ARGOCD_APP_REVISION}", "v-${ARGOCD_APP_REVISION}"),
])
def test_variables_are_substituted_as_argo_cd_does(text, expected):
    unknown: list = []
    assert envsubst(text, {"ARGOCD_APP_NAME": "web"}, unknown) == expected
    assert unknown == (["ARGOCD_APP_REVISION"] if "REVISION" in text else [])
