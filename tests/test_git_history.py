"""Freshness from real git repositories made in tmp_path, with commits at chosen dates."""
from __future__ import annotations

import datetime as dt
import os
import subprocess

import pytest

from readylint.inputs.git_history import GitHistory

from .helpers import lint

TODAY = dt.date(2026, 11, 29)


def git(repo, *args, date=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_SYSTEM=os.devnull)
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00+00:00"
    out = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def commit(repo, files: dict, date: str, message="change"):
    for path, text in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return root


def test_last_change_per_path_in_one_pass(repo):
    commit(repo, {"README.md": "# a\n", "docs/arch.md": "# arch\n"}, "2024-01-10")
    commit(repo, {"deploy/app.yaml": "a: 1\n"}, "2025-03-01")
    commit(repo, {"README.md": "# a\n\nmore\n"}, "2025-06-01")
    history = GitHistory(str(repo))
    assert history.available and history.reason == ""
    assert history.dates(["README.md", "docs/arch.md", "deploy/app.yaml", "missing.md"]) == {
        "README.md": dt.date(2025, 6, 1), "docs/arch.md": dt.date(2024, 1, 10),
        "deploy/app.yaml": dt.date(2025, 3, 1), "missing.md": None}


def test_blame_ignore_revs_skip_bulk_reformatting(repo):
    commit(repo, {"docs/arch.md": "# arch\n"}, "2024-01-10")
    bulk = commit(repo, {"docs/arch.md": "# Arch\n"}, "2026-01-10", "reformat everything")
    (repo / ".git-blame-ignore-revs").write_text(f"# prettier run\n{bulk}\n", encoding="utf-8")
    assert GitHistory(str(repo)).last_changed("docs/arch.md") == dt.date(2024, 1, 10)


