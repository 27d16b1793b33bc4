"""Run `helm template` (or kustomize) on a chart of the repository, offline and with a time limit.

This is the only place readylint executes a tool on the scanned repository, and only on charts the
user pointed at (a chart folder given as a path, `--helm-chart`, `inputs.charts`, or the Helm or
kustomize source of an Argo CD Application in the repository). Nothing is fetched: dependencies
that are not vendored in `charts/` (or local `file://` charts, at any depth) are reported instead,
and Helm's cache, config and plugin folders point into an empty temporary folder.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from ..findings import Location
from . import kustomize_options
from .sources import KUSTOMIZATION_FILES, ChartIndex, join

DEFAULT_TIMEOUT_SECONDS = 60


@dataclass
class RenderJob:
    """One render: which chart or kustomization, with which values, and on whose behalf."""

    label: str  # "Application argocd/shop-prod", "release checkout of charts/shop"
    kind: str  # "helm" or "kustomize"
    chart_dir: str  # repo-relative folder
    anchor: Location  # where findings without a template go (the Application, Chart.yaml line 1)
    release: str = "release"
    namespace: str = "default"
    environment: str = ""
    production: bool = True
    value_files: list = field(default_factory=list)  # repo-relative, in precedence order
    value_objects: list = field(default_factory=list)  # (repo path, YMap) of inline values with positions
    value_texts: list = field(default_factory=list)  # inline values YAML text
    set_values: list = field(default_factory=list)  # "key=value"
    set_strings: list = field(default_factory=list)
    set_files: list = field(default_factory=list)  # (name, repo-relative file) for --set-file
    flags: list = field(default_factory=list)  # further helm template flags (--skip-tests, --kube-version …)
    problem: str | None = None  # why this job cannot be rendered (found while planning it)
    also: list = field(default_factory=list)  # further places that define this very render (a twin ApplicationSet)
    kustomize: dict = field(default_factory=dict)  # an Application's kustomize options (kustomize_options.plan)
    kustomize_at: dict = field(default_factory=dict)  # where the Application sets them (kustomize_options.positions)


@dataclass
class Tools:
    helm: str | None
    kustomize: list | None  # the command that builds a folder, without the folder
    timeout: float = DEFAULT_TIMEOUT_SECONDS


def find_tools(helm_bin: str | None, timeout: float | None) -> Tools:
    helm = shutil.which(helm_bin) if helm_bin else shutil.which("helm")
    if helm_bin and helm is None and os.path.isfile(helm_bin) and os.access(helm_bin, os.X_OK):
        helm = os.path.abspath(helm_bin)
    kustomize = None
    if shutil.which("kustomize"):
        kustomize = [shutil.which("kustomize"), "build"]
    elif shutil.which("kubectl"):
        kustomize = [shutil.which("kubectl"), "kustomize"]
    return Tools(helm, kustomize, float(timeout or DEFAULT_TIMEOUT_SECONDS))


def render(job: RenderJob, charts: ChartIndex, tools: Tools) -> tuple[str | None, str | None]:
    """(rendered text, None) or (None, why it was not rendered)."""
    if job.problem:
        return None, job.problem
    if not charts.is_dir(job.chart_dir):
        return None, f"{job.chart_dir or '.'} is not a folder of this repository"
    with tempfile.TemporaryDirectory(prefix="readylint-render-") as scratch:
        if job.kind == "kustomize":
            return _kustomize(job, charts, tools, scratch)
        return _helm(job, charts, tools, scratch)


def _helm(job, charts: ChartIndex, tools: Tools, scratch: str):
    if tools.helm is None:
        return None, "helm was not found on PATH (install Helm or pass --helm-bin)"
    chart = charts.chart(job.chart_dir)
    if chart is None:
        return None, f"{join(job.chart_dir, 'Chart.yaml')} is missing or has no name"
    chart_path, problem = _with_local_dependencies(chart, charts, scratch)
    if problem:
        return None, problem
    command = [tools.helm, "template", job.release, chart_path, "--namespace", job.namespace]
    for path in job.value_files:
        if not charts.is_file(path):
            return None, f"values file {path} is not in the repository"
        command += ["--values", os.path.join(charts.root, path)]
    inline = [text for text in job.value_texts if text.strip()]
    inline += [json.dumps(data) for _, data in job.value_objects]
    for number, text in enumerate(inline):
        path = os.path.join(scratch, f"inline-values-{number}.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        command += ["--values", path]
    for item in job.set_values:
        command += ["--set", item]
    for item in job.set_strings:
        command += ["--set-string", item]
    for name, path in job.set_files:
        if not charts.is_file(path):
            return None, f"file parameter {path} is not in the repository"
        command += ["--set-file", f"{name}={os.path.join(charts.root, path)}"]
    command += job.flags
    return _run(command, tools.timeout, scratch, "helm template", charts.root)


def _with_local_dependencies(chart, charts: ChartIndex, scratch: str) -> tuple[str, str | None]:
    """The chart folder to render: itself, or a linked copy whose charts/ also holds its `file://`
    dependencies, and theirs in turn (what `helm dependency build` would package, without fetching)."""
    missing: dict[str, list[str]] = {}
    path = _prepare(chart, charts, os.path.join(scratch, "chart"), missing, (chart.directory,))
    if missing:
        return "", "; ".join(
            f"chart dependencies not vendored in {join(directory, 'charts')}/: {', '.join(names)}"
            for directory, names in missing.items()) + \
            "; readylint does not fetch them (run `helm dependency build` and commit charts/)"
    return path, None


def _prepare(chart, charts: ChartIndex, scratch: str, missing: dict, trail: tuple) -> str:
    """The folder helm reads for ``chart``: its own when nothing below it needs a local dependency linked in."""
    source = os.path.join(charts.root, chart.directory or ".")
    links: dict[str, str] = {}  # entry of charts/ -> folder to link there instead
    for entry in _listdir(os.path.join(source, "charts")):
        sub = charts.chart(join(chart.directory, "charts", entry))
        if sub is not None and sub.directory not in trail:
            prepared = _prepare(sub, charts, scratch, missing, trail + (sub.directory,))
            if prepared != os.path.join(charts.root, sub.directory):
                links[entry] = prepared
    for dep in chart.dependencies:
        vendored = os.path.isdir(os.path.join(source, "charts", dep.name)) or any(
            entry.startswith(dep.name + "-") and entry.endswith(".tgz")
            for entry in _listdir(os.path.join(source, "charts")))
        if vendored or dep.name in links:
            continue
        if dep.repository.startswith("file://"):
            directory = join(chart.directory, dep.repository[len("file://"):])
            sub = charts.chart(directory) if not directory.startswith("../") else None
            if sub is not None and directory not in trail:
                links[dep.name] = _prepare(sub, charts, scratch, missing, trail + (directory,))
                continue
        missing.setdefault(chart.directory, []).append(f"{dep.name} ({dep.repository or 'no repository'})")
    if not links:
        return source
    os.makedirs(scratch, exist_ok=True)
    linked = os.path.join(scratch, str(len(os.listdir(scratch))), os.path.basename(os.path.abspath(source)) or "chart")
    os.makedirs(os.path.join(linked, "charts"))
    for entry in _listdir(source):
        if entry != "charts":
            os.symlink(os.path.join(source, entry), os.path.join(linked, entry))
    for entry in _listdir(os.path.join(source, "charts")):
        os.symlink(links.pop(entry, os.path.join(source, "charts", entry)), os.path.join(linked, "charts", entry))
    for entry, folder in links.items():
        os.symlink(folder, os.path.join(linked, "charts", entry))
    return linked


def _kustomize(job, charts: ChartIndex, tools: Tools, scratch: str):
    if tools.kustomize is None:
        return None, "neither kustomize nor kubectl was found on PATH"
    name = next((n for n in KUSTOMIZATION_FILES if charts.is_file(join(job.chart_dir, n))), None)
    if name is None:
        return None, f"{job.chart_dir} holds no kustomization.yaml"
    from .kustomize_tree import read_files  # the whole tree it reaches: nothing in it may be remote

    remote = read_files(charts.root, job.chart_dir, (job.kustomize or {}).get("components", ()),
                        (job.kustomize or {}).get("patches", ())).remote
    if remote:
        where, line = remote[0]
        return None, f"{where} refers to remote resources ({line}); readylint does not fetch them"
    folder = os.path.join(charts.root, job.chart_dir)
    if job.kustomize:  # Argo CD edits a copy of the folder, then builds it
        why = kustomize_options.unreadable(job.kustomize, job.chart_dir)
        if why:
            return None, why
        try:
            folder = kustomize_options.prepare(charts.root, job.chart_dir, name, job.kustomize, scratch)
        except kustomize_options.EditError as why:
            return None, f"the kustomize options cannot be applied: {why}"
        except OSError as exc:
            return None, f"the kustomize options cannot be applied: {exc.strerror or exc}"
    return _run(tools.kustomize + [folder], tools.timeout, scratch, "kustomize build", charts.root)


# Every proxy points at a closed local port and git may only read local files: should a render still try to
# fetch something readylint did not see coming, it fails instead of reaching the network.
NO_NETWORK = {**{name: "http://127.0.0.1:9" for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
                                                          "https_proxy", "all_proxy")},
              "NO_PROXY": "", "no_proxy": "", "GIT_ALLOW_PROTOCOL": "file", "GIT_TERMINAL_PROMPT": "0"}


def _run(command, timeout, scratch, what, root) -> tuple[str | None, str | None]:
    home = os.path.join(scratch, "home")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "HELM_CACHE_HOME": os.path.join(home, "cache"),
           "HELM_CONFIG_HOME": os.path.join(home, "config"), "HELM_DATA_HOME": os.path.join(home, "data"),
           "HELM_PLUGINS": os.path.join(home, "plugins"), "KUBECONFIG": os.path.join(home, "kubeconfig"),
           "LANG": "C.UTF-8", **NO_NETWORK}
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, env=env, cwd=scratch,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return None, f"{what} did not finish within {timeout:g} seconds (helm.timeout_seconds)"
    except OSError as exc:
        return None, f"{what} could not be started: {exc.strerror or exc}"
    if done.returncode != 0:
        return None, f"{what} failed: {_first_error(_as_shown(done.stderr.decode('utf-8', 'replace'), scratch, root))}"
    return done.stdout.decode("utf-8", "replace"), None


def _as_shown(text: str, scratch: str, root: str) -> str:
    """A tool's message with repository-relative paths and the scratch copy named as such, so the same failure
    reads the same on every run (reports and baselines stay byte-identical)."""
    for folder in {scratch, os.path.realpath(scratch)}:
        text = text.replace(folder, "<scratch copy>")
    for folder in {root, os.path.realpath(root)}:
        if folder.rstrip(os.sep):
            text = text.replace(folder.rstrip(os.sep) + os.sep, "")
    return text


KLOG_PREFIX = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\] ")  # kubectl's log header


def _first_error(stderr: str) -> str:
    lines = [KLOG_PREFIX.sub("", line.strip()) for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")] or [
        line for line in lines if not line.startswith(("level=INFO", "level=WARN", "walk.go"))] or lines
    text = errors[0].removeprefix("Error:").strip() if errors else "no error message"
    return text if len(text) <= 300 else text[:297] + "..."


def _listdir(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []
