"""Module-level regular expressions that compile on first use.

readylint's rules and models hold a few hundred patterns. Compiling them all at import costs more than
linting a small manifest, and a run uses the few that its evidence reaches, so a pattern written
``NAME = lazy_re.compile(...)`` compiles when a method or attribute is first asked of it.
"""
from __future__ import annotations

import re

# What callers use of a pattern; copied onto the stand-in once compiled, so later calls cost a plain lookup.
PATTERN_ATTRIBUTES = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "pattern",
                      "flags", "groups", "groupindex")


class LazyPattern:
    """A ``re.Pattern`` stand-in: every attribute (``search``, ``finditer``, ``pattern``…) is the compiled one's."""

    def __init__(self, source: str, flags: int = 0):
        self._source, self._flags = source, flags

    def __getattr__(self, name):  # only reached before the first compilation (or for a name re.Pattern lacks)
        if name.startswith("__") or "compiled" in self.__dict__:
            raise AttributeError(name)
        compiled = self.compiled = re.compile(self._source, self._flags)
        for attribute in PATTERN_ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(self, name)

    def __repr__(self) -> str:
        return f"lazy_re.compile({self._source!r}, {self._flags!r})"


def compile(source: str, flags: int = 0) -> LazyPattern:  # noqa: A001 - mirrors re.compile on purpose
    return LazyPattern(source, flags)
