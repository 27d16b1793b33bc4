"""Regressions found by linting the real corpus: anchors, duplicate renders, long render lists."""
from __future__ import annotations

from dataclasses import replace

from readylint.findings import Finding, Location
from readylint.merge import MERGE_KEY
from readylint.merge import merge
from readylint.model.repository import RepositoryFiles
from tests.helpers import lint

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
"""

APPSET = """apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
spec:
  generators:
    - list:
        elements:
          - env: prod
  template:
    metadata:
      name: 'web-{{env}}'
    spec:
      project: shop
      source:
        repoURL: https://github.com/example/shop.git
        targetRevision: v1.0.0
        path: deploy/web
      destination:
        server: https://kubernetes.default.svc
        namespace: shop
"""


def test_repository_findings_anchor_at_a_root_file_not_a_workflow_folder():
    files = [".github/workflows/README.md", ".github/workflows/chart.yaml", "LICENSE", "SECURITY.md",
             "examples/demo/Chart.yaml", "deploy/app.yaml"]
    assert RepositoryFiles("/nonexistent", files).anchor() == Location("SECURITY.md", 1, 1)
    assert RepositoryFiles("/nonexistent", files[:3]).anchor() == Location("LICENSE", 1, 1)
    charted = [".github/workflows/chart.yaml", "LICENSE", "deploy/helm/api/Chart.yaml"]
    assert RepositoryFiles("/nonexistent", charted).anchor() == Location("deploy/helm/api/Chart.yaml", 1, 1)
    assert RepositoryFiles("/nonexistent", ["README.md", "LICENSE"]).anchor() == Location("README.md", 1, 1)
    project = RepositoryFiles("/nonexistent", ["README.md", "svc/LICENSE", "svc/deploy/a.yaml"], base="svc")
    assert project.anchor() == Location("svc/LICENSE", 1, 1)  # a monorepo project anchors inside its folder


def test_two_application_sets_rendering_the_same_folder_give_one_finding(tmp_path):
    (tmp_path / "deploy" / "web").mkdir(parents=True)
    (tmp_path / "deploy" / "web" / "deployment.yaml").write_text(DEPLOYMENT)
    (tmp_path / "deploy" / "web" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    (tmp_path / "gitops").mkdir()
    (tmp_path / "gitops" / "web.yaml").write_text(APPSET)
    (tmp_path / "gitops" / "web-fasttemplate.yaml").write_text(APPSET)
    (tmp_path / ".readylint.yaml").write_text("project:\n  repo_url: https://github.com/example/shop\n")
    report = lint(tmp_path, select=["HA003"])
    found = [f for f in report.active if f.code == "HA003"]
    assert [f.location.path for f in found] == ["deploy/web/deployment.yaml"], [f.message for f in found]
    assert {r.location.path for r in found[0].related} >= {"gitops/web.yaml", "gitops/web-fasttemplate.yaml"}


def test_a_template_rendered_many_times_names_three_renders_and_counts_the_rest():
    findings = [Finding(code="HA001", slug="min-replicas", level="error", message="Deployment a/b runs 1 replica.",
                        location=Location("charts/a/templates/d.yaml", 3, 3), subject="k8s:apps/Deployment/a/b",
                        key_path="spec.replicas", properties={MERGE_KEY: ("spec.replicas", f"out/{n}.yaml")})
                for n in range(6)]
    [one] = merge(findings)
    assert one.message == ("Deployment a/b runs 1 replica. Rendered in out/0.yaml, out/1.yaml, out/2.yaml "
                           "and 3 more.")
    assert one.properties["renders"] == [f"out/{n}.yaml" for n in range(6)]
    folder = "deploy/helm/tests/testdata/output/" + "x" * 60
    long = [replace(f, properties={MERGE_KEY: ("spec.replicas", f"{folder}{n}")}) for n, f in enumerate(findings)]
    [one] = merge(long)
    assert one.message.endswith("x0 and 5 more.") and len(one.message) < 200


def test_two_host_ports_of_one_container_have_their_own_fingerprints(tmp_path):
    ports = ("          ports:\n"
             "            - {containerPort: 80, hostPort: 80}\n"
             "            - {containerPort: 443, hostPort: 443}\n")
    (tmp_path / "app.yaml").write_text(DEPLOYMENT + ports)
    found = [f for f in lint(tmp_path, select=["SEC002"]).active if "hostPort" in f.message]
    assert [f.location.line for f in found] == [18, 19]
    assert len({f.fingerprint for f in found}) == 2  # a baseline entry waives one port, not both
