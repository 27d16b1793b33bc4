"""Render jobs for the Argo CD Applications of the repository, as Argo CD itself would render them.

Each Application (and each Application that an ApplicationSet's list or git-directory generator
yields) whose Helm or kustomize source is a folder of this repository becomes a job with the
Application's releaseName, valueFiles (`$ref/…` included), values, valuesObject, parameters and
destination namespace. Sources in other repositories and Helm-repository charts are not ours to render.
"""
from __future__ import annotations

import re
import subprocess

from ..inputs.yaml_docs import YMap, YSeq
from ..model.objects import dig, mapping, sequence
from .render import KUSTOMIZATION_FILES, RenderJob
from .sources import ChartIndex, join

ARGO_GROUP = "argoproj.io"
FAST_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
GO_PLACEHOLDER = re.compile(r"\{\{-?\s*\.([A-Za-z_][\w.]*)\s*-?\}\}")


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
        self._dirs: list[str] | None = None

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
            if self.charts.chart(directory) is not None:
                self._helm_options(job, mapping(source.get("helm")) or YMap(), refs, path)
            elif any(self.charts.is_file(join(directory, f)) for f in KUSTOMIZATION_FILES):
                job.kind = "kustomize"
                ignored = sorted(set(mapping(source.get("kustomize")) or ()) - {"version"})
                if ignored:
                    self.notes.append((path, f"{label}: kustomize options {', '.join(ignored)} are not applied "
                                             "when readylint builds the kustomization"))
            else:
                continue  # a plain folder of manifests: already read as files
            self.jobs.append(job)

    def _helm_options(self, job: RenderJob, helm: YMap, refs: dict, app_path: str) -> None:
        job.release = str(helm.get("releaseName") or job.release)
        job.namespace = str(helm.get("namespace") or job.namespace)
        for entry in sequence(helm.get("valueFiles")):
            file = self._value_file(str(entry), job.chart_dir, refs)
            if file is None or not self.charts.is_file(file):
                if not helm.get("ignoreMissingValueFiles"):
                    job.problem = f"value file {entry} of {job.label} is not in this repository"
                continue
            job.value_files.append(file)
        values = helm.get("values")
        if isinstance(values, str):
            job.value_texts.append(values)
        elif isinstance(values, YMap):
            job.value_objects.append((app_path, values))
        if isinstance(helm.get("valuesObject"), YMap):
            job.value_objects.append((app_path, helm["valuesObject"]))
        job.flags += ["--skip-crds"] if helm.get("skipCrds") else []
        job.flags += ["--skip-tests"] if helm.get("skipTests") else []
        if isinstance(helm.get("kubeVersion"), str):
            job.flags += ["--kube-version", helm["kubeVersion"]]
        for api in sequence(helm.get("apiVersions")):
            job.flags += ["--api-versions", str(api)]
        for parameter in sequence(helm.get("parameters")):
            if mapping(parameter) and parameter.get("name"):
                value = str(parameter.get("value", "")).replace("\\", "\\\\").replace(",", "\\,")
                target = job.set_strings if parameter.get("forceString") else job.set_values
                target.append(f"{parameter['name']}={value}")

    def _value_file(self, entry: str, directory: str, refs: dict) -> str | None:
        if entry.startswith("$"):
            ref, _, rest = entry[1:].partition("/")
            source = refs.get(ref)
            if source is None or not self.ours(source.get("repoURL")):
                return None
            return join(rest)
        return join(directory, entry)

    # -- ApplicationSets ---------------------------------------------------------------------------------

    def application_set(self, obj) -> None:
        spec = obj.spec
        template = mapping(spec.get("template"))
        if template is None:
            return
        go = bool(spec.get("goTemplate"))
        for generator in sequence(spec.get("generators")):
            for params in self._generator_params(obj, mapping(generator) or YMap()):
                app = _substitute(template, params, go)
                name = dig(app, "metadata", "name")
                if app is None or not isinstance(name, str) or not mapping(app.get("spec")):
                    self.notes.append((obj.path, f"{obj.ref}: a generated Application uses "
                                                 "template expressions readylint does not evaluate; not rendered"))
                    continue
                label = f"Application {name} (ApplicationSet {obj.name})"
                self.application(obj.path, app["spec"], name, label, obj.name_at())

    def _generator_params(self, obj, generator: YMap):
        if mapping(generator.get("list")):
            for element in sequence(generator["list"].get("elements")):
                if mapping(element):
                    yield dict(element)
            return
        git = mapping(generator.get("git"))
        if git is not None and git.get("directories"):
            if self.ours(git.get("repoURL")):
                yield from ({"path": d} for d in self._directories(sequence(git.get("directories"))))
            return
        kinds = ", ".join("git files" if k == "git" else k for k in sorted(generator)) or "empty"
        self.notes.append((obj.path, f"{obj.ref}: {kinds} generators are not evaluated; "
                                     "only list and git-directory generators are rendered"))

    def _directories(self, patterns) -> list[str]:
        if self._dirs is None:
            dirs = set()
            for path in self.list_all():
                parts = path.split("/")[:-1]
                dirs.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
            self._dirs = sorted(dirs)
        include = [_glob(str(p.get("path"))) for p in patterns if mapping(p) and p.get("path") and not p.get("exclude")]
        exclude = [_glob(str(p.get("path"))) for p in patterns if mapping(p) and p.get("path") and p.get("exclude")]
        return [d for d in self._dirs if any(r.match(d) for r in include) and not any(r.match(d) for r in exclude)]


