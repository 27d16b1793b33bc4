"""Load testing completed.

## What it does
Looks for load test **definitions**: k6 scripts (importing `k6/http`), k6-operator `TestRun` (legacy
`K6`) objects, Locust `locustfile.py`, Gatling `*Simulation.scala|java|kt`, JMeter `*.jmx`, Artillery
configs with `config.phases`. A k6 script whose fixed `vus` × `duration` stays below `min_vu_seconds` is a
smoke test and does not count. Then it looks for a **result** under the repository (or under
`results_path`): a k6 summary JSON (`--summary-export` or `handleSummary`), a JMeter `.jtl`, a Gatling
`simulation.log`, a Locust `*_stats.csv`, or a dated report under `docs/perf*/` that states targets and
outcome. The newest result must be younger than `load_test_max_age_days` (a date in its file name, front
matter `date` / `last_reviewed`, else its last commit) and must meet its targets (no failed k6
threshold, a report that does not say it failed). When the definitions exist, no result is committed
and a CI job runs the load test, the results are CI artifacts: evidence unavailable, unless
`results_path` points at them. Batch projects (`project.type: batch`) are not judged.

## Why it matters
Capacity and latency claims are guesses until a load test measured them, and a result from last year
says nothing about this year's code.

## How to fix
Add a k6 (or Locust, Gatling, JMeter) scenario with thresholds, run it against a production-like
environment, and commit the summary (e.g. `k6 run --summary-export docs/perf/2025-06-01-summary.json`) or
a dated report with targets and outcome under `docs/perf/`.

## Example
```javascript fail file=load/checkout.js
import http from 'k6/http';
export const options = {vus: 50, duration: '10m', thresholds: {http_req_duration: ['p(95)<300']}};
export default function () { http.get('https://shop.example.com/checkout'); }
```
```javascript pass file=load/checkout.js
import http from 'k6/http';
export const options = {vus: 50, duration: '10m', thresholds: {http_req_duration: ['p(95)<300']}};
export default function () { http.get('https://shop.example.com/checkout'); }
```
```markdown pass file=docs/perf/2026-11-01-checkout.md
# Checkout load test, 2026-11-01

Target: p95 latency under 300 ms at 400 requests per second for ten minutes. Outcome: passed, p95 was
212 ms at 410 requests per second with 50 virtual users and no errors; the thresholds all held.
```
"""
import datetime as _dt
import json
import posixpath
import re

from readylint import lazy_re
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location
from readylint.model.ci_tools import LOAD, hits
from readylint.model.docs import docs, today
from readylint.model.facts import parse_date, parse_duration
from readylint.registry import rule

DEFINITION_GLOBS = ("**/locustfile*.py", "**/*Simulation.scala", "**/*Simulation.java", "**/*Simulation.kt",
                    "**/*.jmx")
SCRIPT_GLOBS = ("**/*.js", "**/*.ts", "**/*.mjs")
RESULT_GLOBS = ("**/*.jtl", "**/simulation.log", "**/*_stats.csv", "**/*summary*.json", "**/k6*.json",
                "**/*results*.json")
REPORT_GLOBS = ("docs/perf*/**/*.md", "docs/perf*/*.md", "docs/load*/**/*.md", "docs/load*/*.md",
                "docs/**/load-test*.md", "docs/**/perf*report*.md")
FILE_DATE = lazy_re.compile(r"(20\d\d)-?(\d\d)-?(\d\d)")
REPORT_FAILED = lazy_re.compile(r"\b(outcome|result|status)\b[^.\n]{0,20}\b(fail(?:ed)?|not met|missed)\b", re.IGNORECASE)
REPORT_TARGET = lazy_re.compile(r"\btarget|\bthreshold|\bgoal|\bslo\b|p9\d|percentile", re.IGNORECASE)
REPORT_OUTCOME = lazy_re.compile(r"\boutcome|\bresult|\bpassed|\bfailed|\bmet\b|\bachieved", re.IGNORECASE)


@rule(code="PERF001", slug="load-testing", scope="repository", severity="warning", confidence="low",
      evidence="R, T, G", options={"load_test_max_age_days": 90, "min_vu_seconds": 600, "results_path": ""})
def check(index, opts):
    subject = index.repo.subject("load-testing", "load testing")
    if str((index.settings.get("project") or {}).get("type") or "service") == "batch":
        yield subject.not_applicable(NOT_RELEVANT, "project.type: batch (no serving component)")
        return
    definitions, smoke = _definitions(index, opts)
    if not definitions:
        if smoke:
            at, why = smoke[0]
            yield subject.fail(f"The only load test ({at.path}) is a smoke test ({why}, under min_vu_seconds "
                               f"{opts['min_vu_seconds']}); add a scenario at production-like load.", at=at,
                               key_path="definitions.smoke")
            return
        yield subject.fail("No load test in the repository (k6, Locust, Gatling, JMeter, Artillery or a k6-operator "
                           "TestRun); add a scenario with pass/fail thresholds and commit its result.",
                           at=index.repo.anchor(), key_path="definitions.missing")
        return
    results = _results(index, opts)
    if not results:
        if not opts["results_path"] and hits(index, LOAD):
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, "the load test runs in CI and its results are "
                                                               "artifacts outside the repository; set "
                                                               "rules.options.PERF001.results_path to judge them")
            return
        yield subject.fail(f"The load test {definitions[0].path} has no committed result; commit the k6 summary or a "
                           f"dated report under docs/perf/ stating targets and outcome.", at=definitions[0],
                           key_path="results.missing")
        return
    dated = [(r, _date(index, r)) for r in results]
    known = [(r, d) for r, d in dated if d is not None]
    if not known:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"cannot date the load test results ({results[0]}): no "
                                                           f"date in the file name or front matter, and no git history")
        return
    newest, date = max(known, key=lambda item: (item[1], item[0]))
    age = (today(index) - date).days
    failed = False
    if age > int(opts["load_test_max_age_days"]):
        failed = True
        yield subject.fail(f"The newest load test result {newest} is from {date.isoformat()} ({age} days ago, more "
                           f"than {opts['load_test_max_age_days']}); run the load test again and commit the result.",
                           at=Location(newest, 1, 1), key_path="results.stale")
    problem = _verdict(index, newest)
    if problem:
        failed = True
        yield subject.fail(problem[0], at=problem[1], key_path="results.failed")
    if not failed:
        yield subject.passed(f"{newest} ({date.isoformat()}) met its targets")


