"""JUnit XML results, so TEST002 and TEST003 can tell a passing integration or e2e suite from a failing or
skipped one.

Only committed results (or ``inputs.reports`` paths) are read; the same safety rules as coverage reports
apply (no entity declarations, size cap), and a file that is not JUnit XML becomes an RL001 problem.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import lazy_re
from ..findings import Location
from .coverage import MAX_REPORT_BYTES, ReportError, parse_xml

INTEGRATION_NAME = lazy_re.compile(r"integration|(^|[._/-])IT([._-]|$)|IT\.xml$", re.I)
E2E_NAME = lazy_re.compile(r"e2e|end[-_ ]?to[-_ ]?end|playwright|cypress|kuttl|chainsaw", re.I)


@dataclass(frozen=True)
class Results:
    path: str
    tests: int
    failures: int
    errors: int
    skipped: int
    location: Location

    @property
    def skipped_pct(self) -> float:
        return 100.0 * self.skipped / self.tests if self.tests else 0.0


def integration_results(index, extra_paths=()) -> list[Results]:
    """JUnit files whose name or suites say "integration" (or the Failsafe ``*IT`` convention)."""
    return _results(index, INTEGRATION_NAME, ("**/*integration*.xml", "**/failsafe-reports/*.xml"), extra_paths)


def e2e_results(index, extra_paths=()) -> list[Results]:
    """JUnit files whose name or suites say e2e / end-to-end (or name an e2e framework)."""
    return _results(index, E2E_NAME, ("**/*e2e*.xml", "**/*end-to-end*.xml", "**/playwright*/*.xml",
                                      "**/cypress/results/*.xml"), extra_paths)


def _results(index, name: re.Pattern, globs: tuple, extra_paths) -> list[Results]:
    candidates = index.repo.glob("**/TEST-*.xml", "**/junit*.xml", *globs)
    candidates += [p for p in extra_paths if p.lower().endswith(".xml")]
    found = []
    for path in dict.fromkeys(candidates):
        text = index.repo.text(path)
        if text is None or "<testsuite" not in text[:4096]:
            continue
        if len(text) > MAX_REPORT_BYTES:
            index.repo.problem(path, f"{path} is larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB; the JUnit "
                                     "results were not read.")
            continue
        try:
            root = parse_xml(text)
        except ReportError as exc:
            index.repo.problem(path, f"{path} is not valid JUnit XML: {exc}.", *getattr(exc, "position", (1, 1)))
            continue
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        names = " ".join(s.get("name", "") for s in suites)
        if not (name.search(path) or name.search(names)):
            continue
        totals = [sum(_int(s.get(k)) for s in suites) for k in ("tests", "failures", "errors", "skipped")]
        line = text.count("\n", 0, max(text.find("<testsuite"), 0)) + 1
        found.append(Results(path, *totals, Location(path, line, 1)))
    return found


def _int(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0
