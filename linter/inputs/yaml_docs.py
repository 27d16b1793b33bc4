"""Multi-document YAML with 1-based positions, built straight from libyaml events.

Why events: composing ruamel nodes and walking them costs about three times the parse itself, while
building plain containers from the C parser's event stream costs less than a bare compose. Positions
are kept beside the data (``YMap.kpos``, ``YSeq.ipos``), never mixed into it.

Scalars resolve the way Kubernetes' YAML reader (go-yaml v2, YAML 1.1 flavoured) resolves them, so
that ``=`` or ``yes`` never break a load. Unknown tags are never constructed: the value keeps its
plain shape. Aliases share the anchored object instead of copying it, so alias bombs stay small; and
because rules walk the data as if aliases were copies, a stream stops with a fatal issue when its nesting
or the nodes its aliases stand for pass a budget (and when an alias points into its own anchor).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

try:  # the C parser ships with ruamel.yaml.clib; the pure parser is the slow fallback
    from _ruamel_yaml import CParser as _Parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - exercised only without ruamel.yaml.clib
    _Parser = None

from ruamel.yaml.events import (
    AliasEvent,
        DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)


class YMap(dict):
    """A mapping that remembers where it and each of its keys stand (1-based line, column)."""

    __slots__ = ("line", "col", "kpos")

    def key_pos(self, key):
        """(line, column, end column) of ``key``, or None."""
        return self.kpos.get(key)


class YSeq(list):
    """A sequence that remembers where it and each of its items start."""

    __slots__ = ("line", "col", "ipos")


@dataclass(slots=True)
class ParseIssue:
    """A problem at a position in a YAML stream: fatal ones stop the file, others are reported only."""

    message: str
    line: int
    col: int
    fatal: bool = True


@dataclass(slots=True)
class YamlDocument:
    """One document of a stream: its data, where it starts and the `# Source:` comment above it."""

    data: object
    index: int
    line: int
    source: str | None = None


@dataclass(slots=True)
class YamlStream:
    documents: list[YamlDocument] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)
    placeholder_line: int | None = None  # first unquoted `{{ … }}` (an unrendered template)


_INT_DEC = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_INT_OTHER = re.compile(r"[-+]?0(?:b[01_]+|x[0-9a-fA-F_]+|[0-7_]+|o[0-7_]+)\Z")
_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL = {
    "true": True, "True": True, "TRUE": True,
    "false": False, "False": False, "FALSE": False,
    "y": True, "Y": True, "yes": True, "Yes": True, "YES": True, "on": True, "On": True, "ON": True,
    "n": False, "N": False, "no": False, "No": False, "NO": False, "off": False, "Off": False, "OFF": False,
    "~": None, "null": None, "Null": None, "NULL": None,
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}
_SOURCE_COMMENT = re.compile(r"^# Source: (\S.*?)\s*$", re.M)

_STR_TAG = "tag:yaml.org,2002:str"
MAX_DEPTH = 200  # real manifests nest at most ~35 deep (CRD schemas); rules walk data recursively
MAX_ALIAS_NODES = 100_000  # nodes that aliases stand for, counted as copies (a "billion laughs" bomb)
MAX_DUPLICATES = 20  # duplicate keys listed one by one per stream; the rest are counted in one issue
PURE_RETRY_MAX_CHARS = 4 * 1024 * 1024  # the pure-Python parser reads under 1 MB/s: no retry for bigger texts


class LimitError(Exception):
    """A stream past a loading budget; shaped like libyaml's errors so it becomes a positioned issue."""

    def __init__(self, problem: str, mark):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


def resolve_plain(text: str):
    """Type a plain (unquoted) scalar as go-yaml v2 does; anything else stays a string."""
    if not text:
        return None
    special = _SPECIAL.get(text, _SPECIAL)
    if special is not _SPECIAL:
        return special
    first = text[0]
    if not (first.isdigit() or first in "-+."):
        return text
    if _INT_DEC.match(text):
        return int(text.replace("_", ""))
    if _INT_OTHER.match(text):
        body = text.replace("_", "")
        sign = -1 if body[0] == "-" else 1
        body = body.lstrip("+-")
        if body[1:2] in ("b", "x", "o"):
            return sign * int(body[2:], {"b": 2, "x": 16, "o": 8}[body[1]])
        return sign * int(body, 8)
    if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text


