"""Kustomize patch files hold pieces of objects (a Deployment with only its replicas): never judged on their own."""
from __future__ import annotations

from tests.helpers import lint

BASE = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
"""
PATCH = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n"


def _repo(tmp_path, overlay_kustomization: str):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "deployment.yaml").write_text(BASE)
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    prod = tmp_path / "overlays" / "prod"
    prod.mkdir(parents=True)
    (prod / "replicas.yaml").write_text(PATCH)
    (prod / "kustomization.yaml").write_text(overlay_kustomization)


def _paths(report) -> set[str]:
    return {f.location.path for f in report.active}


def test_a_patch_file_is_context_and_the_base_is_judged(tmp_path):
    _repo(tmp_path, "resources: [../../base]\npatches:\n  - path: replicas.yaml\n")
    report = lint(tmp_path, select=["SEC002", "HA001"])
    assert report.objects == 1  # the base Deployment; the patch is not a second one
    assert "base/deployment.yaml" in _paths(report)
    assert "overlays/prod/replicas.yaml" not in _paths(report)
    assert any("kustomize patch file (overlays/prod/replicas.yaml)" in n.message for n in report.notes)


def test_the_older_patch_keys_name_patch_files_too(tmp_path):
    _repo(tmp_path, "resources: [../../base]\npatchesStrategicMerge: [replicas.yaml]\n")
    assert "overlays/prod/replicas.yaml" not in _paths(lint(tmp_path, select=["SEC002"]))


def test_a_file_no_kustomization_names_as_a_patch_is_judged(tmp_path):
    _repo(tmp_path, "resources: [../../base, replicas.yaml]\n")
    report = lint(tmp_path, select=["SEC002"])
    assert report.objects == 2 and report.notes == []


def test_a_patch_linted_on_its_own_is_still_a_patch(tmp_path):
    """pre-commit passes only the changed files: the kustomization above the patch is read all the same."""
    from tests.helm_support import lint_paths

    _repo(tmp_path, "resources: [../../base]\npatches:\n  - path: replicas.yaml\n")
    report = lint_paths(tmp_path, ["overlays/prod/replicas.yaml"], select=["HA001", "HA003"])
    assert report.objects == 0 and report.active == []
    assert report.notes[0].message.startswith("1 object in 1 kustomize patch file (overlays/prod/replicas.yaml) was "
                                              "read as context")
