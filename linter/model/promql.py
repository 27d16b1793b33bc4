"""Just enough PromQL for linting: label matchers, range windows and a syntax check that catches typos.

A full PromQL grammar is not needed to answer "which workload does this alert watch" or "would Prometheus
reject this rule": a tokenizer that checks brackets, strings, matcher lists and range durations catches the
mistakes people make when editing rules by hand (an unclosed brace, `=` instead of `=~`, `[5]`).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .. import lazy_re

_DURATION = lazy_re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
_DURATION_PART = lazy_re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_MATCHER = lazy_re.compile(r"""\s*(?:([A-Za-z_][A-Za-z0-9_]*)|"([^"\\]*(?:\\.[^"\\]*)*)")\s*(=~|!~|!=|=)\s*"""
                      r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`([^`]*)`)\s*""")
_QUOTED_NAME = lazy_re.compile(r"""\s*"(?:[^"\\]|\\.)*"\s*""")
_COMPARISON = lazy_re.compile(r"(==|!=|>=|<=|>|<)\s*(?:bool\s+)?(-?[0-9.]+(?:e[+-]?\d+)?)\s*$", re.IGNORECASE)


class Matcher(NamedTuple):
    label: str
    op: str  # =, !=, =~, !~
    value: str

    def selects(self, candidate: str) -> bool:
        """True when this positive matcher names ``candidate`` (never for negative or catch-all matchers)."""
        if self.op == "=":
            return self.value == candidate
        if self.op == "=~":
            if self.value in ("", ".*", ".+") or not candidate:
                return False
            try:
                return re.fullmatch(self.value, candidate) is not None
            except re.error:
                return False
        return False


def parse_duration(text) -> float | None:
    """Seconds in a Prometheus duration (``1h30m``), or None when it is not one."""
    if not isinstance(text, str) or not _DURATION.match(text.strip()):
        return None
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text.strip()))


def _strip_strings(expr: str) -> str:
    """The expression with string contents blanked, so braces inside strings do not confuse scans."""
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', lambda m: m.group(0)[0] * 2, expr)


def _without_comments(expr: str) -> str:
    out = []
    for line in expr.splitlines():
        scrubbed = _strip_strings(line)
        cut = scrubbed.find("#")
        out.append(line if cut < 0 else line[:cut])
    return "\n".join(out)


def matchers(expr) -> list[Matcher]:
    """Every label matcher inside ``{...}`` in the expression (metric-name strings skipped)."""
    if not isinstance(expr, str):
        return []
    return list(_matchers(expr))


@lru_cache(maxsize=8192)
def _matchers(expr: str) -> tuple:
    expr = _without_comments(expr)
    found = []
    for body in _brace_bodies(expr):
        for part in _split_commas(body):
            m = _MATCHER.fullmatch(part)
            if m:
                label = m.group(1) or m.group(2)
                value = next((g for g in m.group(4, 5, 6) if g is not None), "")
                found.append(Matcher(label, m.group(3), value))
    return tuple(found)


def _brace_bodies(expr: str):
    i, n = 0, len(expr)
    while i < n:
        ch = expr[i]
        if ch in "\"'`":
            i = _skip_string(expr, i)
            continue
        if ch == "{":
            start = i + 1
            j = start
            while j < n and expr[j] != "}":
                j = _skip_string(expr, j) if expr[j] in "\"'`" else j + 1
            yield expr[start:j]
            i = j + 1
            continue
        i += 1


def _skip_string(expr: str, i: int) -> int:
    quote = expr[i]
    j = i + 1
    while j < len(expr):
        if expr[j] == "\\" and quote != "`":
            j += 2
            continue
        if expr[j] == quote:
            return j + 1
        j += 1
    return len(expr)


def _split_commas(body: str) -> list[str]:
    parts, current, i = [], [], 0
    while i < len(body):
        ch = body[i]
        if ch in "\"'`":
            end = _skip_string(body, i)
            current.append(body[i:end])
            i = end
            continue
        if ch == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
                       "bool", "offset", "inf", "nan", "atan2", "start", "end"})