def _parser_error(exc: Exception) -> ParseIssue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"{context}, {problem}" if context and problem else (problem or "invalid YAML")
    if mark is None:
        return ParseIssue(message, 1, 1)
    return ParseIssue(message, mark.line + 1, mark.column + 1)


def _pure_events(text: str):
    """ruamel's own (pure Python) parser: the fallback without the C extension, and for flow-colon scalars."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).parse(text)


def _events(text: str, pure: bool = False):
    """The event stream; the C parser's get_event returns None after the end, so iter() drives it from C."""
    if _Parser is not None and not pure:
        return iter(_Parser(text).get_event, None)
    return _pure_events(text)


# The bundled libyaml predates 0.2.2 and refuses a colon inside a plain scalar in a flow collection
# (`args: [--url=https://x]`), which go-yaml and newer libyaml accept; ruamel's own parser accepts it too.
_FLOW_COLON = "found unexpected ':'"


class _Builder:
    """Builds containers from events; one instance per stream."""

    def __init__(self, stream: YamlStream, text: str):
        self.stream = stream
        self.anchors: dict[str, object] = {}
        self._text = text  # for placeholder detection: marks index into it
        self._lines: list[str] | None = None  # split on first use: only unrendered templates need lines
        self._expanded: dict[int, tuple[int, int]] = {}  # id of a closed container -> (nodes, depth)
        self._alias_nodes = 0
        self._duplicates = 0
        self._more_at: tuple[int, int] | None = None  # the first duplicate key not listed

    def build(self, events) -> None:
        stack: list = []  # open containers
        pending: list = []  # per open mapping: None (expecting a key) or (key, kpos)
        placeholders: list = []  # per open mapping: its text is `{{ … }}`
        doc_line = 1
        index = 0
        for ev in events:
            kind = type(ev)
            if kind is ScalarEvent:
                value = ev.value
                if stack and not ev.anchor:  # the common case, inlined: a key or a value in a container
                    top = stack[-1]
                    mark = ev.start_mark
                    if type(top) is YMap:
                        waiting = pending[-1]
                        if waiting is None:  # a key: stays text
                            line, col, end = mark.line + 1, mark.column + 1, ev.end_mark
                            kpos = (line, col, end.column + 1 if end.line + 1 == line else col + len(value))
                            if value in top:
                                self._duplicate(top, value, kpos)
                            pending[-1] = (value, kpos)
                            continue
                        if not ev.style and ev.tag != _STR_TAG:
                            value = resolve_plain(value)
                        top[waiting[0]] = value
                        top.kpos[waiting[0]] = waiting[1]
                        pending[-1] = None
                        continue
                    if not ev.style and ev.tag != _STR_TAG:
                        value = resolve_plain(value)
                    top.append(value)
                    top.ipos.append((mark.line + 1, mark.column + 1))
                    continue
                mark = ev.start_mark
                is_key = bool(stack) and type(stack[-1]) is YMap and pending[-1] is None
                if not ev.style and not is_key and ev.tag != _STR_TAG:
                    value = resolve_plain(value)  # keys stay text; unknown tags are never constructed
                if ev.anchor:
                    self.anchors[ev.anchor] = value
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                mark = ev.start_mark
                if len(stack) >= MAX_DEPTH:
                    raise LimitError(f"nesting deeper than {MAX_DEPTH} levels; not read further", mark)
                value = YMap() if kind is MappingStartEvent else YSeq()
                value.line = mark.line + 1
                value.col = mark.column + 1
                if kind is MappingStartEvent:
                    value.kpos = {}
                else:
                    value.ipos = []
                if ev.anchor:
                    self.anchors[ev.anchor] = value
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = stack.pop()
                pos = (done.line, done.col, None)
                if kind is MappingEndEvent:
                    pending.pop()
                    if placeholders.pop():
                        done = self._placeholder_text(done)
                    elif "<<" in done:
                        self._merge(done)
                if not stack:
                    self._emit(done, index, doc_line)
                    index += 1
                else:
                    self._attach(stack, pending, done, pos, True)
                continue
            elif kind is AliasEvent:
                mark = ev.start_mark
                value = self.anchors.get(ev.anchor)
                if isinstance(value, (YMap, YSeq)):
                    self._check_alias(value, stack, mark)
            elif kind is DocumentStartEvent:
                doc_line = ev.start_mark.line + 1
                continue
            else:  # stream start and end, document end
                continue

            if kind is MappingStartEvent or kind is SequenceStartEvent:
                stack.append(value)
                if kind is MappingStartEvent:
                    pending.append(None)
                    flow = ev.flow_style
                    placeholders.append(bool(flow) and self._is_placeholder(ev))
                continue
            if not stack:
                self._emit(value, index, doc_line)
                index += 1
            else:
                self._attach(stack, pending, value, (mark.line + 1, mark.column + 1, ev.end_mark), False)

    # -- helpers ---------------------------------------------------------------------------------------

    def _check_alias(self, value, stack, mark) -> None:
        """Refuse aliases that make the data cyclic, too deep, or too big once walked as copies."""
        if any(value is open_ for open_ in stack):
            raise LimitError("an alias refers to the node that contains it; not read further", mark)
        nodes, depth = self._size(value)
        if len(stack) + depth > MAX_DEPTH:
            raise LimitError(f"an alias nests the data deeper than {MAX_DEPTH} levels; not read further", mark)
        self._alias_nodes += nodes
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise LimitError(f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (an alias bomb?); "
                             "not read further", mark)

    def _size(self, value) -> tuple[int, int]:
        """Nodes and depth of a closed container with every alias counted as a copy (memoised)."""
        known = self._expanded.get(id(value))
        if known is not None:
            return known
        nodes, depth = 1, 0
        for child in value.values() if type(value) is YMap else value:
            if isinstance(child, (YMap, YSeq)):
                n, d = self._size(child)
                nodes += n
                depth = max(depth, d)
            else:
                nodes += 1
        self._expanded[id(value)] = result = (nodes, depth + 1)
        return result

    def _is_placeholder(self, ev) -> bool:
        """A flow mapping written `{{ … }}` is a Go-template action, not data."""
        start = ev.start_mark.index
        return self._text.startswith("{{", start)

    def _placeholder_text(self, mapping: YMap) -> str:
        if self.stream.placeholder_line is None:
            self.stream.placeholder_line = mapping.line
        if self._lines is None:
            self._lines = self._text.split("\n")
        lines = self._lines
        line = lines[mapping.line - 1] if mapping.line - 1 < len(lines) else ""
        start = mapping.col - 1
        end = line.find("}}", start)
        return line[start : end + 2] if end >= 0 else line[start:].rstrip()

    def _merge(self, mapping: YMap) -> None:
        """YAML 1.1 merge keys (`<<: *base`), which go-yaml honours: explicit keys win."""
        sources = mapping.pop("<<")
        kpos = mapping.kpos.pop("<<", None)
        for source in sources if isinstance(sources, list) else [sources]:
            if isinstance(source, YMap):
                for key, val in source.items():
                    if key not in mapping:
                        mapping[key] = val
                        mapping.kpos[key] = kpos or source.kpos.get(key)

    def _attach(self, stack, pending, value, pos, is_container) -> None:
        top = stack[-1]
        if type(top) is YMap:
            waiting = pending[-1]
            if waiting is None:  # this value is a key
                if is_container:
                    key = value if isinstance(value, str) else _key_text(value)
                    kpos = (pos[0], pos[1], pos[1] + len(key))
                else:
                    key = value
                    line, col, end_mark = pos
                    end_col = end_mark.column + 1 if end_mark.line + 1 == line else col + len(str(key))
                    kpos = (line, col, end_col)
                if key in top:
                    self._duplicate(top, key, kpos)
                pending[-1] = (key, kpos)
            else:
                key, kpos = waiting
                top[key] = value
                top.kpos[key] = kpos
                pending[-1] = None
        else:
            top.append(value)
            top.ipos.append(pos[:2])

    def _duplicate(self, mapping: YMap, key, kpos) -> None:
        self._duplicates += 1
        if self._duplicates > MAX_DUPLICATES:
            self._more_at = self._more_at or (kpos[0], kpos[1])
            return
        first = mapping.kpos.get(key)
        where = f" (first at line {first[0]})" if first else ""
        self.stream.issues.append(ParseIssue(f"duplicate mapping key '{key}'{where}; the last value wins",
                                             kpos[0], kpos[1], fatal=False))

    def finish(self) -> None:
        """One issue for the duplicate keys past the listed ones, so a generated file cannot flood the report."""
        if self._more_at is not None:
            more = self._duplicates - MAX_DUPLICATES
            self.stream.issues.append(ParseIssue(f"{more:,} more duplicate mapping key{'s' if more > 1 else ''} "
                                                 "from here on (not listed one by one); the last value wins",
                                                 *self._more_at, fatal=False))
            self._more_at = None

    def _emit(self, data, index, line) -> None:
        self.stream.documents.append(YamlDocument(data=data, index=index, line=line))