def test_shallow_clone_subfolder_and_plain_folder_are_unavailable(repo, tmp_path):
    commit(repo, {"README.md": "# a\n"}, "2024-01-10")
    commit(repo, {"README.md": "# b\n"}, "2024-02-10")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    assert "shallow" in GitHistory(str(shallow)).reason
    (repo / "sub").mkdir()
    assert not GitHistory(str(repo / "sub")).available
    plain = tmp_path / "plain"
    plain.mkdir()
    assert "not a git work tree" in GitHistory(str(plain)).reason


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: api, image: "registry.example.com/api:%s"}]
"""
DIAGRAM = "# Architecture\n\n```mermaid\ngraph LR\n  user --> api\n```\n"


def _doc001(repo):
    report = lint(repo, select=["DOC001"], today=TODAY)
    return [f"{f.location.path}:{f.location.line} {f.message}" for f in report.active], report


def test_doc001_stale_diagram_against_later_deployment_changes(repo):
    commit(repo, {"README.md": "# shop\n", "docs/architecture.md": DIAGRAM}, "2025-01-05")
    commit(repo, {"deploy/api.yaml": DEPLOY % "1.0.0"}, "2025-02-01")
    commit(repo, {"deploy/api.yaml": DEPLOY % "2.0.0"}, "2025-09-01")
    found, _ = _doc001(repo)
    assert found == ["docs/architecture.md:3 The architecture diagram docs/architecture.md is stale: its newest "
                     "change (2025-01-05) is 239 days older than the last change to deploy/api.yaml (2025-09-01), "
                     "more than 180; update it."]


def test_doc001_fresh_diagram_and_last_reviewed_wins(repo):
    commit(repo, {"README.md": "# shop\n", "docs/architecture.md": DIAGRAM, "deploy/api.yaml": DEPLOY % "1"},
           "2025-01-05")
    commit(repo, {"deploy/api.yaml": DEPLOY % "2.0.0"}, "2025-05-01")
    assert _doc001(repo)[0] == []
    reviewed = "---\nlast_reviewed: 2024-01-01\n---\n" + DIAGRAM
    commit(repo, {"docs/architecture.md": reviewed}, "2025-06-01")  # the commit is new, the review is not
    found, _ = _doc001(repo)
    assert len(found) == 1 and "it last changed" not in found[0] and "(2024-01-01)" in found[0]


def test_doc001_shallow_clone_is_evidence_unavailable(repo, tmp_path):
    commit(repo, {"README.md": "# shop\n", "docs/architecture.md": DIAGRAM}, "2025-01-05")
    commit(repo, {"deploy/api.yaml": DEPLOY % "2.0.0"}, "2025-09-01")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    found, report = _doc001(shallow)
    assert found == []
    assert report.statuses["DOC001"] != "pass"
    reasons = [o.reason for o in report.outcomes["DOC001"] if o.status == "not-applicable"]
    assert reasons == ["evidence-unavailable"]


def test_doc003_spec_stale_against_routes(repo):
    svc = "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  ports: [{port: 80}]\n"
    spec = "openapi: 3.0.3\ninfo: {title: shop, version: 1.0.0}\npaths:\n  /orders: {}\n"
    commit(repo, {"README.md": "# shop\n", "deploy/svc.yaml": svc, "openapi.yaml": spec}, "2024-01-05")
    commit(repo, {"src/routes/orders.py": "ROUTES = []\n"}, "2025-03-01")
    report = lint(repo, select=["DOC003"], today=TODAY)
    assert [f"{f.location.path}:{f.location.line}" for f in report.active] == ["openapi.yaml:2"]
    assert "stale" in report.active[0].message and "src/routes/orders.py" in report.active[0].message


def test_doc004_review_age_from_the_last_commit(repo):
    sections = "\n".join(f"## {name}\n\n" + "words " * 25 + "\n" for name in (
        "Severity levels", "Roles", "Declaring", "Communication", "Escalation", "Post-incident review",
        "Postmortem template"))
    commit(repo, {"README.md": "# shop\n", "INCIDENT_RESPONSE.md": "# Incident response\n\n" + sections},
           "2025-01-05")
    found = lint(repo, select=["DOC004"], today=TODAY).active
    assert [f.message for f in found] == [
        "The incident response procedure in INCIDENT_RESPONSE.md was last reviewed 2025-01-05 (693 days ago, more "
        "than 365); review it and update last_reviewed."]
    assert lint(repo, select=["DOC004"], today=dt.date(2025, 6, 1)).active == []


ALERTS = """apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: shop, namespace: shop}
spec:
  groups:
    - name: shop
      rules:
        - alert: ApiDown
          expr: up{job="api"} == %s
          labels: {severity: critical}
          annotations: {runbook_url: docs/runbooks/ApiDown.md}
"""


def test_doc002_runbook_stale_against_the_alerts_that_link_it(repo):
    body = "\n".join(f"## {name}\n\n" + "words " * 25 + "\n" for name in (
        "Meaning", "Diagnosis", "Mitigation", "Escalation"))
    commit(repo, {"README.md": "# shop\n", "docs/runbooks/ApiDown.md": "# ApiDown\n\n" + body,
                  "monitoring/alerts.yaml": ALERTS % "0"}, "2024-01-05")
    assert lint(repo, select=["DOC002"], today=TODAY).active == []
    commit(repo, {"monitoring/alerts.yaml": ALERTS % "1"}, "2025-01-05")
    [finding] = lint(repo, select=["DOC002"], today=TODAY).active
    assert (finding.location.path, finding.location.line) == ("docs/runbooks/ApiDown.md", 1)
    assert finding.message.startswith("The runbook docs/runbooks/ApiDown.md is stale: it last changed 2024-01-05, "
                                      "366 days before the last change to monitoring/alerts.yaml (2025-01-05)")


def test_a_merged_change_is_dated_by_its_merge(repo):
    commit(repo, {"README.md": "# a\n"}, "2024-01-01")
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"docs/arch.md": "# arch\n"}, "2024-02-01")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"deploy/app.yaml": "a: 1\n"}, "2024-03-01")
    git(repo, "merge", "-q", "--no-edit", "feature", date="2024-06-01")
    assert GitHistory(str(repo)).dates(["docs/arch.md", "deploy/app.yaml"]) == {
        "docs/arch.md": dt.date(2024, 6, 1), "deploy/app.yaml": dt.date(2024, 3, 1)}
