"""Named templates (`{{ define "x" }}` in `_helpers.tpl` and friends) and the `include` calls that use them.

When the template line of a finding stops short of the key because the rest is written by
`{{ include "chart.labels" . }}`, the key is looked for in that `define` body (and in the helpers it
includes in turn), so the finding lands where the key is written.
"""
from __future__ import annotations

import os

from .. import lazy_re
from .sources import ChartIndex, join

DEFINE = lazy_re.compile(r'\{\{-?\s*define\s+"([^"]+)"')
CALL = lazy_re.compile(r'\b(?:include|template)\s+"([^"]+)"\s*([^|)}]*)')
BLOCK_OPEN = lazy_re.compile(r"\{\{-?\s*(?:if|with|range|define|block)\b")
BLOCK_END = lazy_re.compile(r"\{\{-?\s*end\b")
MAX_FILES = 400


class Helpers:
    """`define` blocks of the charts a template belongs to: name -> (path, first body line, last body line)."""

    def __init__(self, charts: ChartIndex, lines_of):
        self.charts = charts
        self.lines_of = lines_of  # repo path -> list of lines or None
        self._indexed: dict[str, dict] = {}

    def find(self, name: str, chart_dirs) -> tuple[str, int, int] | None:
        for directory in chart_dirs:
            found = self._index(directory).get(name)
            if found is not None:
                return found
        return None

    def _index(self, directory: str) -> dict:
        if directory not in self._indexed:
            defines: dict = {}
            for path in self._files(directory):
                lines = self.lines_of(path)
                for name, first, last in defines_in(lines or []):
                    defines.setdefault(name, (path, first, last))
            self._indexed[directory] = defines
        return self._indexed[directory]

    def _files(self, directory: str) -> list[str]:
        """Template files of the chart and of the charts it depends on (library charts included);
        `_*.tpl` files first, as that is where helpers live."""
        folders = [join(directory, "templates")]
        chart = self.charts.chart(directory)
        for dep in chart.dependencies if chart else ():
            sub = self.charts.subchart(directory, dep.alias or dep.name)
            if sub is not None:
                folders.append(join(sub, "templates"))
        found = []
        for folder in folders:
            base = os.path.join(self.charts.root, folder)
            for current, dirs, files in os.walk(base):
                dirs.sort()
                relative = os.path.relpath(current, self.charts.root).replace(os.sep, "/")
                found += [f"{relative}/{f}" for f in sorted(files) if f.endswith((".tpl", ".yaml", ".yml"))]
        found.sort(key=lambda p: (not os.path.basename(p).startswith("_"), p))
        return found[:MAX_FILES]


def defines_in(lines: list[str]):
    """(name, first body line, last body line), 0-based, of every `define` in a file."""
    i = 0
    while i < len(lines):
        match = DEFINE.search(lines[i])
        if match is None:
            i += 1
            continue
        depth, j = 0, i
        while j < len(lines):
            depth += len(BLOCK_OPEN.findall(lines[j])) - len(BLOCK_END.findall(lines[j]))
            if depth <= 0:
                break
            j += 1
        yield match.group(1), i + 1, j - 1
        i = j + 1


def calls(lines: list[str], first: int, last: int) -> list[tuple[str, str]]:
    """(name, argument) of the `include` / `template` calls on lines ``first``..``last`` (0-based)."""
    out = []
    for j in range(max(first, 0), min(last, len(lines) - 1) + 1):
        for match in CALL.finditer(lines[j]):
            out.append((match.group(1), match.group(2).strip()))
    return out