def _glob(pattern: str):
    """Go's path.Match: `*` and `?` stay within one folder."""
    regex = "".join("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch) for ch in pattern.strip("/"))
    return re.compile(regex + r"\Z")


def _params(raw: dict, go: bool) -> dict:
    """Generator parameters as the template reads them: dotted names (fasttemplate) or nested (Go)."""
    out = {}
    for key, value in raw.items():
        if key == "path" and isinstance(value, str):
            segments = value.split("/")
            base = segments[-1]
            normalised = re.sub(r"[^a-zA-Z0-9-]", "-", base).lower()
            if go:
                out["path"] = {"path": value, "basename": base, "basenameNormalized": normalised,
                               "segments": segments}
            else:
                out.update({"path": value, "path.basename": base, "path.basenameNormalized": normalised})
                out.update({f"path[{i}]": s for i, s in enumerate(segments)})
        elif go or not isinstance(value, dict):
            out[key] = value
        else:
            out.update({f"{key}.{k}": v for k, v in value.items()})
    return out


def _substitute(node, raw_params: dict, go: bool):
    """A deep copy of ``node`` with placeholders filled; None when one cannot be filled."""
    params = _params(raw_params, go)

    def text(value: str):
        if "{{" not in value:
            return value
        if go:
            def lookup(match):
                current = params
                for part in match.group(1).split("."):
                    if not isinstance(current, dict) or part not in current:
                        raise KeyError(match.group(1))
                    current = current[part]
                return str(current)
            result = GO_PLACEHOLDER.sub(lookup, value)
        else:
            result = FAST_PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), value)
        if "{{" in result:
            raise KeyError(value)
        return result

    def copy(value):
        if isinstance(value, YMap):
            out = YMap((text(k) if isinstance(k, str) else k, copy(v)) for k, v in value.items())
            out.line, out.col = value.line, value.col
            out.kpos = {text(k) if isinstance(k, str) else k: p for k, p in value.kpos.items()}
            return out
        if isinstance(value, YSeq):
            out = YSeq(copy(v) for v in value)
            out.line, out.col, out.ipos = value.line, value.col, list(value.ipos)
            return out
        return text(value) if isinstance(value, str) else value

    try:
        return copy(node)
    except KeyError:
        return None
