"""pre-commit integration (spec integrations.md section 7, P1-P3): the hooks manifest and real try-repo runs."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import textwrap
import time

import pytest

from readylint.inputs.yaml_docs import load_stream
from tests.conftest import REPO, SCHEMAS_REF, needs_shared

MANIFEST = REPO / ".pre-commit-hooks.yaml"

needs_precommit = pytest.mark.skipif(shutil.which("pre-commit") is None,
                                     reason="pre-commit is not on PATH (pip install pre-commit, or readylint[test])")
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")


def _hooks():
    stream = load_stream(MANIFEST.read_text(encoding="utf-8"))
    assert len(stream.documents) == 1
    return stream.documents[0].data


def _hook(hook_id):
    (hook,) = [h for h in _hooks() if h["id"] == hook_id]
    return hook


def _env(**extra):
    """The environment for git and pre-commit: no GIT_* leaking in (pytest may itself run from a git hook)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(extra)
    return env


def _run(args, cwd, **extra_env):
    return subprocess.run(args, cwd=cwd, env=_env(**extra_env), capture_output=True, text=True, timeout=900)


def _git(cwd, *args):
    proc = _run(["git", *args], cwd)
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def _git_repo(path):
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q")
    _git(path, "config", "user.name", "readylint tests")
    _git(path, "config", "user.email", "tests@readylint.invalid")
    _git(path, "config", "commit.gpgsign", "false")
    return path


# --- P1: the manifest ---------------------------------------------------------------------------------------

@needs_precommit
def test_manifest_validates_with_pre_commit():
    proc = _run(["pre-commit", "validate-manifest", ".pre-commit-hooks.yaml"], REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_shared(SCHEMAS_REF)
def test_manifest_matches_the_schemastore_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMAS_REF / "pre-commit-hooks.json").read_text(encoding="utf-8"))
    jsonschema.validate(_hooks(), schema)


def test_manifest_declares_the_p1_hooks():
    assert [h["id"] for h in _hooks()] == ["readylint", "readylint-github-settings"]
    entries = {"readylint": "readylint check", "readylint-github-settings": "readylint check --select CD005,CD006"}
    for hook_id, entry in entries.items():
        hook = _hook(hook_id)
        assert hook["entry"] == entry
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["require_serial"] is True
        assert hook["minimum_pre_commit_version"] == "2.9.0"
        assert "always_run" not in hook  # left to users (P1)
    assert _hook("readylint-github-settings")["files"] == r"^\.readylint/github-settings\.json$"


@pytest.mark.parametrize("path", [
    "charts/web/Chart.yaml", "charts/web/templates/_helpers.tpl", "helm/web/templates/deployment.yaml",
    "deploy/app.yaml", "services/shop/deploy/kustomization.yaml", "argocd/app.yaml", "apps/shop/app.yaml",
    "manifests/ns.json", "values.yaml", "env/values-prod.yaml", "values.prod.yml", "docs/runbook.md",
    ".github/workflows/ci.yml", ".github/CODEOWNERS", "README.md", "README", "svc/RUNBOOK.md", "CODEOWNERS",
    "Dockerfile", "Dockerfile.prod", "build/Dockerfile", ".readylint.yaml", ".readylint/baseline.json",
    ".readylint/github-settings.json",
    # Kubernetes YAML/JSON outside the conventional folders (the deliberate superset, see the manifest comment)
    "k8s/deployment.yaml", "overlays/prod/patch.yml", "pod.json",
])
def test_readylint_files_pattern_matches(path):
    # pre-commit applies `files` with re.search on the repository-relative path
    assert re.search(_hook("readylint")["files"], path), path


@pytest.mark.parametrize("path", [
    "src/main.py", "go.mod", "Makefile", "docsite/index.html", "mydeploy/run.sh", "notes.txt",
    "charts.md", "deploy.sh", "scripts/readme_tool.py",
])
def test_readylint_files_pattern_skips_unrelated_files(path):
    assert not re.search(_hook("readylint")["files"], path), path


def test_github_settings_files_pattern():
    pattern = _hook("readylint-github-settings")["files"]
    assert re.search(pattern, ".readylint/github-settings.json")
    assert not re.search(pattern, "sub/.readylint/github-settings.json")
    assert not re.search(pattern, ".readylint/github-settings.json.bak")


# --- P2/P3: real `pre-commit try-repo` runs -----------------------------------------------------------------

DEPLOYMENT = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
    spec:
      replicas: {replicas}
      selector:
        matchLabels: {{app: web}}
      template:
        metadata:
          labels: {{app: web}}
        spec:
          containers:
            - name: web
              image: registry.example.com/web:1.2.3
    """)


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory):
    """One PRE_COMMIT_HOME for the module, so the runs never touch the user's ~/.cache/pre-commit.

    Note: `try-repo` itself keeps the hook's virtualenv in a throwaway store of its own (pre-commit
    try_repo.py: `Store(tempdir)`), so every try-repo run pip-installs readylint again; pip's wheel
    cache makes the later builds quick. The first build on a cold cache downloads the dependencies."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A committed snapshot of the working tree (tracked files plus untracked, non-ignored ones).

    `pre-commit try-repo <path>` copies only changes to *tracked* files of a dirty repository, so a new,
    not yet committed file (such as .pre-commit-hooks.yaml itself) would be missing from the hook repo
    it installs. Committing a snapshot of exactly what is in the working tree tests the code as it is."""
    snapshot = _git_repo(tmp_path_factory.mktemp("hook-repo"))
    listed = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():  # deleted-but-tracked files are listed too
            target = snapshot / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(snapshot, "add", "-A")
    _git(snapshot, "commit", "-q", "-m", "snapshot of the readylint working tree")
    return snapshot


def _try_repo(hook_repo, project, precommit_home):
    started = time.monotonic()
    proc = _run(["pre-commit", "try-repo", str(hook_repo), "readylint", "--all-files"], project,
                PRE_COMMIT_HOME=str(precommit_home), PRE_COMMIT_COLOR="never")
    print(f"try-repo took {time.monotonic() - started:.1f}s")
    return proc, proc.stdout + proc.stderr


@needs_precommit
@needs_git
def test_try_repo_fails_on_a_staged_failing_manifest(tmp_path, hook_repo, precommit_home):
    project = _git_repo(tmp_path / "project")
    (project / "deploy").mkdir()
    (project / "deploy" / "app.yaml").write_text(DEPLOYMENT.format(replicas=1), encoding="utf-8")
    _git(project, "add", "-A")  # staged, not committed: P3, the hook sees the staged tree

    proc, output = _try_repo(hook_repo, project, precommit_home)

    assert proc.returncode != 0, output
    assert "HA001" in output, output
    assert "deploy/app.yaml" in output, output
    assert re.search(r"^readylint\.+Failed$", output, re.M), output


@needs_precommit
@needs_git
def test_try_repo_passes_on_a_clean_repository(tmp_path, hook_repo, precommit_home):
    project = _git_repo(tmp_path / "project")
    (project / "deploy").mkdir()
    (project / "deploy" / "app.yaml").write_text(DEPLOYMENT.format(replicas=3), encoding="utf-8")
    (project / ".readylint.yaml").write_text("rules:\n  select: [HA001]\n", encoding="utf-8")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "clean service")

    proc, output = _try_repo(hook_repo, project, precommit_home)

    assert proc.returncode == 0, output
    assert re.search(r"^readylint\.+Passed$", output, re.M), output
