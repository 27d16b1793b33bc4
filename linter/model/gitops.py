"""GitOps objects: Argo CD Applications and projects, Argo Rollouts strategies and analysis, Flagger canaries.

Small on purpose (the Helm-rendering side imports it): ``applications(index)`` lists Applications and
ApplicationSet templates as ``App`` views, ``repo_url(index)`` is the repository's own URL, ``same_repo``
compares URLs as Argo CD does, ``analysis_refs(rollout)`` lists every AnalysisTemplate a Rollout names and
``flagger_canaries(index, wl)`` the Flagger Canaries that drive a workload. What should be deployed lives in
``deploy_units.py``, deploys from CI in ``ci_deploys.py``.
"""
from __future__ import annotations

import fnmatch
import re
from typing import NamedTuple

from .. import lazy_re
from ..inputs.git_remote import origin_url
from .objects import K8sObject, dig, mapping, sequence

ARGO = "argoproj.io"
APP_KINDS = ("Application", "ApplicationSet")
FLAGGER = "flagger.app"
_SHA = lazy_re.compile(r"^[0-9a-f]{7,40}$")
_SEMVER = lazy_re.compile(r"^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$")


def gitops_objects(index, *kinds) -> list[K8sObject]:
    """Argo objects of ``kinds`` from production manifests and from files under ``inputs.gitops`` globs."""
    cache = index.__dict__.setdefault("_gitops_cache", {})  # one lookup per run, dropped with the index
    if "gitops" not in cache:
        config = index.settings.get("config")
        globs = list(config.section("inputs").get("gitops") or []) if config is not None else []
        cache["gitops"] = [o for o in index.all_objects if o.group == ARGO and (
            o.production or any(fnmatch.fnmatchcase(o.path, g) or o.path.startswith(g.rstrip("/") + "/")
                                for g in globs))]
    return [o for o in cache["gitops"] if o.kind in kinds]


class Source(NamedTuple):
    """One ``source`` of an Application: its segments from the object root and its fields."""

    segments: tuple
    repo_url: str
    path: str
    chart: str
    revision: str
    is_ref_only: bool  # a multi-source `ref:` entry that only supplies values files


class App(NamedTuple):
    """An Application, or the ``spec.template`` of an ApplicationSet, seen the same way."""

    obj: K8sObject
    spec_path: tuple  # ("spec",) or ("spec", "template", "spec")

    @property
    def spec(self):
        return mapping(dig(self.obj.data, *self.spec_path)) or {}

    def at(self, *segments):
        return self.obj.at(*self.spec_path, *segments)

    def sources(self) -> list[Source]:
        spec = self.spec
        found = []
        if mapping(spec.get("source")) is not None:
            found.append(_source(spec["source"], self.spec_path + ("source",)))
        for i, item in enumerate(sequence(spec.get("sources"))):
            if mapping(item) is not None:
                found.append(_source(item, self.spec_path + ("sources", i)))
        return found

    def generator_dirs(self) -> list[tuple[str, str]]:
        """(repoURL, path glob) of an ApplicationSet's git directory generators (matrix/merge included)."""
        if self.obj.kind != "ApplicationSet":
            return []
        out = []
        stack = list(sequence(self.obj.spec.get("generators")))
        while stack:
            gen = stack.pop()
            if mapping(gen) is None:
                continue
            git = mapping(gen.get("git"))
            if git is not None:
                for entry in sequence(git.get("directories")):
                    if mapping(entry) is not None and entry.get("path") and not entry.get("exclude"):
                        out.append((str(git.get("repoURL") or ""), str(entry["path"])))
            for nested in ("matrix", "merge"):
                stack.extend(sequence(dig(gen, nested, "generators")))
        return out


def _source(data, segments) -> Source:
    def text(key):
        value = data.get(key)
        return "" if value is None else str(value)
    path = text("path").strip("/").removeprefix("./")
    return Source(segments, text("repoURL"), "" if path == "." else path, text("chart"),
                  text("targetRevision"), bool(data.get("ref")) and not data.get("path") and not data.get("chart"))


def applications(index) -> list[App]:
    """Every Application and ApplicationSet template the run can see (rules.md 0.1 evidence A)."""
    apps = []
    for obj in gitops_objects(index, *APP_KINDS):
        apps.append(App(obj, ("spec",) if obj.kind == "Application" else ("spec", "template", "spec")))
    return apps


def project(index, name: str) -> K8sObject | None:
    """The AppProject of that name in the repository, in any namespace."""
    for obj in gitops_objects(index, "AppProject"):
        if obj.name == name:
            return obj
    return None


def normalise_url(url: str) -> str:
    """``host/owner/repo`` for https, ssh and ``git@host:`` forms, without ``.git`` or a trailing slash."""
    url = url.strip().lower()
    url = re.sub(r"^[a-z+]+://", "", url)
    url = re.sub(r"^[^@/]+@", "", url)
    if ":" in url.split("/", 1)[0]:
        host, _, rest = url.partition(":")
        url = f"{host}/{rest}" if not rest.split("/", 1)[0].isdigit() else f"{host}/{rest.split('/', 1)[-1]}"
    return url.rstrip("/").removesuffix(".git")


