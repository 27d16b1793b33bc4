"""Coverage reports and coverage gates, so TEST001 judges line coverage the way each tool counts it.

Reports (rules.md TEST001): Cobertura XML, lcov, JaCoCo XML, coverage.py JSON, Istanbul
``coverage-summary.json`` and Go ``coverage.out``; values are aggregated by summing lines, never by
averaging percentages. XML is parsed by the standard library after refusing entity declarations (the
only XML bomb vector expat does not already bound) and files over ``MAX_REPORT_BYTES``. A malformed
report becomes an RL001 problem at the file and is skipped.

Gates: ``--cov-fail-under``, coverage.py ``fail_under`` (.coveragerc, setup.cfg, tox.ini,
pyproject.toml), Jest ``coverageThreshold`` / Vitest ``thresholds`` lines, JaCoCo ``COVEREDRATIO``
minimum, Codecov ``target``.
"""
from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .. import lazy_re
from ..findings import Location
from ..inputs import json_text

MAX_REPORT_BYTES = 32 * 1024 * 1024
REPORT_GLOBS = {
    "cobertura": ("**/coverage.xml", "**/cobertura*.xml", "**/*cobertura.xml"),
    "jacoco": ("**/jacoco*.xml", "**/jacocoTestReport.xml"),
    "lcov": ("**/lcov.info", "**/*.lcov"),
    "coverage.py": ("**/coverage.json",),
    "istanbul": ("**/coverage-summary.json",),
    "go": ("**/coverage.out", "**/cover.out", "**/coverprofile.out"),
}


