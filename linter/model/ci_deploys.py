"""Deploy commands in CI files (helm, kubectl, argocd, flux...) and whether they roll back on failure.

Only local CI files are read; a remote reusable workflow whose name suggests deploying is listed as such,
since what it does is unknown (rules.md 0.10). Deploys into throwaway test clusters are not releases.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import lazy_re

CI_GLOBS = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".github/actions/**/action.yml",
            ".github/actions/**/action.yaml", ".gitlab-ci.yml", ".gitlab/**/*.yml", ".gitlab/**/*.yaml")
_DEPLOY = lazy_re.compile(r"\b(helm\s+(upgrade|install)|helmfile\s+(apply|sync)|kubectl\s+(apply|rollout\s+restart|"
                     r"set\s+image|replace)|argocd\s+app\s+sync|skaffold\s+(run|deploy)|flux\s+reconcile)"
                     r"\b[^\n]*")
_ROLLBACK = lazy_re.compile(r"(--atomic|--rollback-on-failure|rollout\s+undo|helm\s+rollback)")
_UNDO = lazy_re.compile(r"rollout\s+undo|helm\s+rollback")
_TEST_CLUSTER = lazy_re.compile(r"kind\s+create\s+cluster|helm/kind-action|minikube\s+start|setup-minikube|get\.k3s\.io|"
                           r"k3d\s+cluster\s+create|k3d-action|k3s-action")
_DEPLOYISH = lazy_re.compile(r"deploy|rollout|helm|argo|gitops|k8s|kube|promot|(^|[-_])cd([-_.]|$)", re.I)
_REMOTE_WORKFLOW = lazy_re.compile(r"^\s*(?:-\s*)?uses:\s*['\"]?([\w.-]+/[\w.-]+/\.github/workflows/[^@\s'\"]+)@",
                              re.M)


@dataclass(frozen=True)
class CiDeploy:
    """A deploy command in CI (or a remote reusable workflow that may deploy) and whether it rolls back."""

    path: str
    line: int
    command: str
    rollback: bool
    remote: bool = False


def ci_deploys(index) -> list[CiDeploy]:
    """Deploy commands in local CI files; continuation lines are joined, positions kept."""
    cache = index.__dict__.setdefault("_gitops_cache", {})
    if "ci" in cache:
        return cache["ci"]
    found = []
    for path in index.repo.glob(*CI_GLOBS):
        text = index.repo.text(path)
        if not text:
            continue
        if _TEST_CLUSTER.search(text):
            continue  # deploys into a throwaway kind/minikube/k3d cluster are tests, not releases
        joined = text.replace("\\\n", "  ")  # same length: offsets stay valid
        undo_step = bool(_UNDO.search(joined))  # e.g. a step that runs `helm rollback` on failure()
        for match in _DEPLOY.finditer(joined):
            command = " ".join(match.group(0).split())
            if "--dry-run" in command:
                continue
            found.append(CiDeploy(path, text.count("\n", 0, match.start()) + 1, command,
                                  undo_step or bool(_ROLLBACK.search(command))))
        for match in _REMOTE_WORKFLOW.finditer(text):
            if _DEPLOYISH.search(match.group(1).rsplit("/", 1)[-1]):
                found.append(CiDeploy(path, text.count("\n", 0, match.start(1)) + 1, match.group(1), False, True))
    cache["ci"] = found
    return found