def _definitions(index, opts):
    found, smoke = [], []
    for path in index.repo.glob(*DEFINITION_GLOBS):
        found.append(Location(path, 1, 1))
    for path in index.repo.glob(*SCRIPT_GLOBS):
        if "node_modules/" in path:
            continue
        text = index.repo.text(path) or ""
        hit = re.search(r"""from\s+['"]k6/http['"]|require\(['"]k6/http['"]\)""", text)
        if not hit:
            continue
        at = Location(path, text.count("\n", 0, hit.start()) + 1, 1)
        small = _smoke(text, int(opts["min_vu_seconds"]))
        (smoke if small else found).append((at, small) if small else at)
    for obj in index.all_objects:
        if obj.group == "k6.io" and obj.kind in ("TestRun", "K6"):
            found.append(obj.at("spec"))
    for path, documents in index.documents.items():
        for doc in documents:
            config = doc.data.get("config") if isinstance(doc.data, dict) else None
            if isinstance(config, dict) and "phases" in config and "scenarios" in doc.data:
                found.append(Location(path, doc.line, 1))
    return found, smoke


def _smoke(text: str, minimum: int) -> str:
    """Why a k6 script is a smoke test ("2 VUs for 30s"), or ""."""
    if re.search(r"\bstages\s*:|\bscenarios\s*:", text):
        return ""
    vus = re.search(r"\bvus\s*:\s*(\d+)", text)
    duration = re.search(r"""\bduration\s*:\s*['"]([^'"]+)['"]""", text)
    if not vus:
        return "1 VU, one iteration" if not duration else ""
    seconds = (parse_duration(duration.group(1)) or 0) * 60 if duration else 0
    if int(vus.group(1)) * seconds < minimum:
        return f"{vus.group(1)} VUs for {duration.group(1) if duration else 'one iteration'}"
    return ""


def _results(index, opts) -> list[str]:
    found = []
    base = str(opts["results_path"] or "").strip("/")
    globs = RESULT_GLOBS + REPORT_GLOBS
    if base:
        globs += tuple(f"{base}/**/{g.split('/')[-1]}" for g in RESULT_GLOBS) + (f"{base}/**/*.md",)
    for path in index.repo.glob(*globs):
        if "node_modules/" in path or path in found:
            continue
        if path.endswith(".json") and not _k6_summary(index.repo.text(path) or ""):
            continue
        if path.endswith(".md") and not _report(index, path):
            continue
        found.append(path)
    return found


def _k6_summary(text: str):
    if '"metrics"' not in text or ('"root_group"' not in text and '"thresholds"' not in text):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("metrics"), dict) else None


def _report(index, path) -> bool:
    doc = docs(index).get(path)
    if doc is None or posixpath.basename(path).lower() in ("readme.md", "index.md") and not FILE_DATE.search(path):
        return False
    text = "\n".join(doc.lines)
    return bool(REPORT_TARGET.search(text) and REPORT_OUTCOME.search(text))


def _date(index, path) -> _dt.date | None:
    match = FILE_DATE.search(posixpath.basename(path)) or FILE_DATE.search(path)
    if match:
        try:
            return _dt.date(*map(int, match.groups()))
        except ValueError:
            pass
    if path.endswith((".md", ".rst", ".adoc")):
        doc = docs(index).get(path)
        for key in ("date", "last_reviewed", "run_date"):
            if doc is not None and key in doc.front_matter and parse_date(doc.front_matter[key]):
                return parse_date(doc.front_matter[key])
    return docs(index).changed([path]).date


def _verdict(index, path):
    """(message, Location) when the result says the targets were missed, else None."""
    text = index.repo.text(path) or ""
    if path.endswith(".json"):
        data = _k6_summary(text) or {}
        for metric, values in data.get("metrics", {}).items():
            for threshold, state in ((values or {}).get("thresholds") or {}).items():
                failed = state.get("ok") is False if isinstance(state, dict) else state is True
                if failed:
                    line = next((n for n, raw in enumerate(text.splitlines(), 1) if json.dumps(threshold) in raw), 1)
                    return (f"The load test result {path} failed its k6 threshold {metric} {threshold}; fix the "
                            f"regression or revise the target, then run it again.", Location(path, line, 1))
    elif path.endswith(".md"):
        for number, line in enumerate(text.splitlines(), 1):
            if REPORT_FAILED.search(line):
                return (f"The load test report {path} says the targets were not met (line {number}); fix the "
                        f"regression or revise the target, then run it again.", Location(path, number, 1))
    return None
