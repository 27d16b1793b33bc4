"""Move finding locations from rendered output onto the repository files that caused them.

A location inside a rendered document whose `# Source:` template is in the repository moves to the
template's best matching line; the rendered position follows as the first related location (or, for
output readylint rendered itself, as `properties.renderedLocation`), then the values line that sets
the value. Output rendered by readylint always ends up on a repository file: the template, else the
Application or chart that was rendered.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace

from ..findings import Location, Related
from ..inputs.files import read_text
from ..inputs.yaml_docs import YMap, load_stream
from ..merge import MERGE_KEY
from . import helpers, mapping, scopes
from .sources import ChartIndex, join

MAX_TEMPLATE_BYTES = 4 * 1024 * 1024
RENDERED_MESSAGE = "The rendered object, as Kubernetes receives it."
MAX_HELPER_DEPTH = 3  # helpers that include helpers


@dataclass
class Mapped:
    primary: Location
    related: list = field(default_factory=list)
    properties: dict = field(default_factory=dict)
    merge_key: tuple | None = None
    origin: str = ""  # the render's label (an Application, a release) or the rendered file


@dataclass
class _Doc:
    start: int
    obj: object
    of_source: int
    of_kind: int


class SourceMap:
    """Maps locations of rendered files (committed or rendered by readylint) to repository files."""

    def __init__(self, root: str, charts: ChartIndex, objects, renders: dict, chart_for=None):
        self.root = root
        self.charts = charts
        self.renders = renders  # virtual path -> RenderJob
        self.chart_for = chart_for or (lambda path: None)
        self._docs: dict[str, list[_Doc]] = {}
        self._lines: dict[str, list[str] | None] = {}
        self._values: dict[str, object] = {}
        self.templates: set[str] = set()  # templates some location was mapped to
        self.helpers = helpers.Helpers(charts, self._template_lines)
        self._committed: dict[str, list] = {}  # kind -> objects read from repository files (kustomize sources)
        self._read: dict[int, set] = {}  # id(kustomize job) -> the resource files its kustomization lists
        counts: dict[tuple, int] = {}
        rendered = {obj.path for obj in objects if obj.source} | set(renders)
        if any(job.kind == "kustomize" for job in renders.values()):
            for obj in objects:
                if obj.path not in renders:
                    self._committed.setdefault(obj.kind, []).append(obj)
        for obj in objects:
            if obj.path not in rendered:
                continue
            of_source = counts.get((obj.path, obj.source), 0)
            of_kind = counts.get((obj.path, obj.source, obj.kind), 0)
            counts[(obj.path, obj.source)] = of_source + 1
            counts[(obj.path, obj.source, obj.kind)] = of_kind + 1
            self._docs.setdefault(obj.path, []).append(_Doc(obj.doc_line, obj, of_source, of_kind))
        for docs in self._docs.values():
            docs.sort(key=lambda d: d.start)

    # -- public ------------------------------------------------------------------------------------------

    @property
    def any(self) -> bool:
        """Whether any rendered file was read at all (most repositories have none)."""
        return bool(self._docs or self.renders)

    def covers(self, path: str) -> bool:
        return path in self._docs or path in self.renders

    def map(self, loc: Location) -> Mapped | None:
        """Where ``loc`` belongs in the repository, or None when it already is a repository location."""
        docs = self._docs.get(loc.path)
        job = self.renders.get(loc.path)
        if docs is None and job is None:
            return None
        doc = _containing(docs or [], loc.line)
        origin = job.label if job is not None else loc.path
        mapped = self._to_template(loc, doc, job) if doc is not None and doc.obj.source else None
        if mapped is None and doc is not None and job is not None and job.kind == "kustomize":
            mapped = self._to_resource(loc, doc.obj, job)
        if mapped is None and job is None:
            return None
        if mapped is None:
            mapped = Mapped(job.anchor)
        mapped.origin = origin
        if job is not None:
            mapped.related += [Related(anchor, f"Rendered for {job.label}.") for anchor in [job.anchor, *job.also]]
            where = {"render": job.label, "line": loc.line, "column": loc.col}
            if doc is not None and doc.obj.source:
                where["source"] = doc.obj.source
            mapped.properties["renderedLocation"] = where
        else:
            if not loc.path.startswith("<"):  # standard input is no file to point at
                mapped.related.insert(0, Related(loc, RENDERED_MESSAGE))
            mapped.properties["renderedLocation"] = {"path": loc.path, "line": loc.line, "column": loc.col}
        return mapped

    def primary(self, loc: Location) -> Location:
        mapped = self.map(loc)
        return mapped.primary if mapped is not None else loc

    def template_texts(self) -> dict[str, str]:
        """Text of every template a location was mapped to (for their `# readylint:` comments)."""
        return {p: "\n".join(self._lines[p]) for p in sorted(self.templates) if self._lines.get(p)}

    def resolve_all(self) -> None:
        """Resolve the template of every rendered document, so comments in any of them are known."""
        for path, docs in self._docs.items():
            for doc in docs:
                if doc.obj.source:
                    template = self._template(path, doc.obj.source)
                    if template is not None and self._template_lines(template.path) is not None:
                        self.templates.add(template.path)

    # -- helpers -----------------------------------------------------------------------------------------

    def _template(self, path, source):
        job = self.renders.get(path)
        chart_dir = job.chart_dir if job is not None and job.kind == "helm" else self.chart_for(path)
        return self.charts.resolve(source, chart_dir, near=path if job is None else job.anchor.path)

    def _to_template(self, loc: Location, doc: _Doc, job) -> Mapped | None:
        template = self._template(loc.path, doc.obj.source)
        lines = self._template_lines(template.path) if template is not None else None
        if lines is None:
            return None
        self.templates.add(template.path)
        obj = doc.obj
        segments = mapping.key_path_at(obj.data, loc.line, loc.col) or []
        section = mapping.pick_section(lines, obj.kind, doc.of_kind, doc.of_source)
        best = mapping.best_line(lines, section, segments, obj.kind)
        where, where_lines, start, dot = template.path, lines, 0, scopes.ROOT
        if best.depth < len(segments):
            deeper = self._in_helpers(lines, section, best, segments, template, MAX_HELPER_DEPTH)
            if deeper is not None:
                where, where_lines, start, dot, best = deeper
                self.templates.add(where)
        mapped = Mapped(Location(where, best.line, best.col, best.end_col))
        mapped.merge_key = (template.path, section, doc.of_source, tuple(map(str, segments)))
        paths = mapping.values_paths(where_lines, best.line, start, dot) if best.line else []
        if len(paths) == 1:
            found = self._values_line(paths[0], template, job, _node(obj.data, segments[:best.depth]))
            if found is not None:
                mapped.related.append(Related(found[0], f"`.Values.{found[1]}` is set here."))
        return mapped

    def _in_helpers(self, lines, region, best, segments, template, budget):
        """(file, its lines, define start, dot, Line) where an `include`d helper writes the rest of the key
        path: the calls in the block of the matched line (the whole document when nothing matched)."""
        if budget <= 0:
            return None
        first, last = region
        if best.depth:
            first = best.line - 1
            indent = len(lines[first]) - len(lines[first].lstrip(" "))
            end = first + 1
            while end <= last and (not mapping._is_yaml(lines[end]) or mapping._indent(lines[end]) > indent):
                end += 1
            last = end - 1
        for name, argument in helpers.calls(lines, first, last):
            found = self.helpers.find(name, [directory for directory, _ in template.scopes])
            body = self._template_lines(found[0]) if found is not None else None
            if body is None:
                continue
            path, start, end = found
            rest = segments[best.depth:]
            sub = mapping.walk(body, (start, end), rest)
            if sub is not None:
                line = mapping.Line(sub.line, sub.col, sub.end_col, best.depth + sub.depth)
                return path, body, start, _argument_dot(argument), line
            nested = self._in_helpers(body, (start, end), mapping.Line(0, 0, None, best.depth), segments, template,
                                      budget - 1)
            if nested is not None:
                return nested
        return None

    def _to_resource(self, loc: Location, obj, job) -> Mapped | None:
        """Kustomize output names no source: the repository object it comes from (`kustomize_source`, among
        the files the kustomization lists, else any), at the same key; the Application option that set the
        value there (the replica count) follows as a related location."""
        from . import kustomize_tree  # only runs when a kustomization was rendered

        committed = self._committed.get(obj.kind, ())
        if id(job) not in self._read:
            self._read[id(job)] = kustomize_tree.read_files(self.root, job.chart_dir, job.kustomize.get(
                "components", ())).resources
        listed = [o for o in committed if o.path in self._read[id(job)]]
        best = kustomize_source(obj, listed or committed, job.chart_dir)  # its resources, else any file
        if best is None:
            return None
        segments = mapping.key_path_at(obj.data, loc.line, loc.col) or []
        at = best.at(*segments) if segments else best.name_at()
        mapped = Mapped(at)
        option = _set_by_application(job, best, segments)
        if option is not None:
            mapped.related.append(Related(option[0], f"`{option[1]}` of {job.label} sets it here."))
        mapped.merge_key = (best.path, best.doc_index, tuple(map(str, segments)))
        return mapped

    def _template_lines(self, path: str):
        if path not in self._lines:
            text, problem = read_text(os.path.join(self.root, path), MAX_TEMPLATE_BYTES)
            self._lines[path] = text.splitlines() if problem is None else None
        return self._lines[path]

    def _values_line(self, path: str, template, job, rendered) -> tuple[Location, str] | None:
        """(values line, the path it sets) of the highest-precedence values layer that sets ``path`` (render
        inputs, then the charts' files), when what it sets is what was rendered: a committed render may have
        used other values."""
        layers = [(join(directory, "values.yaml"), prefix) for directory, prefix in template.scopes]
        outer = template.scopes[-1][1]
        if job is not None:
            layers += [(file, outer) for file in job.value_files]
            layers += [(source, outer) for source in job.value_objects]
        for source, prefix in reversed(layers):
            data, shown = self._values_data(source)
            found = mapping.values_key_lines(data, prefix + path) if data is not None else []
            if found:  # this layer decides; of a `range`d list, the one element that was rendered here
                same = [(pos, concrete) for pos, value, concrete in found if _same(value, rendered)]
                if len(same) != 1:
                    return None
                (line, col, end_col), concrete = same[0]
                return Location(shown, line, col, end_col), concrete[len(prefix):]
        return None

    def _values_data(self, source):
        """A values file (repo path) or an inline values mapping ((path, YMap) of an Application)."""
        if isinstance(source, tuple):
            return source[1], source[0]
        if source not in self._values:
            data = None
            if self.charts.is_file(source):
                text, problem = read_text(os.path.join(self.root, source), MAX_TEMPLATE_BYTES)
                docs = [d for d in load_stream(text).documents if d.data is not None] if problem is None else []
                data = docs[0].data if docs and isinstance(docs[0].data, YMap) else None
            self._values[source] = data
        return self._values[source], source


def _set_by_application(job, source, segments) -> tuple | None:
    """(Location, option) of the Application's kustomize option that sets the key at ``segments`` of a
    rendered object whose repository source is ``source`` (today: its replica count)."""
    found = job.kustomize_at.get(("replicas", source.name)) if segments[:2] == ["spec", "replicas"] else None
    return (found, "kustomize.replicas") if found else None


def _argument_dot(argument: str):
    """The dot inside a helper called with ``argument``: the root context, a values path, or unknown."""
    argument = argument.strip().strip("()").strip()
    if argument in (".", "$", ""):
        return scopes.ROOT
    match = re.fullmatch(r"\$?\.Values((?:\.[A-Za-z_][\w-]*)+)", argument)
    return match.group(1)[1:] if match else None


def kustomize_source(obj, committed, directory: str):
    """The repository object a kustomize output object comes from: same kind and API version, a name the
    output's name contains (prefixes and suffixes), the same name first, then the longest (`web-worker` over
    `web` for `prod-web-worker`), then the one nearest the kustomization folder ``directory``; None when none fits."""
    candidates = [o for o in committed if o.kind == obj.kind and o.api_version == obj.api_version
                  and o.name and o.name in (obj.name or "")]
    if not candidates:
        return None
    return max(candidates, key=lambda o: (o.name == obj.name, len(o.name), _shared(o.path, directory), -len(o.path)))


def _shared(path: str, directory: str) -> int:
    """How many leading folders ``path`` shares with ``directory``."""
    count = 0
    for a, b in zip(path.split("/")[:-1], directory.split("/")):
        if a != b:
            break
        count += 1
    return count


def _node(data, segments):
    node = data
    for segment in segments:
        if isinstance(segment, tuple) and isinstance(node, list):
            node = next((i for i in node if isinstance(i, dict) and i.get(segment[0]) == segment[1]), None)
        elif isinstance(segment, int) and isinstance(node, list):
            node = node[segment] if segment < len(node) else None
        elif isinstance(node, dict):
            node = node.get(segment)
        else:
            return None
    return node


def _same(value, rendered) -> bool:
    """The values entry produced the rendered node: equal, or a scalar written inside a rendered string."""
    if value == rendered:
        return True
    scalar = (str, int, float, bool)
    return isinstance(value, scalar) and isinstance(rendered, str) and str(value) in rendered


def _containing(docs: list[_Doc], line: int) -> _Doc | None:
    found = None
    for doc in docs:
        if doc.start > line:
            break
        found = doc
    return found


def remap_finding(finding, source_map: SourceMap):
    """The finding on repository files: primary, rendered position, values line, mapped evidence."""
    mapped = source_map.map(finding.location)
    related = []
    for item in finding.related:
        target = source_map.map(item.location)
        related.append(Related(target.primary, item.message) if target is not None else item)
    if mapped is None:
        return replace(finding, related=tuple(related)) if related != list(finding.related) else finding
    properties = dict(finding.properties)
    properties.update(mapped.properties)
    properties[MERGE_KEY] = (mapped.merge_key, mapped.origin)
    return replace(finding, location=mapped.primary, related=tuple(mapped.related + related),
                   properties=properties)


def remap_outcome(outcome, source_map: SourceMap):
    """PASS and NOT-APPLICABLE outcomes are shown at their subject's location: map it too."""
    subject = outcome.subject
    if subject.location is None or not source_map.covers(subject.location.path):
        return outcome
    return replace(outcome, subject=replace(subject, location=source_map.primary(subject.location)))
