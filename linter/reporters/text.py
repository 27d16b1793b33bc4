"""Human output: findings grouped by file, `path:line:col`, then a summary (integrations.md R1)."""
from __future__ import annotations

from collections import Counter

from ..report import Report

COLOURS = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m", "bold": "\033[1m",
           "dim": "\033[2m", "reset": "\033[0m"}
STATUS_ORDER = ("fail", "pass", "unknown", "waived", "not-relevant")


def render(report: Report, colour: bool = False) -> str:
    def paint(text, style):
        return f"{COLOURS[style]}{text}{COLOURS['reset']}" if colour else text

    lines: list[str] = []
    current = None
    for finding in report.shown:
        loc = finding.location
        if loc.path != current:
            if current is not None:
                lines.append("")
            lines.append(paint(loc.path, "bold"))
            current = loc.path
        level = paint(finding.level, finding.level)
        lines.append(f"{loc.path}:{loc.line}:{loc.col}: {level} {finding.code} {finding.slug} {finding.message}")
    if lines:
        lines.append("")
    lines.extend(summary(report, paint))
    return "\n".join(lines) + "\n"


def summary(report: Report, paint) -> list[str]:
    counts = report.counts()
    total = sum(counts.values())
    suppressed = sum(1 for f in report.findings if f.suppressed_by is not None)
    parts = [f"{counts[level]} {level}{'s' if counts[level] != 1 else ''}" for level in ("error", "warning", "note")]
    head = f"{total} finding{'s' if total != 1 else ''} ({', '.join(parts)})"
    if suppressed:
        head += f", {suppressed} suppressed"
    if report.changed_files is not None:
        hidden = len(report.active) - len(report.shown)
        head += f", {hidden} in unchanged files not shown"
    files = f"{report.files_read} file{'s' if report.files_read != 1 else ''}"
    objects = f"{report.objects} object{'s' if report.objects != 1 else ''}"
    out = [paint(head, "bold") + f" in {files}, {objects}."]
    statuses = Counter(report.statuses[m.code] for m in report.rules if not m.code.startswith("RL"))
    out.append("Checklist items: " + ", ".join(f"{statuses[s]} {s}" for s in STATUS_ORDER if statuses[s]) + ".")
    skipped = [n for n in report.notes if n.kind == "template"]
    if skipped:
        out.append(paint(f"{len(skipped)} unrendered template file{'s' if len(skipped) != 1 else ''} skipped "
                         f"({report.skipped_templates_hint(from_cwd=True)}).", "dim"))
    for note in report.notes:
        if note not in skipped:
            out.append(paint(f"note: {note.path + ': ' if note.path else ''}{note.message}", "dim"))
    return out
