"""When CI actually runs: GitHub `paths` / `paths-ignore` filters and GitLab `rules: if:` expressions.

A workflow that triggers on pull requests can still skip every change to the chart or the application
code through a path filter, and a GitLab pipeline whose `rules:` never match a merge request or the
default branch never runs at all (rules.md CD004 traps). Both are read here, without running anything:
path filters follow GitHub's filter-pattern syntax (``*``, ``**``, ``?``, ``!`` negation, last match
wins); GitLab ``if:`` expressions are evaluated in three-valued logic against the predefined variables of
a merge-request pipeline, a feature-branch pipeline and a default-branch pipeline, so a user variable
or an unknown branch name makes a rule "may match", never "never matches".
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from .. import lazy_re
from ..findings import Location
from ..inputs.yaml_docs import YMap, YSeq

# -- GitHub path filters --------------------------------------------------------------------------------------

FILTERED_EVENTS = ("pull_request", "pull_request_target", "push")


@dataclass(frozen=True)
class PathFilter:
    pipeline_path: str
    event: str
    kind: str  # "paths" or "paths-ignore"
    patterns: tuple
    location: Location

    def runs_for(self, path: str) -> bool:
        """Whether a change to ``path`` alone triggers the workflow for this event."""
        selected = False
        for pattern in self.patterns:
            negated = pattern.startswith("!")
            if _glob(pattern[1:] if negated else pattern).fullmatch(path):
                selected = not negated
        return selected if self.kind == "paths" else not selected


_GLOBS: dict = {}


def _glob(pattern: str) -> re.Pattern:
    """GitHub filter pattern as a regex; a plain folder name also covers what is below it (lenient)."""
    found = _GLOBS.get(pattern)
    if found is None:
        text = pattern.strip().lstrip("/")
        out, i = [], 0
        while i < len(text):
            char = text[i]
            if text.startswith("**/", i):
                out.append("(?:.*/)?")
                i += 3
                continue
            if text.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
            i += 1
        regex = "".join(out)
        if not any(c in text for c in "*?[") and not text.endswith("/"):
            regex += "(?:/.*)?"
        elif text.endswith("/"):
            regex += ".*"
        found = _GLOBS[pattern] = re.compile(regex)
    return found


def path_filters(index, pipeline) -> list[PathFilter]:
    """The `paths` / `paths-ignore` filters of a GitHub workflow's pull-request and push triggers."""
    if pipeline.kind != "github":
        return []
    docs = index.documents.get(pipeline.path) or []
    data = docs[0].data if docs else None
    on = data.get("on", data.get(True)) if isinstance(data, YMap) else None
    if not isinstance(on, YMap):
        return []
    found = []
    for event in FILTERED_EVENTS:
        body = on.get(event)
        if not isinstance(body, YMap):
            continue
        for kind in ("paths", "paths-ignore"):
            patterns = body.get(kind)
            if isinstance(patterns, str):
                patterns = [patterns]
            if isinstance(patterns, (list, YSeq)) and patterns:
                line, col, end = body.kpos[kind]
                found.append(PathFilter(pipeline.path, event, kind, tuple(str(p) for p in patterns),
                                        Location(pipeline.path, line, col, end)))
    return found


# -- GitLab rules ---------------------------------------------------------------------------------------------

class _Branch(str):
    """A branch name readylint does not know: the default branch, or some feature branch."""


DEFAULT = _Branch("<default branch>")
FEATURE = _Branch("<feature branch>")
DEFAULT_NAMES = ("main", "master", "trunk", "develop")

CONTEXTS = {
    "merge_request": {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "1",
                      "CI_MERGE_REQUEST_ID": "1", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": FEATURE,
                      "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": DEFAULT, "CI_COMMIT_REF_NAME": FEATURE,
                      "CI_COMMIT_BRANCH": None, "CI_COMMIT_TAG": None, "CI_DEFAULT_BRANCH": DEFAULT,
                      "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result"},
    "branch": {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": FEATURE, "CI_COMMIT_REF_NAME": FEATURE,
               "CI_COMMIT_TAG": None, "CI_MERGE_REQUEST_IID": None, "CI_MERGE_REQUEST_ID": None,
               "CI_DEFAULT_BRANCH": DEFAULT},
    "default": {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": DEFAULT, "CI_COMMIT_REF_NAME": DEFAULT,
                "CI_COMMIT_TAG": None, "CI_MERGE_REQUEST_IID": None, "CI_MERGE_REQUEST_ID": None,
                "CI_DEFAULT_BRANCH": DEFAULT, "CI_OPEN_MERGE_REQUESTS": None, "CI_COMMIT_REF_PROTECTED": "true"},
}
UNKNOWN = object()
_TOKEN = lazy_re.compile(r"\s*(?:(\$\{?\w+\}?)|\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'|(/(?:[^/\\]|\\.)*/[a-z]*)"
                    r"|(==|!=|=~|!~|&&|\|\||\(|\)|!)|(null)\b)")


