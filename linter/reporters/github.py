"""GitHub Actions workflow-command annotations (integrations.md G1–G4).

GitHub shows at most 10 error and 10 warning annotations per step and drops the rest silently, so the
most important findings go first and a closing notice says how many were left out.
"""
from __future__ import annotations

from ..findings import LEVEL_RANK
from ..report import Report
from .sources import SourceFiles

COMMAND = {"error": "error", "warning": "warning", "note": "notice"}
CAPS = {"error": 10, "warning": 10, "note": 9}  # 9 notices leave room for the closing one


def escape_data(text: str) -> str:
    """G2: the message after `::`; `%` first so the escapes themselves are not escaped again."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """G2: property values (file, title) additionally escape the `:` and `,` that delimit them."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    sources = SourceFiles(report.root)
    changed = report.changed_files

    def order(finding):
        """Level, then findings in changed files (primary, then related), then path and line."""
        if changed is None or finding.location.path in changed:
            scope = 0
        else:
            scope = 1 if any(r.location.path in changed for r in finding.related) else 2
        return (-LEVEL_RANK.get(finding.level, 0), scope, finding.sort_key())

    shown = sorted(report.shown, key=order)
    used = {level: 0 for level in CAPS}
    lines = []
    for finding in shown:
        level = finding.level if finding.level in CAPS else "note"
        if used[level] >= CAPS[level]:
            continue
        used[level] += 1
        lines.append(annotation(finding, sources))
    omitted = len(shown) - len(lines)
    if omitted:
        lines.append(f"::notice title=readylint::{omitted} more findings were not annotated"
                     "; see the job summary or the SARIF results")
    return "".join(line + "\n" for line in lines)


def annotation(finding, sources: SourceFiles) -> str:
    loc = finding.location
    command = COMMAND.get(finding.level, "notice")
    props = (f"file={escape_property(loc.path)},line={loc.line},endLine={loc.line},col={loc.col},"
             f"endColumn={sources.end_column(loc)},title={escape_property(f'{finding.code} {finding.slug}')}")
    return f"::{command} {props}::{escape_data(finding.message)}"
