"""Readiness report as GitHub-flavoured Markdown (integrations.md R3, J1-J3): the job summary in Actions.

The whole 67-item checklist, section by section, with each item's state and the findings or evidence behind
it, a score per section and the items to fix first. ``readiness()`` builds the model the Markdown and HTML
templates share. Output is deterministic: no timestamps, no absolute paths, findings in report order.
"""
from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass, field

from .. import lazy_re
from ..findings import EVIDENCE_UNAVAILABLE, LEVEL_RANK, NOT_APPLICABLE, PASS
from ..registry import all_rules, checklist
from ..report import Report

MAX_BYTES = 900 * 1024  # J2: safely below GitHub's 1 MiB per-step summary limit
FINDINGS_PER_ITEM = 10
MESSAGE_CHARS = 400
FIX_FIRST = 10
TEMPLATES = pathlib.Path(__file__).parent / "templates"

# state -> (icon, label); "unknown" never carries a pass marker (rules.md 0.5)
STATES = {
    "fail": ("❌", "fail"),
    "pass": ("✅", "pass"),
    "unknown": ("❔", "unknown"),
    "not-applicable": ("➖", "not applicable"),
    "waived": ("💤", "waived"),
    "not-checked": ("⬜", "not checked"),
}
STATE_ORDER = tuple(STATES)
JUDGED = ("pass", "fail", "unknown")
SCORE_RULE = ("Score = passing items ÷ judged items (pass, fail and unknown). Unknown means the evidence was not "
              "available to readylint and counts as not passing; not-applicable, waived and not-checked items "
              "are left out.")


@dataclass
class Shown:
    """One finding as the report lists it."""

    level: str
    path: str
    line: int
    col: int
    message: str
    code: str
    url: str


@dataclass
class Item:
    code: str
    slug: str
    text: str
    state: str
    url: str | None
    evidence: str  # one line for the table
    details: list = field(default_factory=list)  # Shown findings (fail) or strings (unknown, waived, n/a)
    more: int = 0  # findings or reasons left out of ``details``
    counts: dict = field(default_factory=dict)  # level -> shown findings
    hidden: int = 0  # findings outside --changed-since
    fix: str = ""
    first: Shown | None = None  # the first finding, listed or not

    @property
    def icon(self) -> str:
        return STATES[self.state][0]

    @property
    def label(self) -> str:
        return STATES[self.state][1] + (" (claim)" if self.evidence.startswith("passes by claim") else "")

    @property
    def worst(self) -> int:
        return max((LEVEL_RANK[level] for level, n in self.counts.items() if n), default=-1)


@dataclass
class Section:
    id: str
    title: str
    items: list

    def count(self, state: str) -> int:
        return sum(1 for item in self.items if item.state == state)

    @property
    def judged(self) -> int:
        return sum(self.count(s) for s in JUDGED)

    @property
    def score(self) -> str:
        if not self.judged:
            return "—"
        passed = self.count("pass")
        return f"{passed}/{self.judged} ({round(100 * passed / self.judged)}%)"

    @property
    def verdict(self) -> str:
        """The heading's summary: how many judged items pass, or why none was judged."""
        if self.judged:
            verb = "passes" if self.judged == 1 else "pass"
            return f"{self.count('pass')} of {self.judged} judged item{'s' if self.judged != 1 else ''} {verb}"
        if self.count("not-checked") == len(self.items):
            return "not checked"
        return "nothing to judge"

    @property
    def breakdown(self) -> str:
        """Counts by state, e.g. "5 not applicable, 1 not checked" (for a collapsed section)."""
        return ", ".join(f"{self.count(s)} {STATES[s][1]}" for s in STATE_ORDER if self.count(s))