def evaluate(expression: str, context: dict):
    """True, False or None (cannot tell) for a GitLab ``rules: if:`` expression."""
    tokens, pos, text = [], 0, str(expression).strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            return None
        var, dq, sq, regex, op, null = match.groups()
        if var:
            name = var.strip("${}")
            tokens.append(("val", context.get(name, UNKNOWN)))
        elif dq is not None or sq is not None:
            tokens.append(("val", dq if dq is not None else sq))
        elif regex:
            tokens.append(("re", regex))
        elif null:
            tokens.append(("val", None))
        else:
            tokens.append(("op", op))
        pos = match.end()
    try:
        value, rest = _or(tokens)
    except (IndexError, ValueError):
        return None
    return value if not rest else None


def _or(tokens):
    left, tokens = _and(tokens)
    while tokens and tokens[0] == ("op", "||"):
        right, tokens = _and(tokens[1:])
        left = True if True in (left, right) else (None if None in (left, right) else False)
    return left, tokens


def _and(tokens):
    left, tokens = _unary(tokens)
    while tokens and tokens[0] == ("op", "&&"):
        right, tokens = _unary(tokens[1:])
        left = False if False in (left, right) else (None if None in (left, right) else True)
    return left, tokens


def _unary(tokens):
    if tokens[0] == ("op", "!"):
        value, rest = _unary(tokens[1:])
        return (None if value is None else not value), rest
    if tokens[0] == ("op", "("):
        value, rest = _or(tokens[1:])
        if not rest or rest[0] != ("op", ")"):
            raise ValueError("unbalanced")
        return value, rest[1:]
    left = tokens[0]
    if len(tokens) > 2 and tokens[1][0] == "op" and tokens[1][1] in ("==", "!=", "=~", "!~"):
        return _compare(left, tokens[1][1], tokens[2]), tokens[3:]
    if left[0] != "val":
        raise ValueError("operand expected")
    value = left[1]
    return (None if value is UNKNOWN else bool(value)), tokens[1:]


def _compare(left, op, right):
    if op in ("=~", "!~"):
        if right[0] != "re" or left[0] != "val":
            return None
        hit = _regex_match(left[1], right[1])
        return hit if hit is None or op == "=~" else not hit
    a, b = left[1], right[1]
    same = _equal(a, b)
    return same if same is None or op == "==" else not same


def _equal(a, b):
    if a is UNKNOWN or b is UNKNOWN:
        return None
    if isinstance(a, _Branch) or isinstance(b, _Branch):
        if isinstance(a, _Branch) and isinstance(b, _Branch):
            return a == b
        branch, other = (a, b) if isinstance(a, _Branch) else (b, a)
        if other is None:
            return False
        if branch is DEFAULT:
            return None if other in DEFAULT_NAMES else False
        return False if other in DEFAULT_NAMES else None  # some feature branch: could have any other name
    return a == b


def _regex_match(value, literal: str):
    body, flags = literal[1:literal.rindex("/")], literal[literal.rindex("/") + 1:]
    try:
        regex = re.compile(body, re.I if "i" in flags else 0)
    except re.error:
        return None
    if value is UNKNOWN:
        return None
    if value is None:
        return False
    if isinstance(value, _Branch):
        names = DEFAULT_NAMES if value is DEFAULT else ()
        if not names:
            return None
        hits = {regex.search(n) is not None for n in names}
        return hits.pop() if len(hits) == 1 else None
    return regex.search(str(value)) is not None


def outcomes(rules, context: dict, default_when: str = "on_success") -> set:
    """What `rules:` may decide in ``context``: a subset of {"run", "manual", "never"}."""
    possible = set()
    for rule in rules if isinstance(rules, (list, YSeq)) else ():
        if not isinstance(rule, YMap):
            possible.add("run")
            return possible
        condition = evaluate(str(rule["if"]), context) if "if" in rule else True
        if condition is False:
            continue
        when = str(rule.get("when") or default_when)
        possible.add("never" if when == "never" else "manual" if when == "manual" else "run")
        if condition is True and not any(k in rule for k in ("changes", "exists")):
            return possible
    possible.add("never")  # no rule matched: the job (or pipeline) is not created
    return possible


def rules_location(path: str, node: YMap, key: str = "rules") -> Location:
    if isinstance(node, YMap) and key in node.kpos:
        line, col, end = node.kpos[key]
        return Location(path, line, col, end)
    return Location(path, 1, 1)


def deployable_units(index, app_files) -> list[tuple[str, list[str]]]:
    """(label, files) of what a deploy ships: each chart folder, the Dockerfiles and the application code."""
    units = []
    charts = sorted(posixpath.dirname(p) for p in index.repo.glob("**/Chart.yaml"))
    charts = [c for c in charts if not any(c != o and c.startswith(o + "/") for o in charts if o)]
    for chart in charts:
        prefix = chart + "/" if chart else ""
        files = [p for p in index.files if p.startswith(prefix)]
        if files:
            units.append((f"the chart {chart or '.'}/", files))
    docker = [p for p in index.repo.glob("**/Dockerfile", "**/Containerfile")
              if not re.search(r"(^|/)(test|tests|hack|examples?|docs)/", p)]
    if docker:
        units.append(("the Dockerfile" + ("s" if len(docker) > 1 else ""), docker))
    if app_files:
        units.append(("the application code", app_files))
    return units