def same_repo(a: str, b: str) -> bool:
    return bool(a) and bool(b) and normalise_url(a) == normalise_url(b)


def repo_url(index) -> str:
    """``project.repo_url``, else the ``origin`` remote in the root's ``.git/config`` (no git call)."""
    configured = (index.settings.get("project") or {}).get("repo_url")
    return str(configured) if configured else origin_url(index.root)


def pinned(revision: str) -> bool | None:
    """True for a tag, semver or commit SHA; False for empty or HEAD; None for a branch-like name."""
    if revision in ("", "HEAD"):
        return False
    if _SHA.match(revision) or _SEMVER.match(revision) or revision.startswith("refs/tags/"):
        return True
    if any(ch in revision for ch in "*^~<>=") or revision.count(".") >= 1 and revision[0].isdigit():
        return True  # Helm version ranges pick a released chart, never a moving branch
    return None


# -- Argo Rollouts -----------------------------------------------------------------------------------------

class AnalysisRef(NamedTuple):
    """One template named by a Rollout: where it is named, the name, scope and the args supplied."""

    segments: tuple  # to the `templateName` key
    name: str
    cluster: bool
    args: frozenset
    where: str  # "background", "step", "prePromotion", "postPromotion"


def strategy(rollout: K8sObject) -> tuple[str, object]:
    """("canary" | "blueGreen" | "", the strategy mapping)."""
    spec = mapping(rollout.spec.get("strategy")) or {}
    for name in ("canary", "blueGreen"):
        if name in spec:
            return name, mapping(spec.get(name)) or {}
    return "", spec


def _refs(block, segments, where, out):
    if mapping(block) is None:
        return
    args = frozenset(str(a.get("name")) for a in sequence(block.get("args")) if mapping(a) is not None)
    if block.get("templateName"):  # legacy single-template form
        out.append(AnalysisRef(segments + ("templateName",), str(block["templateName"]),
                               bool(block.get("clusterScope")), args, where))
    for i, item in enumerate(sequence(block.get("templates")) if "templateName" not in block else ()):
        if mapping(item) is not None and item.get("templateName"):
            out.append(AnalysisRef(segments + ("templates", i, "templateName"), str(item["templateName"]),
                                   bool(item.get("clusterScope")), args, where))


def analysis_refs(rollout: K8sObject) -> list[AnalysisRef]:
    """Every analysis a Rollout runs: background, per step and blue-green pre/post promotion."""
    kind, block = strategy(rollout)
    base = ("spec", "strategy", kind)
    out: list[AnalysisRef] = []
    if kind == "canary":
        _refs(block.get("analysis"), base + ("analysis",), "background", out)
        for i, step in enumerate(sequence(block.get("steps"))):
            if mapping(step) is None:
                continue
            _refs(step.get("analysis"), base + ("steps", i, "analysis"), "step", out)
            for j, item in enumerate(sequence(dig(step, "experiment", "analyses"))):
                _refs(item, base + ("steps", i, "experiment", "analyses", j), "experiment", out)
    elif kind == "blueGreen":
        for key, where in (("prePromotionAnalysis", "prePromotion"), ("postPromotionAnalysis", "postPromotion")):
            _refs(block.get(key), base + (key,), where, out)
    return out


def find_template(index, rollout: K8sObject, ref: AnalysisRef) -> K8sObject | None:
    """The (Cluster)AnalysisTemplate a reference names, from the manifests or the ``inputs.gitops`` files."""
    kind = "ClusterAnalysisTemplate" if ref.cluster else "AnalysisTemplate"
    for obj in gitops_objects(index, kind):
        if obj.name == ref.name and (ref.cluster or obj.namespace == rollout.namespace):
            return obj
    return None


def progressive_steps(block) -> bool:
    """A canary step list that shifts part of the traffic (setWeight < 100) and then waits or analyses."""
    weighted = False
    for step in sequence(block.get("steps")):
        if mapping(step) is None:
            continue
        weight = step.get("setWeight")
        if isinstance(weight, (int, float)) and not isinstance(weight, bool) and 0 < weight < 100:
            weighted = True
        elif weighted and ("pause" in step or "analysis" in step or "experiment" in step):
            return True
    return False


# -- Flagger -----------------------------------------------------------------------------------------------

def flagger_canaries(index, wl) -> list[K8sObject]:
    """Flagger Canaries in the workload's namespace whose ``targetRef`` names it."""
    found = []
    for obj in index.in_namespace(wl.namespace, "Canary"):
        ref = mapping(obj.spec.get("targetRef")) or {}
        if obj.group == FLAGGER and str(ref.get("name")) == wl.obj.name and (
                str(ref.get("kind") or "Deployment") == wl.kind):
            found.append(obj)
    return found