@dataclass
class Readiness:
    version: str
    sections: list
    fix_first: list
    totals: dict  # state -> items
    levels: dict  # level -> shown findings
    suppressed: int
    files: int
    objects: int
    scope: str | None
    diagnostics: list  # Shown RL findings
    diagnostics_more: int
    notes: list
    category: str | None
    score_rule: str = SCORE_RULE

    @property
    def judged_score(self) -> str:
        judged = sum(self.totals[s] for s in JUDGED)
        return f"{self.totals['pass']}/{judged}" if judged else "—"

    @property
    def headline(self) -> str:
        """One sentence such as: Of 67 checklist items, 9 fail, 1 passes and 57 are not checked."""
        t = self.totals
        parts = [f"{t['fail']} fail{'s' if t['fail'] == 1 else ''}",
                 f"{t['pass']} pass{'es' if t['pass'] == 1 else ''}"]
        verbs = {"unknown": "unknown (evidence unavailable)", "not-applicable": "not applicable", "waived": "waived",
                 "not-checked": "not checked"}
        parts += [f"{t[s]} {'is' if t[s] == 1 else 'are'} {words}" for s, words in verbs.items() if t[s]]
        listed = ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"Of {sum(t.values())} checklist items, {listed}."

    @property
    def findings_line(self) -> str:
        n = sum(self.levels.values())
        levels = ", ".join(f"{self.levels[lv]} {lv}{'s' if self.levels[lv] != 1 else ''}"
                           for lv in ("error", "warning", "note"))
        text = f"{n} finding{'s' if n != 1 else ''} ({levels})"
        if self.suppressed:
            text += f", {self.suppressed} suppressed"
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        objects = f"{self.objects} Kubernetes object{'s' if self.objects != 1 else ''}"
        return f"{text} in {files} and {objects}."


def readiness(report: Report, category: str | None = None, per_item: int = FINDINGS_PER_ITEM) -> Readiness:
    """The report as the checklist sees it; ``per_item`` caps the findings listed under each item."""
    implemented = {meta.code: meta for meta in all_rules()}
    selected = {meta.code: meta for meta in report.rules}
    shown = report.shown
    by_code: dict[str, list] = {}
    for finding in shown:
        by_code.setdefault(finding.code, []).append(finding)
    hidden_by_code: dict[str, int] = {}
    for finding in report.active:
        if not report.in_scope(finding):
            hidden_by_code[finding.code] = hidden_by_code.get(finding.code, 0) + 1

    sections: dict[str, Section] = {}
    for entry in checklist():
        meta = selected.get(entry["code"])
        item = _item(report, entry, meta, implemented.get(entry["code"]), by_code.get(entry["code"], []),
                     hidden_by_code.get(entry["code"], 0), per_item)
        sections.setdefault(entry["section"], Section(entry["section"], entry["section_title"], [])).items.append(item)
    for meta in (m for m in report.rules if m.is_custom):  # the team's own rules (custom_rules.py), last
        entry = {"code": meta.code, "slug": meta.slug, "text": meta.text, "section": meta.section,
                 "section_title": meta.section_title}
        item = _item(report, entry, meta, meta, by_code.get(meta.code, []), hidden_by_code.get(meta.code, 0), per_item)
        sections.setdefault(entry["section"], Section(entry["section"], entry["section_title"], [])).items.append(item)
    items = [item for section in sections.values() for item in section.items]
    fix_first = sorted((i for i in items if i.state == "fail" and sum(i.counts.values())),
                       key=lambda i: (-i.worst, -sum(i.counts.values())))[:FIX_FIRST]
    totals = {state: sum(1 for i in items if i.state == state) for state in STATE_ORDER}
    levels = {"error": 0, "warning": 0, "note": 0}
    for finding in shown:
        levels[finding.level] = levels.get(finding.level, 0) + 1
    tool = [f for f in shown if f.code.startswith("RL")]
    return Readiness(
        version=report.version, sections=list(sections.values()), fix_first=fix_first, totals=totals,
        levels=levels, suppressed=sum(1 for f in report.findings if f.suppressed_by is not None),
        files=report.files_read, objects=report.objects, scope=_scope(report),
        diagnostics=[_shown(f, implemented) for f in tool[:per_item]], diagnostics_more=max(0, len(tool) - per_item),
        notes=_notes(report), category=category)