def metric_names(expr) -> frozenset:
    """Metric and recording-rule names the expression reads (identifiers that are not calls or keywords)."""
    if not isinstance(expr, str):
        return frozenset()
    return _metric_names(expr)


@lru_cache(maxsize=8192)
def _metric_names(expr: str) -> frozenset:
    text = _strip_strings(_without_comments(expr))
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])(?!\s*\()", text):
        word = m.group(1)
        if word.lower() not in _KEYWORDS and not re.fullmatch(r"\d+[a-z]*", word):
            names.add(word)
    return frozenset(names)


def range_windows(expr) -> list[float]:
    """Seconds of every range selector ``[5m]`` and subquery range ``[1h:5m]`` (its range part)."""
    if not isinstance(expr, str):
        return []
    out = []
    for body in re.findall(r"\[([^\]]*)\]", _strip_strings(expr)):
        seconds = parse_duration(body.split(":")[0].strip())
        if seconds is not None:
            out.append(seconds)
    return out


def final_comparison(expr) -> tuple[str, float] | None:
    """The trailing ``op number`` of an alert expression (``> 0.05``), or None."""
    if not isinstance(expr, str):
        return None
    m = _COMPARISON.search(_without_comments(expr).strip())
    if not m:
        return None
    try:
        return m.group(1), float(m.group(2))
    except ValueError:
        return None


def syntax_error(expr) -> str | None:
    """A short reason when the expression cannot be valid PromQL, else None.

    Checks: non-empty text, strings closed, (), {} and [] balanced and properly nested, every ``{...}``
    a list of label matchers, every ``[...]`` a duration or a ``range:resolution`` subquery, no dangling
    binary operator at either end.
    """
    if expr is None or (isinstance(expr, str) and not expr.strip()):
        return "the expression is empty"
    if not isinstance(expr, str):
        return "the expression is not a string"
    text = _without_comments(expr)
    if not text.strip():
        return "the expression is empty"
    stack: list[tuple[str, int]] = []
    pairs = {")": "(", "}": "{", "]": "["}
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'`":
            end = _skip_string(text, i)
            if end >= n and (end - 1 <= i or text[end - 1] != ch):
                return f"the string starting at offset {i} is not closed"
            i = end
            continue
        if ch in "({[":
            stack.append((ch, i))
        elif ch in ")}]":
            if not stack or stack[-1][0] != pairs[ch]:
                return f"unexpected '{ch}' at offset {i}"
            opener, start = stack.pop()
            body = text[start + 1:i]
            if opener == "{" and not _valid_matchers(body):
                return f"'{{{body.strip()}}}' is not a list of label matchers"
            if opener == "[" and not _valid_range(body):
                return f"'[{body.strip()}]' is not a range duration"
        i += 1
    if stack:
        return f"'{stack[-1][0]}' at offset {stack[-1][1]} is never closed"
    stripped = _strip_strings(text).strip()
    if re.search(r"(?:[-+*/%^]|==|!=|>=|<=|(?<![=!<>])[<>]|\band|\bor|\bunless)\s*$", stripped):
        return "the expression ends with a binary operator"
    if re.match(r"^(?:[*/%^]|==|!=|>=|<=|[<>]|and\b|or\b|unless\b)", stripped):
        return "the expression starts with a binary operator"
    return None


def _valid_matchers(body: str) -> bool:
    if not body.strip():
        return True
    for part in _split_commas(body):
        if not (_MATCHER.fullmatch(part) or _QUOTED_NAME.fullmatch(part)):
            return False
    return True


def _valid_range(body: str) -> bool:
    body = body.strip()
    if ":" in body:
        rng, _, step = body.partition(":")
        return parse_duration(rng.strip()) is not None and (not step.strip() or parse_duration(step.strip()))
    return parse_duration(body) is not None