@dataclass(frozen=True)
class Report:
    path: str
    format: str
    covered: int
    total: int
    location: Location
    timestamp: float | None = None  # seconds since the epoch, when the report records it

    @property
    def pct(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 0.0


@dataclass(frozen=True)
class Gate:
    value: float  # minimum line percentage
    source: str  # what sets it, for messages
    location: Location
    in_ci: bool  # a CI command line (judged with ci.gating) rather than a config file


class ReportError(ValueError):
    """The report is not the format its name claims; the message says why."""


def reports(index, extra_paths=()) -> list[Report]:
    """Every readable coverage report in the repository or named in ``inputs.reports``."""
    found, seen = [], set()
    candidates = [(fmt, path) for fmt, globs in REPORT_GLOBS.items() for path in index.repo.glob(*globs)]
    for extra in extra_paths:
        actual = index.repo.actual(extra)
        if actual:
            candidates.append((_guess_format(actual), actual))
    for fmt, path in candidates:
        if path in seen or fmt is None:
            continue
        seen.add(path)
        text = index.repo.text(path)
        if text is None:
            continue
        if len(text) > MAX_REPORT_BYTES:
            index.repo.problem(path, f"{path} is larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB; the coverage "
                                     "report was not read.")
            continue
        try:
            report = PARSERS[fmt](path, text)
        except ReportError as exc:
            index.repo.problem(path, f"{path} is not a valid {fmt} coverage report: {exc}.", *_error_pos(exc))
            continue
        if report is not None:
            found.append(report)
    return found


def _guess_format(path: str) -> str | None:
    name = path.lower()
    if name.endswith(".info") or name.endswith(".lcov"):
        return "lcov"
    if name.endswith(".out"):
        return "go"
    if name.endswith("coverage-summary.json"):
        return "istanbul"
    if name.endswith(".json"):
        return "coverage.py"
    if "jacoco" in name:
        return "jacoco"
    if name.endswith(".xml"):
        return "cobertura"
    return None


def _error_pos(exc) -> tuple[int, int]:
    return getattr(exc, "position", (1, 1))


def parse_xml(text: str):
    """Standard-library XML parsing that refuses entity declarations (expat already bounds expansion)."""
    if "<!ENTITY" in text:
        raise ReportError("it declares XML entities, which readylint refuses to expand")
    try:
        return ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        error = ReportError(f"invalid XML ({exc})")
        error.position = getattr(exc, "position", (1, 0))[0], getattr(exc, "position", (1, 0))[1] + 1
        raise error from None


def _line_of(text: str, pattern: str) -> int:
    match = re.search(pattern, text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _cobertura(path, text) -> Report:
    root = parse_xml(text)
    if root.tag != "coverage":
        raise ReportError(f"the root element is <{root.tag}>, not <coverage>")
    at = Location(path, _line_of(text, r"<coverage\b"), 1)
    stamp = root.get("timestamp")
    timestamp = float(stamp) / 1000 if stamp and stamp.isdigit() else None
    covered, valid = root.get("lines-covered"), root.get("lines-valid")
    if covered and valid and covered.isdigit() and valid.isdigit():
        return Report(path, "Cobertura", int(covered), int(valid), at, timestamp)
    lines: dict = {}
    for cls in root.iter("class"):
        name = cls.get("filename", "")
        for line in cls.iter("line"):
            key = (name, line.get("number"))
            lines[key] = max(lines.get(key, 0), _int(line.get("hits")))
    if lines:
        return Report(path, "Cobertura", sum(1 for h in lines.values() if h > 0), len(lines), at, timestamp)
    rate = root.get("line-rate")
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise ReportError("it has neither lines-covered/lines-valid, <line> elements nor a line-rate") from None
    return Report(path, "Cobertura", round(value * 10000), 10000, at, timestamp)


def _jacoco(path, text) -> Report:
    root = parse_xml(text)
    if root.tag != "report":
        raise ReportError(f"the root element is <{root.tag}>, not <report>")
    for counter in root.findall("counter"):
        if counter.get("type") == "LINE":
            missed, covered = _int(counter.get("missed")), _int(counter.get("covered"))
            stamp = root.find("sessioninfo")
            timestamp = float(stamp.get("dump")) / 1000 if stamp is not None and (stamp.get("dump") or "").isdigit() \
                else None
            return Report(path, "JaCoCo", covered, covered + missed, Location(path, _line_of(text, r"<report\b"), 1),
                          timestamp)
    raise ReportError("the <report> element has no LINE counter")


def _lcov(path, text) -> Report:
    files: dict[str, dict] = {}
    current = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("SF:"):
            current = files.setdefault(line[3:], {})
        elif line.startswith("DA:"):
            if current is None:
                error = ReportError("a DA: line comes before any SF: line")
                error.position = (number, 1)
                raise error
            parts = line[3:].split(",")
            if len(parts) < 2 or not parts[0].isdigit():
                error = ReportError(f"line {number} is not `DA:<line>,<hits>`")
                error.position = (number, 1)
                raise error
            current[parts[0]] = max(current.get(parts[0], 0), _int(parts[1]))
        elif line == "end_of_record":
            current = None
    if not files:
        raise ReportError("it has no SF: records")
    total = sum(len(v) for v in files.values())
    covered = sum(1 for v in files.values() for hits in v.values() if hits > 0)
    return Report(path, "lcov", covered, total, Location(path, 1, 1))


def _json(text):
    try:
        return json_text.loads(text)
    except json.JSONDecodeError as exc:
        error = ReportError(f"invalid JSON ({exc.msg})")
        error.position = (exc.lineno, exc.colno)
        raise error from None


def _coverage_py(path, text) -> Report | None:
    data = _json(text)
    totals = data.get("totals") if isinstance(data, dict) else None
    if not isinstance(totals, dict):
        if isinstance(data, dict) and "meta" not in data:
            return None  # some other tool's coverage.json
        raise ReportError("it has no `totals` object")
    covered, statements = totals.get("covered_lines"), totals.get("num_statements")
    if not isinstance(covered, int) or not isinstance(statements, int):
        raise ReportError("`totals` lacks covered_lines / num_statements")
    stamp = data.get("meta", {}).get("timestamp") if isinstance(data.get("meta"), dict) else None
    return Report(path, "coverage.py", covered, statements, Location(path, _line_of(text, r'"totals"'), 1),
                  _iso(stamp))


def _istanbul(path, text) -> Report:
    data = _json(text)
    lines = data.get("total", {}).get("lines") if isinstance(data, dict) and isinstance(data.get("total"), dict) \
        else None
    if not isinstance(lines, dict) or not isinstance(lines.get("total"), int):
        raise ReportError("it has no total.lines object")
    return Report(path, "Istanbul", int(lines.get("covered") or 0), lines["total"],
                  Location(path, _line_of(text, r'"total"'), 1))


_GO_BLOCK = lazy_re.compile(r"^(.+):(\d+)\.(\d+),(\d+)\.(\d+) (\d+) (\d+)$")


def _go(path, text) -> Report:
    lines = text.splitlines()
    if not lines or not lines[0].startswith("mode:"):
        raise ReportError("the first line is not `mode: set|count|atomic`")
    blocks: dict = {}
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        match = _GO_BLOCK.match(line.strip())
        if not match:
            error = ReportError(f"line {number} is not a coverage block")
            error.position = (number, 1)
            raise error
        key = match.group(1, 2, 3, 4, 5)
        statements, count = int(match.group(6)), int(match.group(7))
        old = blocks.get(key, (statements, 0))
        blocks[key] = (statements, max(old[1], count))
    total = sum(s for s, _ in blocks.values())
    covered = sum(s for s, c in blocks.values() if c > 0)
    return Report(path, "Go coverprofile", covered, total, Location(path, 1, 1))


PARSERS = {"cobertura": _cobertura, "jacoco": _jacoco, "lcov": _lcov, "coverage.py": _coverage_py,
           "istanbul": _istanbul, "go": _go}


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _iso(value) -> float | None:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(value)).timestamp() if value else None
    except ValueError:
        return None


# -- gates ----------------------------------------------------------------------------------------------------

_CLI_GATES = (
    (lazy_re.compile(r"--cov-fail-under[= ](\d+(?:\.\d+)?)"), "pytest --cov-fail-under"),
    (lazy_re.compile(r"coverage\s+report\b.*--fail-under[= ](\d+(?:\.\d+)?)"), "coverage report --fail-under"),
    (lazy_re.compile(r"--coverageThreshold[= ]'?\{[^}]*\"lines\"\s*:\s*(\d+(?:\.\d+)?)"), "jest --coverageThreshold"),
)


def gates(index, steps) -> list[Gate]:
    """Coverage thresholds in CI commands and in the tools' configuration files."""
    found = []
    for step in steps:
        for regex, source in _CLI_GATES:
            match = regex.search(step.run or "")
            if match:
                found.append(Gate(float(match.group(1)), source, step.location, True))
    found += _ini_gates(index) + _toml_gates(index) + _js_gates(index) + _codecov_gates(index) + _jacoco_gates(index)
    return found


def _text_line(text, match) -> int:
    return text.count("\n", 0, match.start()) + 1


def _ini_gates(index) -> list[Gate]:
    found = []
    for path, sections in ((".coveragerc", ("report", "coverage:report")), ("setup.cfg", ("coverage:report",)),
                           ("tox.ini", ("coverage:report",)), ("pytest.ini", ("pytest",))):
        actual = index.repo.actual(path)
        text = index.repo.text(actual) if actual else None
        if not text:
            continue
        import configparser  # only when a setup.cfg, tox.ini or pytest.ini is there

        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
        except configparser.Error as exc:
            index.repo.problem(actual, f"{actual} cannot be parsed: {str(exc).splitlines()[0]}.")
            continue
        for section in sections + ("tool:pytest",):
            if not parser.has_section(section):
                continue
            value = parser.get(section, "fail_under", fallback=None)
            if value is not None:
                match = re.search(r"^\s*fail_under\s*[=:]", text, re.M)
                found.append(Gate(_float(value), f"{actual} [{section}] fail_under",
                                  Location(actual, _text_line(text, match) if match else 1, 1), False))
            addopts = parser.get(section, "addopts", fallback="")
            match = re.search(r"--cov-fail-under[= ](\d+(?:\.\d+)?)", addopts)
            if match:
                where = re.search(r"--cov-fail-under", text)
                found.append(Gate(float(match.group(1)), f"{actual} addopts --cov-fail-under",
                                  Location(actual, _text_line(text, where), 1), False))
    return found


def _toml_gates(index) -> list[Gate]:
    actual = index.repo.actual("pyproject.toml")
    text = index.repo.text(actual) if actual else None
    if not text:
        return []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        index.repo.problem(actual, f"{actual} is not valid TOML: {exc}.")
        return []
    found = []
    value = data.get("tool", {}).get("coverage", {}).get("report", {}).get("fail_under")
    if isinstance(value, (int, float)):
        match = re.search(r"^\s*fail_under\s*=", text, re.M)
        found.append(Gate(float(value), "pyproject.toml [tool.coverage.report] fail_under",
                          Location(actual, _text_line(text, match) if match else 1, 1), False))
    addopts = data.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("addopts", "")
    addopts = " ".join(addopts) if isinstance(addopts, list) else str(addopts)
    match = re.search(r"--cov-fail-under[= ](\d+(?:\.\d+)?)", addopts)
    if match:
        where = re.search(r"--cov-fail-under", text)
        found.append(Gate(float(match.group(1)), "pyproject.toml pytest addopts --cov-fail-under",
                          Location(actual, _text_line(text, where), 1), False))
    return found


def _js_gates(index) -> list[Gate]:
    found = []
    for path in index.repo.glob("package.json", "jest.config.*", "vitest.config.*", "vite.config.*"):
        text = index.repo.text(path)
        if not text or "coverageThreshold" not in text and "thresholds" not in text:
            continue
        block = re.search(r"(coverageThreshold|thresholds)[\s\S]{0,400}?[\"']?lines[\"']?\s*:\s*(\d+(?:\.\d+)?)", text)
        if block:
            found.append(Gate(float(block.group(2)), f"{path} {block.group(1)} lines",
                              Location(path, _text_line(text, block), 1), False))
    return found


def _codecov_gates(index) -> list[Gate]:
    found = []
    for path in index.repo.glob("codecov.yml", "codecov.yaml", ".codecov.yml", ".codecov.yaml", ".github/codecov.yml"):
        text = index.repo.text(path) or ""
        match = re.search(r"^\s*target:\s*['\"]?(\d+(?:\.\d+)?)%?", text, re.M)
        if match:
            found.append(Gate(float(match.group(1)), f"{path} coverage.status target",
                              Location(path, _text_line(text, match), 1), False))
    return found


def _jacoco_gates(index) -> list[Gate]:
    found = []
    for path in index.repo.glob("**/pom.xml", "**/build.gradle", "**/build.gradle.kts"):
        text = index.repo.text(path) or ""
        if "COVEREDRATIO" not in text and "jacocoTestCoverageVerification" not in text:
            continue
        match = re.search(r"(<minimum>|minimum\s*=\s*)(0?\.\d+|1(\.0+)?)", text)
        if match:
            found.append(Gate(100 * float(match.group(2)), f"{path} JaCoCo coverage check",
                              Location(path, _text_line(text, match), 1), False))
    return found


def _float(value) -> float:
    try:
        return float(str(value).strip().rstrip("%"))
    except ValueError:
        return 0.0
