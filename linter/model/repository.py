"""Repository files for the rules whose evidence is not a Kubernetes object (docs, CI, reports).

One reader per run: files are read at most once, decoding problems become one RL001 finding at the
file, and repository-level findings share one anchor (rules.md 0.7: README.md, else Chart.yaml, else
.readylint.yaml).
"""
from __future__ import annotations

import os
import re

from ..findings import Location, Subject
from ..inputs.files import inside_root, read_text
from .context_folders import CONTEXT_FOLDERS

REPO_SUBJECT_KEY = "repo:."
ANCHOR_CANDIDATES = ("README.md", "readme.md", "README.rst", "README.adoc", "README", "Chart.yaml",
                     ".readylint.yaml")


class RepositoryFiles:
    """Case-insensitive globbing and cached, size-limited reading of the files the run listed."""

    def __init__(self, root: str, files, max_bytes: int = 64 * 1024 * 1024, base: str = ""):
        self.root = root
        self.files = list(files)
        self.max_bytes = max_bytes
        # A project folder inside a monorepo (a linted folder with its own .readylint.yaml): names, globs and the
        # anchor are relative to it, while every path returned stays relative to the repository root (SARIF).
        self.base = base.strip("/")
        self._prefix = self.base + "/" if self.base else ""
        self._texts: dict[str, str | None] = {}
        self.problems: list[tuple[str, str, int, int]] = []  # (path, message, line, col) for RL001
        self._lower = {self.local(path).lower(): path for path in self.files if path.startswith(self._prefix)}
        self._anchor: Location | None = None
        self._globbed: dict[tuple, list[str]] = {}
        self._locals: list[tuple[str, str]] | None = None  # (path, path relative to the project base)
        self._names: tuple[set, set] = (set(), set())  # lower-case file names and extensions of _locals

    def local(self, path: str) -> str:
        """``path`` relative to the project folder (the repository root unless a project base is set)."""
        return path[len(self._prefix):] if self._prefix and path.startswith(self._prefix) else path

    def exists(self, path: str) -> bool:
        return path.lower() in self._lower

    def actual(self, path: str) -> str | None:
        """The listed path that equals ``path`` ignoring case, or None."""
        return self._lower.get(path.lower())

    def glob(self, *patterns: str) -> list[str]:
        """Listed files matching any glob (case-insensitive; ``**/`` also matches the top level).

        Rules ask the same globs again and again: each distinct set is one regex pass over the list, cached.
        A glob whose file name or extension no listed file has is dropped before any regex is compiled."""
        found = self._globbed.get(patterns)
        if found is None:
            if self._locals is None:
                self._locals = [(path, self.local(path)) for path in self.files if path.startswith(self._prefix)]
                names = {local.rsplit("/", 1)[-1].lower() for _, local in self._locals}
                self._names = names, {name.rsplit(".", 1)[-1] for name in names if "." in name}
            wanted = [p for p in patterns if _could_match(p, *self._names)]
            if wanted:
                match = re.compile("|".join(f"(?:{_glob_source(p)})" for p in wanted), re.IGNORECASE).match
                found = [path for path, local in self._locals if match(local)]
            else:
                found = []
            self._globbed[patterns] = found
        return list(found)

    def find(self, *globs: str) -> list[str]:
        """Files matching any glob, in the order of the globs (earlier globs are preferred), shallow first."""
        out: dict[str, None] = {}
        for pattern in globs:
            for path in sorted(self.glob(pattern), key=lambda p: (p.count("/"), p.lower())):
                out.setdefault(path)
        return list(out)

    def text(self, path: str) -> str | None:
        """The file's text, or None when it cannot be read (an RL001 problem is recorded once)."""
        if path in self._texts:
            return self._texts[path]
        if not inside_root(self.root, path):  # a path built from a link in a document: never read outside
            self._texts[path] = None
            return None
        text, problem = read_text(os.path.join(self.root, path), self.max_bytes)
        if problem is not None:
            self.problems.append((path, f"{path} cannot be read: {problem.message}.", problem.line,
                                  problem.col))
        self._texts[path] = text
        return text

    def problem(self, path: str, message: str, line: int = 1, col: int = 1) -> None:
        """Record that a file a rule needs is malformed (reported as RL001, once per position)."""
        entry = (path, message, line, col)
        if entry not in self.problems:
            self.problems.append(entry)

    def anchor(self) -> Location:
        """Where repository-level absence is reported: README, else Chart.yaml, else .readylint.yaml."""
        if self._anchor is None:  # asked by every repository-level subject: sort the file list once
            self._anchor = self._find_anchor()
        return self._anchor

    def _find_anchor(self) -> Location:
        for name in ANCHOR_CANDIDATES:
            found = self.actual(name)
            if found:
                return Location(found, 1, 1)
        # No root README or chart: a root Markdown file, the shallowest real chart, any root file, then a nested
        # README. Dot folders (a `.github/workflows/README.md`, a workflow named `chart.yaml`) and example or
        # test charts are never the repository's anchor.
        own = {self.local(p): p for p in self.files if p.startswith(self._prefix)}  # project-relative → listed
        visible = [p for p in own if not any(part.startswith(".") for part in p.split("/")[:-1])]
        top = sorted(p for p in visible if "/" not in p)
        charts = sorted((p for p in visible if os.path.basename(p).lower() == "chart.yaml"
                         and not CONTEXT_FOLDERS.search(p.rsplit("/", 1)[0])), key=lambda p: (p.count("/"), p))
        readmes = sorted((p for p in visible if os.path.basename(p).lower().startswith("readme")),
                         key=lambda p: (p.count("/"), p))
        for found in ([p for p in top if p.lower().endswith(".md")], charts, top, readmes):
            if found:
                return Location(own[found[0]], 1, 1)
        return Location(self.files[0] if self.files else "README.md", 1, 1)

    def subject(self, key_suffix: str = "", display: str = "the repository") -> Subject:
        """The repository (or one named part of it) as a rule subject."""
        key = REPO_SUBJECT_KEY + (f"/{key_suffix}" if key_suffix else "")
        return Subject(key=key, display=display, location=self.anchor())


def _could_match(pattern: str, names: set, extensions: set) -> bool:
    """False when no listed file can match: the glob's literal file name, or literal extension, is absent."""
    last = pattern.rsplit("/", 1)[-1].lower()
    if "*" not in last and "?" not in last:
        return last in names
    extension = last.rsplit(".", 1)[-1] if "." in last else ""
    return not extension or "*" in extension or "?" in extension or extension in extensions


def _glob_source(pattern: str) -> str:
    """fnmatch with ``**`` spanning folders, as regex source (compiled case-insensitive)."""
    pattern = pattern.lstrip("./") if pattern.startswith("./") else pattern
    parts = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return "".join(parts) + r"\Z"