def _key_text(value) -> str:
    """A complex mapping key (rare, never Kubernetes) as text, so the document still loads."""
    if isinstance(value, YMap) and len(value) == 1 and next(iter(value.values())) is None:
        return "{" + str(next(iter(value))) + "}"
    return repr(value)


def _strip_trailing_tabs(text: str) -> str:
    """Tabs after a value are whitespace to Kubernetes' reader but an error to libyaml; keep columns."""
    return re.sub(r"[ \t]+$", lambda m: " " * len(m.group(0)), text, flags=re.M)


def load_stream(text: str, clamp: bool = True) -> YamlStream:
    """Parse every document of ``text``; a fatal issue keeps the documents read before it.

    ``clamp``: an error at the end of the stream moves to the last line (pass False when the text is part
    of a file whose next line exists, such as front matter before its closing ``---``)."""
    attempt, pure, tried = text, False, set()
    while True:
        stream = YamlStream()
        builder = _Builder(stream, attempt)
        try:
            builder.build(_events(attempt, pure))
            builder.finish()
            break
        except Exception as exc:  # libyaml raises its own error classes; all carry marks
            builder.finish()
            issue = _parser_error(exc)
            stream.issues.append(_within(issue, text) if clamp else issue)
        # retries keep every column: a colon in a flow scalar, then tabs after values
        if _FLOW_COLON in issue.message and "pure" not in tried and len(attempt) <= PURE_RETRY_MAX_CHARS:
            tried.add("pure")
            pure = True
        elif "tabs" not in tried and "\t" in attempt and _strip_trailing_tabs(attempt) != attempt:
            tried.add("tabs")
            attempt = _strip_trailing_tabs(attempt)
        else:
            break
    _attach_sources(text, stream)
    return stream


def _within(issue: ParseIssue, text: str) -> ParseIssue:
    """An error at the end of the stream is reported on the last line, so it points at a line that exists."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if issue.line > len(lines):
        issue.line = max(len(lines), 1)
        issue.col = len(lines[-1]) + 1 if lines else 1
    return issue


def _attach_sources(text: str, stream: YamlStream) -> None:
    """Give each document the `# Source: …` comment written between it and the previous one."""
    if "# Source:" not in text:
        return
    comments = [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _SOURCE_COMMENT.finditer(text)]
    if not comments:
        return
    previous_start = 0
    for doc in stream.documents:
        start = doc.line
        data = doc.data
        if isinstance(data, (YMap, YSeq)):
            start = max(start, data.line)
        for line, source in comments:
            if previous_start <= line <= start:
                doc.source = source
        previous_start = start + 1
