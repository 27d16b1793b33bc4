"""Render jobs for the Argo CD Applications of the repository, as Argo CD itself would render them.

Each Application (and each Application an ApplicationSet generates, see `appset`) whose Helm or
kustomize source is a folder of this repository becomes a job with the Application's releaseName,
valueFiles (`$ref/…` included), values or valuesObject, parameters, fileParameters and destination
namespace, or with its kustomize options (see `kustomize_options`). Sources in other repositories and
Helm-repository charts are not ours to render.
"""
from __future__ import annotations

import os
import re
import subprocess

from ..inputs.files import read_text
from ..inputs.yaml_docs import YMap
from ..model.objects import dig, mapping, sequence
from . import kustomize_options
from .appset import MAX_FILE_BYTES, Generators, Unsupported, substitute
from .render import RenderJob
from .sources import KUSTOMIZATION_FILES, ChartIndex, join

ARGO_GROUP = "argoproj.io"


def repo_identities(root: str, configured: str | None) -> set[str]:
    """This repository's URLs, normalised: `project.repo_url` and the `origin` remote."""
    found = {normalise_url(configured)} if configured else set()
    try:
        out = subprocess.run(["git", "-C", root, "config", "--get", "remote.origin.url"], capture_output=True,
                             text=True, check=False, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            found.add(normalise_url(out.stdout.strip()))
    except (OSError, subprocess.TimeoutExpired):
        pass
    return found


def normalise_url(url: str) -> str:
    text = str(url).strip().lower()
    text = re.sub(r"^[a-z+]+://", "", text)
    text = re.sub(r"^[^@/]+@", "", text)
    text = text.replace(":", "/", 1) if ":" in text.split("/")[0] else text
    return text.removesuffix("/").removesuffix(".git")


class ArgoPlanner:
    """Collects render jobs and notes from Application and ApplicationSet objects."""

    def __init__(self, charts: ChartIndex, identities: set[str], list_all):
        self.charts = charts
        self.identities = identities
        self.list_all = list_all
        self.jobs: list[RenderJob] = []
        self.notes: list[tuple[str, str]] = []  # (path, message)

    def plan(self, objects) -> list[RenderJob]:
        for obj in objects:
            if obj.group != ARGO_GROUP:
                continue
            if obj.kind == "Application":
                label = f"Application {obj.namespace}/{obj.name}" if obj.namespace else f"Application {obj.name}"
                self.application(obj.path, obj.spec, obj.name, label, obj.name_at())
            elif obj.kind == "ApplicationSet":
                self.application_set(obj)
        return self.jobs

    # -- Applications ------------------------------------------------------------------------------------

    def ours(self, repo_url) -> bool:
        return not self.identities or not repo_url or normalise_url(repo_url) in self.identities

    def application(self, path, spec, name, label, anchor) -> None:
        sources = [s for s in sequence(spec.get("sources")) if mapping(s)] or (
            [spec["source"]] if mapping(spec.get("source")) else [])
        refs = {str(s["ref"]): s for s in sources if s.get("ref")}
        namespace = str(dig(spec, "destination", "namespace") or "") or "default"
        for source in sources:
            directory = source.get("path")
            if source.get("chart") or not isinstance(directory, str) or not self.ours(source.get("repoURL")):
                continue
            directory = join(directory.strip("/"))
            if directory.startswith("../"):
                continue
            job = RenderJob(label=label, kind="helm", chart_dir=directory, anchor=anchor, release=name,
                            namespace=namespace, environment=name)
            env = {"ARGOCD_APP_NAME": name, "ARGOCD_APP_NAMESPACE": namespace, "ARGOCD_APP_SOURCE_PATH": directory,
                   "ARGOCD_APP_SOURCE_REPO_URL": str(source.get("repoURL") or ""),
                   "ARGOCD_APP_SOURCE_TARGET_REVISION": str(source.get("targetRevision") or "")}
            if self.charts.chart(directory) is not None:
                self._helm_options(job, mapping(source.get("helm")) or YMap(), refs, path, env)
            elif any(self.charts.is_file(join(directory, f)) for f in KUSTOMIZATION_FILES):
                job.kind = "kustomize"
                env["ARGOCD_APP_NAMESPACE"] = str(dig(spec, "destination", "namespace") or "")
                env["ARGOCD_APP_PROJECT_NAME"] = str(spec.get("project") or "")
                options = mapping(source.get("kustomize")) or YMap()
                job.kustomize, ignored, unknown = kustomize_options.plan(options, env)
                job.kustomize_at = kustomize_options.positions(options, path)
                if ignored:
                    self.notes.append((path, f"{label}: kustomize options {', '.join(ignored)} are not applied "
                                             "when readylint builds the kustomization"))
                if unknown:
                    self.notes.append((path, f"{label}: kustomize options use {', '.join(unknown)}, which only "
                                             "Argo CD knows; readylint leaves them as written"))
            else:
                continue  # a plain folder of manifests: already read as files
            self.jobs.append(job)

    def _helm_options(self, job: RenderJob, helm: YMap, refs: dict, app_path: str, env: dict) -> None:
        """Argo CD's Helm settings: value files in order, then `valuesObject` (which replaces `values`),
        then parameters and file parameters; `$ARGOCD_APP_*` variables expanded in paths and parameters."""
        job.release = str(helm.get("releaseName") or job.release)
        job.namespace = str(helm.get("namespace") or job.namespace)
        for entry in sequence(helm.get("valueFiles")):
            file, why = self._value_file(_expand(str(entry), env), job.chart_dir, refs)
            if why is not None:
                job.problem = job.problem or f"value file {entry} of {job.label} {why}"
            elif not self.charts.is_file(file):
                if not helm.get("ignoreMissingValueFiles"):  # Argo CD skips missing files only when told to
                    job.problem = job.problem or f"value file {entry} of {job.label} is not in this repository"
            else:
                job.value_files.append(file)
        values = helm.get("valuesObject") if isinstance(helm.get("valuesObject"), YMap) else helm.get("values")
        if isinstance(values, str):
            job.value_texts.append(values)
        elif isinstance(values, YMap):
            job.value_objects.append((app_path, values))
        job.flags += ["--skip-crds"] if helm.get("skipCrds") else []
        job.flags += ["--skip-tests"] if helm.get("skipTests") else []
        if isinstance(helm.get("kubeVersion"), str):
            job.flags += ["--kube-version", helm["kubeVersion"]]
        for api in sequence(helm.get("apiVersions")):
            job.flags += ["--api-versions", str(api)]
        for parameter in sequence(helm.get("parameters")):
            if mapping(parameter) and parameter.get("name"):
                value = _expand(_scalar(parameter.get("value", "")), env).replace("\\", "\\\\").replace(",", "\\,")
                target = job.set_strings if parameter.get("forceString") else job.set_values
                target.append(f"{parameter['name']}={value}")
        for parameter in sequence(helm.get("fileParameters")):
            if not (mapping(parameter) and parameter.get("name") and parameter.get("path")):
                continue
            file, why = self._value_file(_expand(str(parameter["path"]), env), job.chart_dir, {})
            if why is None and not self.charts.is_file(file):
                why = "is not in this repository"
            if why is not None:
                job.problem = job.problem or (f"file parameter {parameter['name']} ({parameter['path']}) of "
                                              f"{job.label} {why}")
            else:
                job.set_files.append((str(parameter["name"]), file))

    def _value_file(self, entry: str, directory: str, refs: dict) -> tuple[str | None, str | None]:
        """(repository path, None) of a value file as Argo CD resolves it, or (None, why it cannot be read):
        relative to the chart, `/`-rooted at the repository, `$ref/` in a referenced source."""
        if re.match(r"^[a-z][a-z0-9+.-]*://", entry):
            return None, "is fetched from a URL; readylint does not fetch it"
        if entry.startswith("$"):
            ref, _, rest = entry[1:].partition("/")
            source = refs.get(ref)
            if source is None:
                return None, f"names the source ref {ref}, which the Application does not have"
            if not self.ours(source.get("repoURL")):
                return None, f"is in another repository ({source.get('repoURL')}); readylint does not fetch it"
            path = join(rest)
        else:
            path = join(entry.lstrip("/")) if entry.startswith("/") else join(directory, entry)
        if path.startswith("../") or path == "..":
            return None, "lies outside the repository"
        return path, None

    # -- ApplicationSets ---------------------------------------------------------------------------------

    def application_set(self, obj) -> None:
        spec = obj.spec
        template = mapping(spec.get("template"))
        if template is None:
            return
        generators = Generators(bool(spec.get("goTemplate")), self.ours, self.list_all, self._read)
        if spec.get("templatePatch"):
            self.notes.append((obj.path, f"{obj.ref}: templatePatch is not applied to the generated Applications"))
        for generator in sequence(spec.get("generators")):
            generator = mapping(generator) or YMap()
            try:
                sets = generators.params(generator)
            except Unsupported as why:
                self.notes.append((obj.path, f"{obj.ref}: {why}"))
                continue
            own = _generator_template(generator)
            merged = _overlay(template, own) if own else template
            for params in sets:
                try:
                    app = substitute(merged, params, generators.go)
                except Unsupported as why:
                    self.notes.append((obj.path, f"{obj.ref}: a generated Application is not rendered: {why}"))
                    continue
                name = dig(app, "metadata", "name")
                if not isinstance(name, str) or not mapping(app.get("spec")):
                    self.notes.append((obj.path, f"{obj.ref}: a generated Application has no name or spec; "
                                                 "not rendered"))
                    continue
                label = f"Application {name} (ApplicationSet {obj.name})"
                self.application(obj.path, app["spec"], name, label, obj.name_at())

    def _read(self, path: str) -> str | None:
        if not self.charts.is_file(path):
            return None
        text, problem = read_text(os.path.join(self.charts.root, path), MAX_FILE_BYTES)
        return text if problem is None else None


def _expand(text: str, env: dict) -> str:
    """`$ARGOCD_APP_NAME` / `${ARGOCD_APP_NAME}` and the other build variables Argo CD substitutes."""
    return re.sub(r"\$(?:\{(ARGOCD_APP_\w+)\}|(ARGOCD_APP_\w+))",
                  lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _generator_template(generator: YMap):
    """The `template` a generator carries (it overrides the ApplicationSet's, key by key)."""
    for key, body in generator.items():
        if key not in ("selector", "values", "template") and mapping(body) and mapping(body.get("template")):
            return body["template"]
    return None


def _overlay(base, override):
    """``base`` with ``override``'s keys written over it (mappings merged, other values replaced)."""
    if not (isinstance(base, YMap) and isinstance(override, YMap)):
        return override if override not in (None, "", {}) else base
    out = YMap(base)
    out.line, out.col, out.kpos = base.line, base.col, dict(base.kpos)
    for key, value in override.items():
        out[key] = _overlay(base.get(key), value) if key in base else value
        if key not in base and key in override.kpos:
            out.kpos[key] = override.kpos[key]
    return out
