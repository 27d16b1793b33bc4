"""A monorepo: a linted folder with its own .readylint.yaml is a project, judged like a repository of its own,
while every path stays relative to the repository root (SARIF and annotations need that)."""
from __future__ import annotations

from readylint.api import RunOptions, run

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
"""


def _monorepo(tmp_path):
    for service in ("services/cart", "services/shop"):
        folder = tmp_path / service
        (folder / "deploy").mkdir(parents=True)
        (folder / "deploy" / "prod.yaml").write_text(DEPLOYMENT, encoding="utf-8")
        (folder / "README.md").write_text(f"# {service}\n\nThe {service} service.\n", encoding="utf-8")
    (tmp_path / "services/shop/.readylint.yaml").write_text("project: {type: service}\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# monorepo\n", encoding="utf-8")
    return tmp_path


def _lint(root, path, select):
    return run(RunOptions(paths=[path], cwd=str(root), root=str(root), select=select))


def test_a_project_folder_is_judged_as_a_repository_with_root_relative_paths(tmp_path):
    root = _monorepo(tmp_path)
    report = _lint(root, "services/shop", ["DOC005", "DOC004"])
    assert report.statuses["DOC005"] == "fail" and report.statuses["DOC004"] == "fail"
    assert {f.location.path for f in report.active} == {"services/shop/README.md"}


def test_a_plain_sub_folder_leaves_repository_items_unknown(tmp_path):
    root = _monorepo(tmp_path)
    report = _lint(root, "services/cart", ["DOC005", "HA001"])
    assert report.statuses["DOC005"] == "unknown"
    assert "only part of the repository was linted (services/cart)" in report.outcomes["DOC005"][0].why
    assert report.statuses["HA001"] == "pass"  # manifest rules judge the files that were named
