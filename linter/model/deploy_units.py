"""What a GitOps tool should deploy from this repository: each chart × production environment, else the
repository's manifests; and Flux objects seen like Argo CD Applications (``project.gitops_tool: flux``).
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from ..findings import Location, Subject
from .context_folders import CONTEXT_FOLDERS as NOT_DEPLOYED  # demos and tests deploy nothing
from .gitops import Source, same_repo
from .objects import K8sObject, dig, mapping



@dataclass(frozen=True)
class DeployUnit:
    """A chart × production environment of the repository, or the repository's plain manifests."""

    key: str
    display: str
    chart_dir: str | None
    chart_name: str
    environment: str
    anchor: Location

    def subject(self) -> Subject:
        return Subject(key=f"repo:./{self.key}", display=self.display, environment=self.environment,
                       location=self.anchor)

    def matches(self, index, app, url: str) -> bool:
        """The application's source is this repository (when known) and this chart's folder or name."""
        if NOT_DEPLOYED.search(index.repo.local(app.obj.path)):
            return False  # an example or test Application deploys a demo, not this repository
        for source in app.sources():
            if source.is_ref_only:
                continue
            repo_ok = same_repo(source.repo_url, url) if url else True
            if self.chart_dir is None:
                if repo_ok and (url or (source.path and not source.chart and _is_folder(index, source.path))):
                    return True
            elif source.chart and not source.path:
                if source.chart == self.chart_name:
                    return True  # a chart published to a Helm repository
            elif repo_ok and source.path == self.chart_dir and (source.path or url):
                return True
        for gen_repo, glob in app.generator_dirs():
            if self.chart_dir and (same_repo(gen_repo, url) if url else True) and fnmatch.fnmatchcase(
                    self.chart_dir, glob.strip("/")):
                return True
        return False


def is_chart_file(path: str) -> bool:
    """Helm reads `Chart.yaml` case-sensitively; a `.github/workflows/chart.yaml` workflow is not a chart."""
    return path.rsplit("/", 1)[-1] == "Chart.yaml" and not any(part.startswith(".") for part in path.split("/")[:-1])


def _is_folder(index, path: str) -> bool:
    prefix = path.rstrip("/") + "/"
    return any(f.startswith(prefix) for f in index.files)


def deploy_units(index) -> list[DeployUnit]:
    """Charts (not subcharts, not test or example charts) per production environment; else the repository
    when it renders workloads; else nothing."""
    cache = index.__dict__.setdefault("_gitops_cache", {})
    if "units" in cache:
        return cache["units"]
    charts = sorted(p for p in index.repo.glob("**/Chart.yaml") if is_chart_file(p)
                    and not NOT_DEPLOYED.search(index.repo.local(p).rsplit("/", 1)[0]))
    dirs = [p.rsplit("/", 1)[0] if "/" in p else "" for p in charts]
    config = index.settings.get("config")
    inputs = config.manifest_inputs if config is not None else []
    units = []
    for path, folder in zip(charts, dirs):
        if any(folder.startswith(other + "/charts/") or (other == "" and folder.startswith("charts/"))
               for other in dirs if other != folder):
            continue  # a subchart is deployed with its parent
        name = _chart_name(index, path) or folder.rsplit("/", 1)[-1]
        envs = sorted({str(i.get("name") or "") for i in inputs if str(i.get("chart") or "").strip("/") == folder
                       and i.get("production", True)}) or [""]
        for env in envs:
            where = f"chart {name} ({folder or '.'})" + (f" in environment {env}" if env else "")
            units.append(DeployUnit(f"chart/{folder or '.'}" + (f"@{env}" if env else ""), where, folder, name, env,
                                    Location(path, 1, 1)))
    if not units and any(not index.is_excluded(w.obj) for w in index.workloads):
        units.append(DeployUnit("manifests", "the repository's manifests", None, "", "", index.repo.anchor()))
    cache["units"] = units
    return units


# What deploys a service without Kubernetes manifests in the repository: images, compose files, infrastructure code.
OTHER_DEPLOY_GLOBS = ("**/Dockerfile", "**/Dockerfile.*", "**/*.dockerfile", "**/Containerfile", "**/docker-compose*.yml",
                      "**/docker-compose*.yaml", "**/compose.yaml", "**/compose.yml", "**/skaffold.yaml",
                      "**/kustomization.yaml", "**/kustomization.yml", "**/*.tf", "**/Pulumi.yaml",
                      "**/serverless.yml", "**/serverless.yaml", "**/Procfile", "**/fly.toml")


def deploys_something(index) -> bool:
    """Whether the repository holds anything that deploys a service: manifests or charts (``deploy_units``), or
    an image, compose file or infrastructure code outside test, example and docs folders."""
    if index.objects or deploy_units(index):
        return True
    return any(not NOT_DEPLOYED.search(index.repo.local(p)) for p in index.repo.glob(*OTHER_DEPLOY_GLOBS))


def _chart_name(index, path) -> str:
    text = index.repo.text(path) or ""
    match = re.search(r"^name:\s*['\"]?([^'\"\s#]+)", text, re.M)
    return match.group(1) if match else ""


# -- Flux, when project.gitops_tool is flux -----------------------------------------------------------------

FLUX_DEPLOY_KINDS = ("Kustomization", "HelmRelease")


@dataclass(frozen=True)
class FluxApp:
    """A Flux Kustomization or HelmRelease seen through the App interface (sources, at, spec)."""

    obj: K8sObject
    repository: K8sObject | None  # the GitRepository it reads
    spec_path: tuple = ("spec",)

    @property
    def spec(self):
        return self.obj.spec

    def at(self, *segments):
        return self.obj.at("spec", *segments)

    def generator_dirs(self):
        return []

    def sources(self) -> list[Source]:
        repo = self.repository
        url = str(repo.spec.get("url") or "") if repo is not None else ""
        ref = (mapping(repo.spec.get("ref")) or {}) if repo is not None else {}
        revision = next((str(ref[k]) for k in ("commit", "tag", "semver", "name") if ref.get(k)), "")
        if not revision and ref.get("branch"):
            revision = str(ref["branch"])
        if self.obj.kind == "Kustomization":
            path = str(self.spec.get("path") or "")
            segments = ("spec", "path")
        else:
            path = str(dig(self.spec, "chart", "spec", "chart") or "")
            segments = ("spec", "chart", "spec", "chart")
        return [Source(segments, url, path.strip("/").removeprefix("./"), "", revision, False)]


def flux_objects(index) -> list[FluxApp]:
    """Flux Kustomizations and HelmReleases with the GitRepository each one reads."""
    found = []
    for obj in index.all_objects:
        if obj.kind in FLUX_DEPLOY_KINDS and obj.group.endswith("toolkit.fluxcd.io"):
            ref = mapping(obj.spec.get("sourceRef")) or mapping(dig(obj.spec, "chart", "spec", "sourceRef")) or {}
            repo = None
            if ref.get("kind", "GitRepository") == "GitRepository" and ref.get("name"):
                repo = next((o for o in index.all_objects if o.kind == "GitRepository" and o.name == ref["name"]
                             and o.namespace == str(ref.get("namespace") or obj.namespace)), None)
            found.append(FluxApp(obj, repo))
    return found
