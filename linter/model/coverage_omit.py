"""Coverage exclusions: how much of the code a coverage.py `omit` or Jest `coveragePathIgnorePatterns` hides.

A line-coverage figure is only as honest as its denominator: omitting whole packages raises the
percentage without a single new test (rules.md TEST001 trap). Tests, fixtures and generated or
vendored trees are not application code, so omitting them is never counted; what is left is compared
in lines with the application sources of the same language.
"""
from __future__ import annotations

import configparser
import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass

from .. import lazy_re
from ..findings import Location

NOT_APP = lazy_re.compile(r"(^|/)(tests?|__tests__|__mocks__|spec|testing|testdata|fixtures?|e2e|node_modules|vendor|"
                     r"third_party|docs|examples?|\.github|dist|build)/|(^|/)(test_[^/]*|[^/]*_test\.py|conftest\.py|"
                     r"setup\.py|[^/]*\.(test|spec|config|d)\.[jt]sx?|[^/]*\.config\.m?js)$", re.I)
LANGUAGES = {"python": (".py",), "javascript": (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")}


@dataclass(frozen=True)
class Exclusion:
    source: str  # "setup.cfg [coverage:run] omit"
    language: str
    patterns: tuple
    location: Location
    regex: bool = False  # Jest patterns are regular expressions, coverage.py patterns are globs

    def hides(self, path: str) -> bool:
        if self.regex:
            return any(_search(p.replace("<rootDir>", ""), "/" + path) for p in self.patterns)
        return any(fnmatch.fnmatch(path, p.lstrip("./")) or fnmatch.fnmatch("/" + path, p) for p in self.patterns)


def _search(pattern, text) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def exclusions(index) -> list[Exclusion]:
    """coverage.py `omit` ([run] and [report], in .coveragerc, setup.cfg, tox.ini, pyproject.toml) and Jest
    `coveragePathIgnorePatterns` (package.json `jest`, jest.config.json)."""
    found = []
    for path, sections in ((".coveragerc", ("run", "report")), ("setup.cfg", ("coverage:run", "coverage:report")),
                           ("tox.ini", ("coverage:run", "coverage:report"))):
        actual = index.repo.actual(path)
        text = index.repo.text(actual) if actual else None
        if not text or "omit" not in text:
            continue
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
        except configparser.Error:
            continue  # coverage gates report the parse error
        for section in sections:
            value = parser.get(section, "omit", fallback=None) if parser.has_section(section) else None
            patterns = tuple(p.strip() for p in re.split(r"[\n,]", value or "") if p.strip())
            if patterns:
                found.append(Exclusion(f"{actual} [{section}] omit", "python", patterns,
                                       Location(actual, _line(text, r"^\s*omit\s*[=:]"), 1)))
    actual = index.repo.actual("pyproject.toml")
    text = index.repo.text(actual) if actual else None
    if text and "omit" in text:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            data = {}
        for section in ("run", "report"):
            value = data.get("tool", {}).get("coverage", {}).get(section, {}).get("omit")
            patterns = tuple(str(p) for p in value) if isinstance(value, list) else ()
            if patterns:
                found.append(Exclusion(f"pyproject.toml [tool.coverage.{section}] omit", "python", patterns,
                                       Location(actual, _line(text, r"^\s*omit\s*="), 1)))
    for path in index.repo.glob("package.json", "jest.config.json"):
        text = index.repo.text(path) or ""
        if "coveragePathIgnorePatterns" not in text:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        config = data.get("jest", {}) if path.lower().endswith("package.json") and isinstance(data, dict) else data
        value = config.get("coveragePathIgnorePatterns") if isinstance(config, dict) else None
        if isinstance(value, list) and value:
            found.append(Exclusion(f"{path} coveragePathIgnorePatterns", "javascript",
                                   tuple(str(p) for p in value),
                                   Location(path, _line(text, r"coveragePathIgnorePatterns"), 1), regex=True))
    return found


def hidden_share(index, exclusion: Exclusion) -> tuple[int, int, list[str]]:
    """(lines hidden, lines of application code in that language, the largest hidden files)."""
    suffixes = LANGUAGES[exclusion.language]
    total, hidden, files = 0, 0, []
    for path in index.files:
        if not path.endswith(suffixes) or NOT_APP.search(path):
            continue
        lines = len((index.repo.text(path) or "").splitlines())
        total += lines
        if exclusion.hides(path):
            hidden += lines
            files.append((lines, path))
    return hidden, total, [p for _, p in sorted(files, reverse=True)[:3]]


def _line(text: str, pattern: str) -> int:
    match = re.search(pattern, text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else 1