def _item(report, entry, meta, known, findings, hidden, per_item) -> Item:
    code, slug = entry["code"], entry["slug"]
    url = known.help_uri if known is not None else None
    if meta is None:
        why = "rule not selected for this run" if known is not None else "rule not implemented yet"
        return Item(code, slug, entry["text"], "not-checked", url, why)
    status = report.statuses.get(code, "not-relevant")
    outcomes = report.outcomes.get(code, [])
    fix = _first_sentence(meta.doc.get("How to fix", ""))
    if status == "fail":
        counts = {level: sum(1 for f in findings if f.level == level) for level in ("error", "warning", "note")}
        parts = [f"{n} {level}{'s' if n != 1 else ''}" for level, n in counts.items() if n]
        evidence = ", ".join(parts) if parts else "no finding in the changed files"
        if hidden:
            evidence += f" ({hidden} more in unchanged files)"
        listed = [_shown(f, {code: meta}) for f in findings[:per_item]]
        return Item(code, slug, entry["text"], "fail", url, evidence, listed, max(0, len(findings) - per_item),
                    counts, hidden, fix, _shown(findings[0], {code: meta}) if findings else None)
    if status == "unknown":
        whys = sorted({o.why for o in outcomes if o.status == NOT_APPLICABLE and o.reason == EVIDENCE_UNAVAILABLE
                       and o.why}) or ["evidence unavailable"]
        return _with_reasons(code, slug, entry, "unknown", url, whys, per_item, fix)
    if status == "pass":
        passed = [o for o in outcomes if o.status == PASS]
        claims = sorted({o.why for o in passed if o.why.startswith("claim")})
        if claims and all(o.why.startswith("claim") for o in passed):
            evidence = "passes by " + "; ".join(claims)
        else:
            evidence = f"{len(passed)} checked, all pass" if len(passed) != 1 else "1 checked, passes"
            skipped = sum(1 for o in outcomes if o.status == NOT_APPLICABLE)
            if skipped:
                evidence += f"; {skipped} not applicable"
            if claims:
                evidence += f" (some by {'; '.join(claims)})"
        return Item(code, slug, entry["text"], "pass", url, evidence)
    if status == "waived":
        reasons = sorted({f.suppressed_by.reason for f in report.findings
                          if f.code == code and f.suppressed_by is not None and f.suppressed_by.reason})
        reasons = reasons or sorted({o.why for o in outcomes if o.why})
        return _with_reasons(code, slug, entry, "waived", url, reasons or ["waived"], per_item, fix)
    whys = sorted({o.why for o in outcomes if o.why}) or ["nothing in this repository for the rule to judge"]
    return _with_reasons(code, slug, entry, "not-applicable", url, whys, per_item, fix)


def _with_reasons(code, slug, entry, state, url, reasons, per_item, fix) -> Item:
    evidence = _clip(reasons[0], 160) + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else "")
    details = reasons[:per_item] if len(reasons) > 1 else []
    return Item(code, slug, entry["text"], state, url, evidence, details, max(0, len(reasons) - per_item), fix=fix)


def _shown(finding, metas) -> Shown:
    meta = metas.get(finding.code)
    loc = finding.location
    return Shown(finding.level, loc.path, loc.line, loc.col, _clip(finding.message, MESSAGE_CHARS), finding.code,
                 meta.help_uri if meta is not None else "")


def _scope(report: Report) -> str | None:
    if report.changed_since is None:
        return None
    hidden = len(report.active) - len(report.shown)
    return (f"Pull-request mode: findings in files changed since {report.changed_since}; {hidden} finding"
            f"{'s' if hidden != 1 else ''} in unchanged files {'are' if hidden != 1 else 'is'} not shown "
            "(the SARIF results keep them all).")


