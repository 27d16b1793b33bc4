"""Repository file text for reporters: line text for end columns and line hashes, read once per file.

Reporters that need a region's end column or GitHub's line hash share this cache, so a file with many
findings is read and hashed once. Paths are repo-relative; an absent file (``<stdin>``) has no text.
"""
from __future__ import annotations

import os

from .. import lazy_re
from ..fingerprints import LineHashCache, read_source

_LINE_BREAK = lazy_re.compile(r"\r\n|\r|\n")


class SourceFiles:
    def __init__(self, root: str | None):
        self.root = root
        self._texts: dict[str, str | None] = {}
        self._lines: dict[str, list[str]] = {}
        self.hashes = LineHashCache(self.text)

    def text(self, path: str) -> str | None:
        if path not in self._texts:
            full = os.path.join(self.root, path) if self.root and not path.startswith("<") else None
            self._texts[path] = read_source(full) if full and os.path.isfile(full) else None
        return self._texts[path]

    def line(self, path: str, number: int) -> str | None:
        if path not in self._lines:
            text = self.text(path)
            self._lines[path] = _LINE_BREAK.split(text) if text is not None else []
        lines = self._lines[path]
        return lines[number - 1] if 1 <= number <= len(lines) else None

    def end_column(self, location) -> int:
        """One past the last character: the location's own end, else the end of the line's content."""
        if location.end_col is not None and location.end_col > location.col:
            return location.end_col
        text = self.line(location.path, location.line)
        end = len(text.rstrip()) + 1 if text is not None else 0
        return end if end > location.col else location.col + 1

    def line_hash(self, path: str, line: int) -> str | None:
        return self.hashes.get(path, line)
