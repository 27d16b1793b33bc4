"""Figures that documents state (an RPO, an RTO, an SLA, a retention period, an on-call schedule), with their line.

A fact is declared as data (`FactSpec`): the front-matter keys that state it exactly, the words that
introduce it in prose and how its value is parsed, so a new figure is one entry in ``FACTS``.
Durations are normalised to minutes ("15m", "1 hour", "PT4H", "daily"), percentages to floats.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from .. import lazy_re

_UNIT_MINUTES = {
    "s": 1 / 60, "sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
    "d": 1440, "day": 1440, "days": 1440,
    "w": 10080, "wk": 10080, "week": 10080, "weeks": 10080,
    "mo": 43200, "month": 43200, "months": 43200,
    "y": 525600, "yr": 525600, "year": 525600, "years": 525600,
}
_WORD_MINUTES = {"continuous": 0, "continuously": 0, "real-time": 0, "realtime": 0, "zero": 0,
                 "hourly": 60, "daily": 1440, "nightly": 1440, "weekly": 10080, "monthly": 43200,
                 "yearly": 525600, "annually": 525600}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "an": 1, "a": 1}
_DURATION = lazy_re.compile(
    r"\b(?:(?P<iso>P(?=\d|T\d)(?:\d+[YMWD])*(?:T(?:\d+[HMS])+)?)\b|"
    r"(?P<compound>(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y))+)\b|"
    r"(?P<num>\d+(?:\.\d+)?)[\s-]*(?P<unit>[a-z]+)\b|"
    r"(?P<wnum>" + "|".join(_NUMBER_WORDS) + r")[\s-]+(?P<wunit>[a-z]+)\b|"
    r"(?P<word>" + "|".join(_WORD_MINUTES) + r"))\b",
    re.IGNORECASE)
_PERCENT = lazy_re.compile(r"(?P<value>\d{1,3}(?:\.\d+)?)\s*%")


def parse_duration(text) -> float | None:
    """Minutes in a duration written by a person or a tool; None when there is none."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    return _first(str(text).strip())


def _first(text: str) -> float | None:
    for match in _DURATION.finditer(text):
        minutes = _minutes(match)
        if minutes is not None:
            return minutes
    return None


def _minutes(match) -> float | None:
    if match.group("iso"):
        total = 0.0
        date_part, _, time_part = match.group("iso")[1:].partition("T")
        for n, u in re.findall(r"(\d+)([YMWD])", date_part):
            total += int(n) * {"Y": 525600, "M": 43200, "W": 10080, "D": 1440}[u]
        for n, u in re.findall(r"(\d+)([HMS])", time_part):
            total += int(n) * {"H": 60, "M": 1, "S": 1 / 60}[u]
        return total
    if match.group("compound"):
        total = 0.0
        for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", match.group("compound")):
            total += float(n) * (1 / 60000 if u == "ms" else _UNIT_MINUTES[u])
        return total
    if match.group("num") or match.group("wnum"):
        unit = (match.group("unit") or match.group("wunit")).lower()
        if unit not in _UNIT_MINUTES:
            return None
        raw = (match.group("num") or match.group("wnum")).lower()
        return float(_NUMBER_WORDS.get(raw, raw)) * _UNIT_MINUTES[unit]
    if match.group("word"):
        return float(_WORD_MINUTES[match.group("word").lower()])
    return None


def parse_percent(text) -> float | None:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    match = _PERCENT.search(str(text or ""))
    return float(match.group("value")) if match else None


def parse_date(value) -> _dt.date | None:
    """A front-matter date (``2024-05-01``, with or without a time); None when it is not one."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", str(value or ""))
    if not match:
        return None
    try:
        return _dt.date(*map(int, match.groups()))
    except ValueError:
        return None


def format_minutes(minutes: float) -> str:
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes >= size and minutes % size == 0:
            n = int(minutes // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{minutes:g} minutes"


@dataclass(frozen=True)
class FactSpec:
    """How one figure is stated: exact front-matter keys, the prose that introduces it, its parser."""

    name: str
    keys: tuple = ()        # front-matter keys, e.g. ("rpo_minutes",); numbers there are in ``key_unit``
    key_unit: str = "minutes"
    intro: str = ""         # regex introducing the figure in prose
    kind: str = "duration"  # "duration", "percent" or "reference"


@dataclass(frozen=True)
class Fact:
    name: str
    value: float | str | None
    line: int
    col: int = 1
    text: str = ""
    source: str = "text"  # "front-matter" or "text"


FACTS = {
    "rpo": FactSpec("rpo", ("rpo_minutes", "rpo"), intro=r"\bRPO\b|recovery[ -]point(?:[ -]objective)?"),
    "rto": FactSpec("rto", ("rto_minutes", "rto"), intro=r"\bRTO\b|recovery[ -]time(?:[ -]objective)?"),
    "sla": FactSpec("sla", ("sla", "sla_percent", "availability"), kind="percent",
                    intro=r"\bSLA\b|availability|uptime"),
    "retention": FactSpec("retention", ("retention", "retention_days"), key_unit="days",
                          intro=r"\bretention\b|\bretained\b|\bkept for\b|\bdeleted after\b"),
    "oncall_schedule": FactSpec("oncall_schedule", ("oncall_schedule", "on_call_schedule"), kind="reference",
                                intro=r"on[- ]?call|rotation|schedule"),
}
_SCHEDULE_URL = lazy_re.compile(r"https?://[^\s)>\]]*(?:pagerduty\.com/(?:schedules|service-directory)|opsgenie\.com/"
                           r"(?:schedule|teams)|grafana\.net/a/grafana-oncall|oncall|incident\.io)[^\s)>\]]*",
                           re.IGNORECASE)


def find_facts(doc, name: str, start: int = 1, end: int | None = None, unparsed: bool = False) -> list[Fact]:
    """Every statement of the fact ``name`` in ``doc`` (front matter first), with its line.

    ``unparsed``: also list prose that names the fact without a readable value (value None).
    """
    spec = FACTS[name]
    found: list[Fact] = []
    for key in spec.keys:
        if key in doc.front_matter:
            raw = doc.front_matter[key]
            value = _value(spec, raw, key)
            line = doc.front_matter_lines.get(key, 1)
            found.append(Fact(name, value if value is not None else "", line, 1, f"{key}: {raw}", "front-matter"))
    intro = re.compile(spec.intro, re.IGNORECASE)
    stop = end or len(doc.lines)
    for number in range(max(start, doc.body_start), stop + 1):
        line = doc.lines[number - 1]
        for match in intro.finditer(line):
            rest = line[match.end():match.end() + 120]
            value = _prose_value(spec, rest, line)
            if value is not None or unparsed:
                found.append(Fact(name, value, number, match.start() + 1, line.strip()))
                break
    return found


def _value(spec: FactSpec, raw, key: str):
    if spec.kind == "percent":
        return parse_percent(raw)
    if spec.kind == "reference":
        return str(raw) if raw else None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw) * _UNIT_MINUTES.get(spec.key_unit, 1)
    return parse_duration(raw)


def _prose_value(spec: FactSpec, rest: str, line: str):
    if spec.kind == "percent":
        return parse_percent(rest)
    if spec.kind == "reference":
        url = _SCHEDULE_URL.search(line)
        return url.group(0) if url else None
    head = re.match(r"[\s*_`]*(?:\([^)]*\))?[\s*_`]*(?:[:=|\-–—]|is|of|under|within|at most|up to|<=?|≤)?", rest)
    tail = rest[head.end():] if head else rest
    return _first(tail[:60])
