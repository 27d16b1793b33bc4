"""The repository's documents: where they are, their parsed outline, links that resolve, and their freshness.

Documents are Markdown, reStructuredText and AsciiDoc files at the root, under ``docs/**`` and in a
TechDocs tree (``mkdocs.yml`` ``docs_dir`` and ``nav``), rules.md 0.10. Files are parsed once per run,
on first use. Freshness: a front-matter ``last_reviewed`` wins, else the last commit touching the file
(inputs/git_history.py); on a shallow clone without ``last_reviewed`` it is unavailable.
"""
from __future__ import annotations

import datetime as _dt
import posixpath
from dataclasses import dataclass
from urllib.parse import unquote

from ..findings import Location
from ..inputs.git_history import history
from ..inputs.markup import DOC_SUFFIXES, Markup, parse
from ..inputs.yaml_docs import YMap, YSeq, load_stream
from .facts import parse_date

SEARCH_GLOBS = tuple(f"*{s}" for s in DOC_SUFFIXES) + tuple(f"docs/**/*{s}" for s in DOC_SUFFIXES)
REVIEW_KEYS = ("last_reviewed", "last-reviewed", "reviewed", "review_date", "last_review")


@dataclass(frozen=True)
class Freshness:
    """When a document (or a set of files) last changed, how we know, and where to point."""

    date: _dt.date | None
    source: str  # "last_reviewed", "git" or "" when unknown
    location: Location | None = None
    unavailable: str = ""  # why the date is unknown

    @property
    def known(self) -> bool:
        return self.date is not None


