"""Pull-request mode on real git repositories: what `--changed-since REF` shows, and when it cannot filter."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from readylint.changes import evidence_kinds, in_scope
from readylint.cli import main
from readylint.findings import Finding, Location, Related
from readylint.registry import find_rule

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
"""


def git(cwd, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    """main: api.yaml and web.yaml committed; branch `feature` then edits web.yaml in a second commit."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("# shop\n", encoding="utf-8")
    (root / "api.yaml").write_text(DEPLOYMENT.format(name="api"), encoding="utf-8")
    (root / "web.yaml").write_text(DEPLOYMENT.format(name="web"), encoding="utf-8")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    (root / "web.yaml").write_text(DEPLOYMENT.format(name="web").replace("replicas: 1", "replicas: 2"),
                                   encoding="utf-8")
    git(root, "commit", "-q", "-am", "web: two replicas")
    return root


def check(root, monkeypatch, *args):
    monkeypatch.chdir(root)
    return CliRunner().invoke(main, ["check", "--select", "HA001,HA003", *args],
                                              catch_exceptions=False)


def paths_in_text(output):
    return sorted({line.split(":", 1)[0] for line in output.splitlines() if ".yaml:" in line})


def test_a_changed_file_shows_only_its_findings(repo, monkeypatch):
    everything = check(repo, monkeypatch, "--format", "text")
    assert paths_in_text(everything.stdout) == ["api.yaml", "web.yaml"]
    result = check(repo, monkeypatch, "--format", "text", "--changed-since", "main")
    assert result.exit_code == 1 and result.stderr == ""
    assert paths_in_text(result.stdout) == ["web.yaml"]
    assert "2 in unchanged files not shown" in result.stdout


def test_sarif_stays_complete_while_json_and_annotations_are_filtered(repo, monkeypatch, tmp_path):
    sarif = tmp_path / "out.sarif"
    result = check(repo, monkeypatch, "--format", "json", "--changed-since", "main", "--sarif-file", str(sarif))
    shown = {f["location"]["path"] for f in json.loads(result.stdout)["findings"]}
    assert shown == {"web.yaml"}
    results = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"api.yaml", "web.yaml"}
    annotations = check(repo, monkeypatch, "--format", "github", "--changed-since", "main").stdout
    assert "file=web.yaml" in annotations and "file=api.yaml" not in annotations


def test_uncommitted_and_untracked_files_count_as_changed(repo, monkeypatch):
    (repo / "api.yaml").write_text(DEPLOYMENT.format(name="api") + "# edited\n", encoding="utf-8")
    (repo / "new.yaml").write_text(DEPLOYMENT.format(name="new"), encoding="utf-8")
    result = check(repo, monkeypatch, "--format", "text", "--changed-since", "HEAD")
    assert paths_in_text(result.stdout) == ["api.yaml", "new.yaml"]


def test_merge_base_semantics_ignore_later_commits_on_the_base_branch(repo, monkeypatch):
    git(repo, "checkout", "-q", "main")
    (repo / "api.yaml").write_text(DEPLOYMENT.format(name="api") + "# on main later\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "main moves on")
    git(repo, "checkout", "-q", "feature")
    result = check(repo, monkeypatch, "--format", "text", "--changed-since", "main")
    assert paths_in_text(result.stdout) == ["web.yaml"]  # REF...HEAD: api.yaml changed on main, not here


def test_no_change_exits_zero_and_says_what_was_left_out(repo, monkeypatch):
    result = check(repo, monkeypatch, "--format", "text", "--changed-since", "HEAD")
    assert result.exit_code == 0
    assert result.stdout.startswith("0 findings") and "4 in unchanged files not shown" in result.stdout


def test_unknown_ref_exits_2_with_one_line(repo, monkeypatch):
    result = check(repo, monkeypatch, "--changed-since", "no-such-branch")
    assert result.exit_code == 2
    assert result.stderr == "readylint: error: --changed-since: unknown git revision 'no-such-branch'\n"


def test_shallow_clone_warns_once_and_reports_everything(repo, tmp_path, monkeypatch):
    base = git(repo, "rev-parse", "main").strip()
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(clone))
    assert (clone / ".git" / "shallow").exists()
    result = check(clone, monkeypatch, "--format", "text", "--changed-since", base)
    assert result.exit_code == 1
    warnings = result.stderr.splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("readylint: warning: --changed-since ")
    assert "shallow" in warnings[0] and "fetch-depth: 0" in warnings[0]
    assert paths_in_text(result.stdout) == ["api.yaml", "web.yaml"]


def test_outside_git_warns_and_reports_everything(tmp_path, monkeypatch):
    (tmp_path / "api.yaml").write_text(DEPLOYMENT.format(name="api"), encoding="utf-8")
    result = check(tmp_path, monkeypatch, "--format", "text", "--changed-since", "main")
    assert "not a git repository" in result.stderr and paths_in_text(result.stdout) == ["api.yaml"]


def test_related_files_and_repository_findings():
    """A finding is in scope through a related file; a repo: finding through its rule's evidence kind."""
    ha001 = find_rule("HA001")
    finding = Finding("HA001", "min-replicas", "error", "m", Location("a.yaml", 3),
                      related=(Related(Location("hpa.yaml", 5), "the autoscaler"),), subject="k8s:apps/Deployment/s/a")
    assert in_scope(finding, {"hpa.yaml"}, [ha001]) and not in_scope(finding, {"other.yaml"}, [ha001])
    repo_level = Finding("HA001", "min-replicas", "error", "m", Location("README.md", 1), subject="repo:")
    assert in_scope(repo_level, {"deploy/x.yaml"}, [ha001])  # HA001 reads manifests (M)
    assert not in_scope(repo_level, {"src/main.go"}, [ha001])
    assert in_scope(repo_level, {".readylint.yaml"}, [ha001])
    assert in_scope(repo_level, {"README.md"}, [ha001])  # the anchor itself
    assert evidence_kinds(".github/workflows/ci.yml") == {"C", "G"}
    assert "S" in evidence_kinds(".readylint/github-settings.json")


def test_git_is_imported_only_in_pull_request_mode(tmp_path):
    (tmp_path / "d.yaml").write_text(DEPLOYMENT.format(name="d"), encoding="utf-8")
    code = ("import sys\nfrom readylint.api import RunOptions, run\n"
            f"run(RunOptions(paths=['.'], cwd={str(tmp_path)!r}, root={str(tmp_path)!r}))\n"
            "print('git' in sys.modules)")
    import sys
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
