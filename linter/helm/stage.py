"""The Helm step of a run: plan renders, render them into the loader, then map findings back.

Jobs come from what the user pointed at: `--helm-chart`, a chart or kustomization folder given as a
path, `inputs.charts` and `inputs.kustomizations` in the configuration, and the Argo CD Applications of
the repository. A render that
cannot run leaves one note, and the manifest rules say "evidence unavailable" for it, never pass.
"""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from ..config import ConfigError
from ..findings import EVIDENCE_UNAVAILABLE, Location, Subject
from ..inputs.files import list_files
from ..report import Note
from ..inputs.yaml_docs import YSeq
from ..model.objects import dig
from .sources import KUSTOMIZATION_FILES, ChartIndex, join

if TYPE_CHECKING:
    from .locate import SourceMap
    from .render import RenderJob

RENDERED_EVIDENCE = ("M", "A")


class HelmStage:
    def __init__(self, root: str, config, options, files: list[str], excludes: list[str]):
        self.root = root
        self.config = config
        self.options = options
        self.files = files
        self.excludes = excludes
        self._all: list[str] | None = None
        self.charts = ChartIndex(root, files, self.all_files)
        self.renders: dict[str, RenderJob] = {}  # virtual path of the output -> job
        self.failed: list[tuple[RenderJob, str]] = []
        self.source_map: SourceMap | None = None
        self.notes: list[Note] = []
        self._read: dict[int, object] = {}  # id(kustomize job) -> KustomizeFiles

    def all_files(self) -> list[str]:
        """Every file of the repository, listed once and only when a chart or folder must be found."""
        if self._all is None:
            self._all = list_files(self.root, ["."], self.excludes)
        return self._all

    # -- planning ----------------------------------------------------------------------------------------

    def plan(self, objects, rel_paths: list[str]) -> list[RenderJob]:
        options = self.options
        jobs = []
        explicit = [self._repo_path(options.helm_chart, "--helm-chart")] if options.helm_chart else []
        pointed = [join(p) for p in rel_paths if self.charts.chart(join(p)) is not None]
        if (options.values or options.set_values or options.release or options.namespace) and not (
                explicit or pointed):
            raise ConfigError("--values, --set, --release and --namespace need --helm-chart DIR or a chart folder "
                              "as the path")
        for directory in dict.fromkeys(explicit + pointed):
            if self.charts.chart(directory) is None:
                raise ConfigError(f"{options.helm_chart}: no Chart.yaml in this folder (--helm-chart)")
            jobs.append(self._chart_job(directory, options.release, options.namespace,
                                        [self._repo_path(v, "--values") for v in options.values],
                                        list(options.set_values), "", True))
        for entry in self.config.section("inputs").get("charts", []):
            directory = join(str(entry["path"]))
            if self.charts.chart(directory) is None:
                raise ConfigError(f"{self.config.path}: inputs.charts: {entry['path']} holds no Chart.yaml with a name")
            values = entry.get("values") or []
            sets = entry.get("set") or {}
            sets = [f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in sets.items()]
            jobs.append(self._chart_job(directory, entry.get("release"), entry.get("namespace"),
                                        [join(str(v)) for v in values], sets, entry.get("name", ""),
                                        bool(entry.get("production", True))))
        jobs += self._kustomize_jobs(rel_paths)
        argo = [o for o in objects if o.group == "argoproj.io" and o.kind in ("Application", "ApplicationSet")
                and o.production]  # an example Application deploys a demo, not this repository
        if argo:
            from .argocd import ArgoPlanner, repo_identities  # Argo CD planning only when there are Applications

            repo_url = self.config.section("project").get("repo_url")
            planner = ArgoPlanner(self.charts, repo_identities(self.root, repo_url), self.all_files)
            jobs += planner.plan(argo)
            self.notes = [Note(message, path) for path, message in dict.fromkeys(planner.notes)]  # once each
        return jobs

    def _kustomize_jobs(self, rel_paths: list[str]) -> list[RenderJob]:
        """A kustomization folder given as a path below the root, and each `inputs.kustomizations` entry. The
        repository root's own kustomization renders only when configured: it usually gathers the committed
        manifests, which are linted as they are (and without kubectl as before)."""
        configured = {}
        for number, entry in enumerate(self.config.section("inputs").get("kustomizations", [])):
            directory = join(str(entry["path"]))
            if self._kustomization_file(directory) is None:
                raise ConfigError(f"{self._config_at('kustomizations', number)}: inputs.kustomizations: "
                                  f"{entry['path']} holds no kustomization.yaml (kustomization.yml, Kustomization)")
            configured.setdefault(directory, entry)
        pointed = [join(p) for p in rel_paths if join(p) and not join(p).startswith("../")]
        pointed = [d for d in pointed if d not in configured and self.charts.chart(d) is None
                   and self._kustomization_file(d) is not None]
        entries = [(d, {}) for d in dict.fromkeys(pointed)] + list(configured.items())
        return [self._kustomize_job(directory, entry) for directory, entry in entries]

    def _kustomize_job(self, directory: str, entry: dict) -> RenderJob:
        from .render import RenderJob

        return RenderJob(label=f"kustomization {directory or '.'}", kind="kustomize", chart_dir=directory,
                         anchor=Location(join(directory, self._kustomization_file(directory)), 1, 1),
                         namespace=str(entry.get("namespace") or ""), environment=str(entry.get("name") or ""),
                         production=bool(entry.get("production", True)))

    def _kustomization_file(self, directory: str) -> str | None:
        return next((name for name in KUSTOMIZATION_FILES if self.charts.is_file(join(directory, name))), None)

    def _config_at(self, key: str, number: int) -> str:
        """`file:line` of an inputs entry, when the entry is written in the configuration file itself."""
        entries = dig(self.config.positions, "inputs", key) if isinstance(self.config.positions, dict) else None
        if isinstance(entries, YSeq) and number < len(entries):
            return f"{self.config.path}:{entries.ipos[number][0]}"
        return str(self.config.path)

    def _chart_job(self, directory, release, namespace, values, sets, environment, production) -> RenderJob:
        from .render import RenderJob

        chart = self.charts.chart(directory)
        release = release or (chart.name if chart else "release")
        where = directory or "."
        anchor = Location(join(directory, "Chart.yaml"), 1, 1)
        return RenderJob(label=f"release {release} of {where}", kind="helm", chart_dir=directory, anchor=anchor,
                         release=str(release), namespace=str(namespace or "default"), environment=environment,
                         production=production, value_files=values, set_values=sets)

    def _repo_path(self, path: str, option: str) -> str:
        full = os.path.realpath(os.path.join(self.options.cwd or os.getcwd(), path))
        root = os.path.realpath(self.root)
        if not os.path.exists(full):
            raise ConfigError(f"{path}: no such file or directory ({option})")
        if not (full == root or full.startswith(root + os.sep)):
            raise ConfigError(f"{path}: outside the repository ({option})")
        return join(os.path.relpath(full, root).replace(os.sep, "/"))

    # -- rendering ---------------------------------------------------------------------------------------

    def render_into(self, loader, jobs: list[RenderJob]) -> None:
        """Render every job and load its output as manifests that belong to the job."""
        loader.notes.extend(self.notes)
        if not jobs:
            return
        if self.options.no_render:
            what = "chart render" if all(job.kind == "helm" for job in jobs) else "render"
            loader.notes.append(Note(f"{len(jobs)} {what}{'s' if len(jobs) != 1 else ''} skipped "
                                     "(--no-render): " + ", ".join(sorted({j.label for j in jobs})) + "."))
            self.failed = [(job, "rendering was turned off with --no-render") for job in jobs]
            return
        from .render import find_tools, render  # the render machinery only when there is something to render

        helm_section = self.config.section("helm")
        tools = find_tools(self.options.helm_bin, helm_section.get("timeout_seconds"))
        if self.options.helm_bin and tools.helm is None:
            raise ConfigError(f"{self.options.helm_bin}: helm executable not found (--helm-bin)")
        rendered_dirs = set()
        done: dict[tuple, tuple] = {}  # render inputs -> (text, problem): renders run one after another
        labelled: dict[tuple, RenderJob] = {}
        for number, job in enumerate(jobs, start=1):
            key = _inputs(job)
            twin = labelled.setdefault((job.label, key), job)
            if twin is not job:  # the same Application twice (two ApplicationSets of one name): render it once
                if job.anchor != twin.anchor and job.anchor not in twin.also:
                    twin.also.append(job.anchor)
                continue
            if key not in done:
                done[key] = render(job, self.charts, tools)
            text, problem = done[key]
            if text is None:
                self.failed.append((job, problem))
                loader.notes.append(Note(f"{job.label} not rendered: {problem}.", job.anchor.path))
                continue
            path = f"<{job.label}: {job.kind} output {number}>"
            self.renders[path] = job
            rendered_dirs.add(job.chart_dir)
            rendered_dirs.update(self._local_dependencies(job.chart_dir))
            loader.load_file(path, text, entry={"name": job.environment, "namespace": job.namespace,
                                                "production": job.production})
            loader.texts.pop(path, None)  # its comments are the templates' own
        loader.notes[:] = [n for n in loader.notes if not (n.kind == "template" and _under(n.path, rendered_dirs))]
        self._read_kustomize_resources(loader)
        self._supersede_kustomize_sources(loader.objects)

    def _kustomize_files(self, job: RenderJob):
        """The resource and patch files a rendered kustomization reads (kustomize_tree.read_files), once."""
        if id(job) not in self._read:
            from .kustomize_tree import read_files

            self._read[id(job)] = read_files(self.root, job.chart_dir, job.kustomize.get("components", ()),
                                             job.kustomize.get("patches", ()))
        return self._read[id(job)]

    def _read_kustomize_resources(self, loader) -> None:
        """Resource files of a rendered kustomization that the linted paths leave out (`readylint check
        overlays/prod` lists no `base/`) are read as context: the render's findings land on their lines, and
        their `# readylint:` comments apply. They are never judged on their own."""
        loaded = {obj.path for obj in loader.objects} | set(self.files)
        for job in [job for job in self.renders.values() if job.kind == "kustomize"]:
            for path in sorted(self._kustomize_files(job).resources - loaded):
                loaded.add(path)
                first = len(loader.objects)
                loader.load_file(path)
                for obj in loader.objects[first:]:
                    obj.production = False

    def _supersede_kustomize_sources(self, objects) -> None:
        """A committed object that a kustomize render deploys (renamed, patched, its replicas or images set by
        the Application) is judged as rendered; read on its own it is context, not a second deployment. So are
        the kustomization's patch files: pieces of the render, never objects of their own."""
        if not any(job.kind == "kustomize" for job in self.renders.values()):
            return
        from .locate import kustomize_source

        by_path: dict[str, list] = {}
        for obj in objects:
            by_path.setdefault(obj.path, []).append(obj)
        for path, job in self.renders.items():
            if job.kind != "kustomize":
                continue
            files = self._kustomize_files(job)
            sources = [o for file in sorted(files.resources) for o in by_path.get(file, ())]
            for obj in by_path.get(path, ()):
                source = kustomize_source(obj, sources, job.chart_dir)
                if source is not None:
                    source.production = False
            for obj in (o for file in files.patches for o in by_path.get(file, ())):
                obj.production = False

    def _local_dependencies(self, directory: str, trail: tuple = ()) -> list[str]:
        """The `file://` charts a render reads, and theirs in turn (their templates were rendered too)."""
        chart = self.charts.chart(directory)
        found = []
        for dep in chart.dependencies if chart else ():
            local = join(directory, dep.repository[len("file://"):]) if dep.repository.startswith("file://") else None
            if local is not None and local not in trail and not local.startswith("../"):
                found += [local] + self._local_dependencies(local, trail + (directory, local))
        vendored = os.path.join(self.root, directory, "charts")
        for entry in sorted(os.listdir(vendored)) if os.path.isdir(vendored) else ():
            sub = join(directory, "charts", entry)
            if sub not in trail and self.charts.chart(sub) is not None:
                found += self._local_dependencies(sub, trail + (directory, sub))
        return found

    # -- mapping -----------------------------------------------------------------------------------------

    def mapper(self, objects, chart_for) -> None:
        """Build the map from rendered locations to templates, when anything was rendered at all: most
        repositories commit plain manifests, and their runs never load the mapping machinery."""
        if not self.renders and not any(obj.source for obj in objects):
            return
        from .locate import SourceMap

        self.source_map = SourceMap(self.root, self.charts, objects, self.renders, chart_for)
        self.source_map.resolve_all()

    def remap(self, findings: list) -> list:
        if self.source_map is None:
            return findings
        from .locate import remap_finding

        return [remap_finding(f, self.source_map) for f in findings]

    def remap_outcomes(self, outcomes: dict) -> dict:
        if self.source_map is None or not self.source_map.any:
            return outcomes
        from .locate import remap_outcome

        return {code: [remap_outcome(o, self.source_map) for o in items] for code, items in outcomes.items()}

    def primary(self, location: Location) -> Location:
        """Where a location of rendered output belongs in the repository (itself when nothing was rendered)."""
        return self.source_map.primary(location) if self.source_map is not None else location

    def template_texts(self) -> dict[str, str]:
        """Texts of the templates that rendered output was mapped to (for their `# readylint:` comments)."""
        return self.source_map.template_texts() if self.source_map is not None else {}

    def unavailable(self, meta) -> list:
        """Evidence-unavailable outcomes of a manifest rule for every render that could not run."""
        letters = {part.strip() for part in (meta.evidence or "").split(",")}
        if not self.failed or not letters & set(RENDERED_EVIDENCE):
            return []
        out = []
        for job, problem in self.failed:
            subject = Subject(key=f"render:{job.label}", display=job.label, location=job.anchor)
            out.append(subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{job.label} was not rendered: {problem}"))
        return out


def _inputs(job: RenderJob) -> tuple:
    """What a render's output depends on: several Applications that render the same chart with the same
    inputs share one `helm template` run (each still gets its own copy of the output, under its own label)."""
    return (job.kind, job.chart_dir, job.release, job.namespace, tuple(job.value_files), tuple(job.value_texts),
            json.dumps([data for _, data in job.value_objects], sort_keys=True, default=str),
            tuple(job.set_values), tuple(job.set_strings), tuple(job.set_files), tuple(job.flags), job.problem,
            json.dumps(job.kustomize, sort_keys=True))


def _under(path: str | None, directories: set[str]) -> bool:
    return bool(path) and any(not d or path.startswith(d + "/") for d in directories)