class DocSet:
    """Parsed documents of one run, link resolution and dates."""

    def __init__(self, index):
        self.index = index
        self.repo = index.repo
        self._parsed: dict[str, Markup | None] = {}
        self.searchable = self._searchable()

    # -- discovery ---------------------------------------------------------------------------------------

    def _searchable(self) -> list[str]:
        paths = set(self.repo.glob(*SEARCH_GLOBS))
        for config in self.repo.glob("mkdocs.yml", "**/mkdocs.yml", "mkdocs.yaml"):
            paths |= set(self._techdocs(config))
        return sorted(paths, key=lambda p: (p.count("/"), not p.lower().startswith("readme"), p.lower()))

    def _techdocs(self, config: str) -> list[str]:
        """Files of a TechDocs/MkDocs site: everything under ``docs_dir`` plus the ``nav`` entries."""
        text = self.repo.text(config)
        if text is None:
            return []
        stream = load_stream(text.replace("!!python/name:", "").replace("!ENV", ""))
        data = stream.documents[0].data if stream.documents else None
        base = posixpath.dirname(config)
        docs_dir = str(data.get("docs_dir") or "docs") if isinstance(data, YMap) else "docs"
        root = posixpath.normpath(posixpath.join(base, docs_dir))
        found = [p for p in self.repo.glob(*(f"{root}/**/*{s}" for s in DOC_SUFFIXES))]
        for entry in _nav_files(data.get("nav") if isinstance(data, YMap) else None):
            actual = self.repo.actual(posixpath.normpath(posixpath.join(root, entry)))
            if actual:
                found.append(actual)
        return found

    def find(self, *globs: str) -> list[str]:
        """Document files matching any glob, in the order of the globs (earlier globs are preferred)."""
        return self.repo.find(*globs)

    def get(self, path: str) -> Markup | None:
        """The parsed document (None when unreadable; malformed front matter is reported as RL001)."""
        if path not in self._parsed:
            text = self.repo.text(path)
            doc = parse(path, text) if text is not None else None
            if doc is not None:
                for message, line, col in doc.problems:
                    self.repo.problem(path, message, line, col)
            self._parsed[path] = doc
        return self._parsed[path]

    def documents(self, paths=None):
        for path in self.searchable if paths is None else paths:
            doc = self.get(path)
            if doc is not None:
                yield doc

    # -- links -------------------------------------------------------------------------------------------

    def resolve(self, doc: Markup, target: str) -> str | None:
        """Why a relative link of ``doc`` is broken, or None when it resolves (external links are not checked)."""
        target = target.strip()
        if not target or "://" in target or target.startswith(("mailto:", "tel:", "data:", "{{", "//")):
            return None
        if doc.format == "asciidoc" and "#" not in target and "." not in target and "/" not in target:
            target = "#" + target  # <<id>> cross reference
        path_part, _, anchor = target.partition("#")
        path_part = unquote(path_part.split("?", 1)[0])
        if not path_part:
            return None if not anchor or _has_anchor(doc, anchor) else f"no heading or anchor #{anchor}"
        if path_part.startswith("/"):
            wanted = posixpath.normpath(path_part.lstrip("/"))
        else:
            wanted = posixpath.normpath(posixpath.join(posixpath.dirname(doc.path), path_part))
        if wanted.startswith("../"):
            return None  # outside the repository: not ours to judge
        actual = self.repo.actual(wanted)
        if actual is None:
            if any(p.startswith(wanted.rstrip("/") + "/") for p in self.repo.files):
                return None  # a folder
            return f"{wanted} does not exist"
        if actual != wanted:
            return f"{wanted} does not exist ({actual} differs in case; links are case-sensitive on GitHub)"
        if anchor and doc_format_of(actual):
            other = self.get(actual)
            if other is not None and not _has_anchor(other, anchor):
                return f"{actual} has no heading or anchor #{anchor}"
        return None

    def broken_links(self, doc: Markup, start: int = 1, end: int | None = None):
        """(Link, why) for each relative link on lines start..end that does not resolve."""
        for link in doc.links:
            if link.line < start or (end is not None and link.line > end):
                continue
            why = self.resolve(doc, link.target)
            if why:
                yield link, why

    # -- freshness ---------------------------------------------------------------------------------------

    def freshness(self, doc: Markup) -> Freshness:
        """``last_reviewed`` front matter wins; else the last commit touching the file."""
        for key in REVIEW_KEYS:
            if key in doc.front_matter:
                date = parse_date(doc.front_matter[key])
                at = Location(doc.path, doc.front_matter_lines.get(key, 1), 1)
                if date is not None:
                    return Freshness(date, "last_reviewed", at)
                self.repo.problem(doc.path, f"{doc.path}: {key} is not a date (YYYY-MM-DD): "
                                            f"{doc.front_matter[key]!r}", at.line, 1)
        return self.changed([doc.path])

    def changed(self, paths) -> Freshness:
        """The newest git change among ``paths`` (unavailable without full history)."""
        paths = list(paths)
        git = history(self.index)
        if not git.available:
            return Freshness(None, "", None, git.reason)
        dates = {p: d for p, d in git.dates(paths).items() if d is not None}
        if not dates:
            return Freshness(None, "", None, "not committed yet")
        newest = max(dates, key=lambda p: (dates[p], p))
        return Freshness(dates[newest], "git", Location(newest, 1, 1))

    def location(self, doc: Markup, heading=None) -> Location:
        """Where a finding about ``doc`` points: the heading, else its first heading, else line 1."""
        heading = heading or doc.title
        if heading is not None:
            return Location(doc.path, heading.line, heading.col)
        return Location(doc.path, 1, 1)


def doc_format_of(path: str) -> bool:
    return path.lower().endswith(DOC_SUFFIXES)


def _has_anchor(doc: Markup, anchor: str) -> bool:
    wanted = unquote(anchor).lower()
    return wanted in {a.lower() for a in doc.anchors}


def _nav_files(nav) -> list[str]:
    """File names in an MkDocs ``nav`` tree (strings or {title: file-or-subtree})."""
    found: list[str] = []
    stack = [nav]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if doc_format_of(node) and "://" not in node:
                found.append(node)
        elif isinstance(node, (YSeq, list)):
            stack.extend(node)
        elif isinstance(node, (YMap, dict)):
            stack.extend(node.values())
    return found


def docs(index) -> DocSet:
    """The run's DocSet, built on first use and kept on the index."""
    found = index.__dict__.get("_docset")
    if found is None:
        found = DocSet(index)
        index.__dict__["_docset"] = found
    return found


def today(index) -> _dt.date:
    """The run's date (RunOptions.today, so tests are reproducible), else the real date."""
    value = index.settings.get("today")
    return value if isinstance(value, _dt.date) else _dt.date.today()


def suppression_texts(index) -> list[tuple[str, str]]:
    """(path, text) of the documents this run parsed that hold ``<!-- readylint: ... -->`` comments."""
    found = index.__dict__.get("_docset")
    if found is None:
        return []
    return [(path, "\n".join(doc.lines)) for path, doc in sorted(found._parsed.items())
            if doc is not None and any("readylint:" in line for line in doc.lines)]