def _notes(report: Report) -> list[str]:
    notes = list(report.warnings)
    templates = sorted({n.path for n in report.notes if n.kind == "template" and n.path})
    if templates:
        listed = ", ".join(templates[:5]) + (f" and {len(templates) - 5} more" if len(templates) > 5 else "")
        notes.append(f"{len(templates)} unrendered Helm template file{'s' if len(templates) != 1 else ''} "
                     f"skipped ({report.skipped_templates_hint()}): {listed}.")
    notes += [f"{n.path + ': ' if n.path else ''}{n.message}" for n in report.notes if n.kind != "template"]
    for error in report.errors:
        first = str(error).splitlines()[0].rstrip(":") if error else "internal error"
        notes.append(f"internal error: {first}")
    return notes


def _first_sentence(text: str) -> str:
    """The first sentence of a doc section, for a one-line hint ("e.g." and "i.e." do not end it)."""
    text = " ".join(text.split())
    match = re.match(r"(.+?(?<!e\.g)(?<!i\.e)[.!?])(\s+[A-Z(`*]|$)", text)
    sentence = match.group(1) if match else text
    if sentence.endswith(":") or len(sentence) > 300:
        return ""
    return sentence


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- Markdown rendering -------------------------------------------------------------------------------------

_MD_SPECIAL = lazy_re.compile(r"([\\`*_\[\]<>|~#])")
_ENTITY = lazy_re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def md(text) -> str:
    """Text made inert in Markdown and in a table cell: punctuation escaped, `&` only where it starts an entity."""
    return _MD_SPECIAL.sub(r"\\\1", _ENTITY.sub("&amp;", str(text)))


def md_ticks(text) -> str:
    """Like ``md``, but balanced `code` spans (rule-authored hints) stay code spans; their content is literal."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:
        return md(text)
    return "".join(code(part) if n % 2 else md(part) for n, part in enumerate(parts))


def inline(text) -> str:
    """Trusted Markdown from rule docs on one line (table pipes escaped)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(text) -> str:
    """An inline code span that survives backticks and table pipes."""
    text = str(text).replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def ticks(text):
    """HTML: Markdown `code` spans of rule docs as <code>, everything else escaped."""
    from markupsafe import Markup, escape

    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: keep the text as it is
        return escape(text)
    return Markup("").join(Markup("<code>{}</code>").format(p) if n % 2 else escape(p) for n, p in enumerate(parts))


def environment(autoescape: bool):
    """The jinja2 environment for both templates (imported on use: `check` pays only when it renders)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=autoescape,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["md"] = md
    env.filters["code"] = code
    env.filters["inline"] = inline
    env.filters["md_ticks"] = md_ticks
    env.filters["ticks"] = ticks
    return env


def render(report: Report, category: str | None = None, max_bytes: int = MAX_BYTES) -> str:
    """Markdown under ``max_bytes``: fewer findings per item first, then a cut with a closing line."""
    template = environment(autoescape=False).get_template("report.md.j2")
    text = ""
    for per_item in (FINDINGS_PER_ITEM, 3, 0):
        text = template.render(r=readiness(report, category, per_item), states=STATES)
        if len(text.encode("utf-8")) <= max_bytes:
            return text
    return _cut(text, max_bytes)


def _cut(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    room = max_bytes - 400
    kept = data[:room].decode("utf-8", "ignore")
    kept = kept[: kept.rfind("\n") + 1]
    open_details = kept.count("<details>") - kept.count("</details>")
    omitted = len(data) - len(kept.encode("utf-8"))
    closing = "\n</details>\n" * max(0, open_details)
    return (kept + closing + f"\n**Report truncated:** {omitted} bytes omitted to stay under GitHub's 1 MiB "
            "job-summary limit; the SARIF and JSON outputs list every finding.\n")
