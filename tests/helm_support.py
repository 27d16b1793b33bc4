"""Shared by the Helm tests: the fixture chart repository and the real helm binary (or a clear skip)."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest

from tests.conftest import FIXTURES, REPO

SHOP = FIXTURES / "helm" / "shop"
GATEWAY = FIXTURES / "helm" / "gateway"  # with / range / include mapping, nested file:// dependencies
RECORDED = FIXTURES / "helm" / "recorded"
LOCAL_HELM_DIR = REPO / ".ci" / "bin"  # where .ci/run installs Helm v4


def helm_binary() -> str:
    """helm on PATH; CI (READYLINT_REQUIRE_HELM=1) fails instead of skipping when it is missing."""
    found = shutil.which("helm") or shutil.which("helm", path=str(LOCAL_HELM_DIR))
    if found is None:
        message = "helm is not on PATH (.ci/run puts Helm v4 in .ci/bin)"
        if os.environ.get("READYLINT_REQUIRE_HELM") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


def copy_shop(target: pathlib.Path, git: bool = False) -> pathlib.Path:
    """The shop chart repository at ``target``, optionally as a committed git repository."""
    shutil.copytree(SHOP, target, dirs_exist_ok=True)
    if git:
        run = dict(cwd=target, check=True, capture_output=True)
        subprocess.run(["git", "init", "-q"], **run)
        subprocess.run(["git", "add", "-A"], **run)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "shop"], **run)
    return target


def git_files(root: pathlib.Path) -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=root, check=True, capture_output=True, text=True).stdout
    return set(out.split())


def lint_paths(root: pathlib.Path, paths: list[str], select=None, **extra):
    """Like tests.helpers.lint, for the given PATHS (a chart folder, say) below ``root``."""
    from readylint.api import RunOptions, run

    return run(RunOptions(paths=paths, cwd=str(root), root=str(root), select=list(select or []), **extra))


def kustomize_dir() -> str:
    """A folder holding kustomize or kubectl, to put on PATH; skips (or fails in CI) without one."""
    for name in ("kustomize", "kubectl"):
        found = shutil.which(name) or shutil.which(name, path=str(LOCAL_HELM_DIR))
        if found:
            return os.path.dirname(found)
    message = "neither kustomize nor kubectl is on PATH (.ci/run puts kubectl in .ci/bin)"
    if os.environ.get("READYLINT_REQUIRE_HELM") == "1":
        pytest.fail(message)
    pytest.skip(message)
