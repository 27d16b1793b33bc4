"""Chart directories of the repository, and `# Source:` paths resolved to their template files.

A rendered document names its template `<chart>/templates/<file>` (subcharts:
`<chart>/charts/<sub>/templates/<file>`). The chart is the input's `chart` directory, else the
directory whose Chart.yaml has that name (the one nearest the rendered file when several have it);
a subchart is `charts/<sub>/` or a local `file://` dependency (rules.md 0.7).
"""
from __future__ import annotations

import os
import posixpath
from typing import NamedTuple

from ..inputs.files import read_text
from ..inputs.yaml_docs import YMap, YSeq, load_stream

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")  # what kustomize build reads

MAX_CHART_FILE_BYTES = 1024 * 1024


class Dependency(NamedTuple):
    """A `dependencies:` entry of Chart.yaml."""

    name: str
    alias: str
    repository: str
    enabled_by: str  # the `condition:` values path, when any


class Chart(NamedTuple):
    """A chart of the repository: its folder, name and dependencies."""

    directory: str  # repo-relative; "" is the repository root
    name: str
    dependencies: tuple = ()


class Template(NamedTuple):
    """A template file in the repository and the charts whose values reach it.

    ``scopes`` lists (chart directory, values prefix) from the template's own chart (prefix "") out to
    the chart that was rendered (prefix "sub." or "sub.inner."): outer values win.
    """

    path: str
    scopes: tuple

    @property
    def chart(self) -> str:
        return self.scopes[0][0]


def join(directory: str, *parts: str) -> str:
    path = posixpath.normpath(posixpath.join(directory or ".", *parts))
    return "" if path == "." else path


class ChartIndex:
    """Charts by directory and by name; listing the whole repository only when a name is needed."""

    def __init__(self, root: str, files, list_all=None):
        self.root = os.path.abspath(root)
        self._files = files
        self._list_all = list_all
        self._charts: dict[str, Chart | None] = {}
        self._by_name: dict[str, list[str]] | None = None
        self._resolved: dict[tuple, Template | None] = {}

    # -- files -------------------------------------------------------------------------------------------

    def is_file(self, path: str) -> bool:
        """A regular file inside the repository (links leaving it do not count)."""
        if not path or path.startswith("../") or os.path.isabs(path):
            return False
        full = os.path.join(self.root, path)
        if not os.path.isfile(full):
            return False
        real = os.path.realpath(full)
        return real.startswith(os.path.realpath(self.root) + os.sep)

    def is_dir(self, path: str) -> bool:
        return not path.startswith("../") and os.path.isdir(os.path.join(self.root, path or "."))

    # -- charts ------------------------------------------------------------------------------------------

    def chart(self, directory: str) -> Chart | None:
        """The chart whose Chart.yaml is in ``directory``, or None."""
        if directory in self._charts:
            return self._charts[directory]
        found = None
        path = join(directory, "Chart.yaml")
        if self.is_file(path):
            text, problem = read_text(os.path.join(self.root, path), MAX_CHART_FILE_BYTES)
            data = None
            if problem is None:
                docs = [d for d in load_stream(text).documents if d.data is not None]
                data = docs[0].data if docs else None
            if isinstance(data, YMap) and isinstance(data.get("name"), str):
                found = Chart(directory, data["name"], tuple(_dependencies(data.get("dependencies"))))
        self._charts[directory] = found
        return found

    def named(self, name: str) -> list[str]:
        """Directories whose Chart.yaml has ``name``, from the listed files, else the whole repository."""
        if self._by_name is None:
            self._by_name = self._index(self._files)
        if name not in self._by_name and self._list_all is not None:
            self._by_name = self._index(self._list_all())
            self._list_all = None
        return self._by_name.get(name, [])

    def _index(self, files) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for path in files:
            if path == "Chart.yaml" or path.endswith("/Chart.yaml"):
                chart = self.chart(posixpath.dirname(path))
                if chart is not None:
                    out.setdefault(chart.name, []).append(chart.directory)
        return out

    def subchart(self, directory: str, name: str) -> str | None:
        """The directory of subchart ``name`` of the chart in ``directory``: vendored, or `file://`."""
        vendored = join(directory, "charts", name)
        if self.chart(vendored) is not None:
            return vendored
        chart = self.chart(directory)
        for dep in chart.dependencies if chart else ():
            if (dep.alias or dep.name) != name:
                continue
            if dep.alias and self.chart(join(directory, "charts", dep.name)) is not None:
                return join(directory, "charts", dep.name)  # an aliased vendored chart keeps its folder name
            if dep.repository.startswith("file://"):
                local = join(directory, dep.repository[len("file://"):])
                if not local.startswith("../") and self.chart(local) is not None:
                    return local
        return None

    # -- templates ---------------------------------------------------------------------------------------

    def resolve(self, source: str, chart_dir: str | None = None, near: str = "") -> Template | None:
        """The repository template a `# Source:` path names, or None when it is not in the repository."""
        key = (source, chart_dir, posixpath.dirname(near))
        if key not in self._resolved:
            self._resolved[key] = self._resolve(source, chart_dir, near)
        return self._resolved[key]

    def _resolve(self, source, chart_dir, near) -> Template | None:
        parts = source.strip().split("/")
        if len(parts) < 3:
            return None
        if chart_dir is not None:
            top = join(chart_dir)
        else:
            candidates = self.named(parts[0])
            if not candidates:
                return None
            top = _nearest(candidates, near)
            if top is None:
                return None
        dirs, subs = [top], []
        i = 1
        while i + 2 < len(parts) and parts[i] == "charts":
            directory = self.subchart(dirs[-1], parts[i + 1])
            if directory is None:
                return None
            dirs.append(directory)
            subs.append(parts[i + 1])
            i += 2
        # innermost chart first with no prefix; each outer chart reaches it under `<sub>.<inner>.`
        scopes = [(dirs[k], "".join(s + "." for s in subs[k:])) for k in range(len(dirs) - 1, -1, -1)]
        directory = dirs[-1]
        path = join(directory, *parts[i:])
        return Template(path, tuple(scopes)) if self.is_file(path) else None


def _nearest(candidates: list[str], near: str) -> str | None:
    """The chart directory sharing the longest folder prefix with ``near``; None on a tie."""
    if len(candidates) == 1:
        return candidates[0]
    here = near.split("/")[:-1]

    def shared(directory):
        count = 0
        for a, b in zip(directory.split("/") if directory else [], here):
            if a != b:
                break
            count += 1
        return count

    ranked = sorted(candidates, key=shared, reverse=True)
    return ranked[0] if shared(ranked[0]) > shared(ranked[1]) else None


def _dependencies(value):
    for item in value if isinstance(value, YSeq) else ():
        if isinstance(item, YMap) and isinstance(item.get("name"), str):
            yield Dependency(item["name"], str(item.get("alias") or ""), str(item.get("repository") or ""),
                             str(item.get("condition") or ""))
