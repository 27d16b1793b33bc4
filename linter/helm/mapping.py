"""Where in a template (and in a values file) a key of a rendered document was written (rules.md 0.7).

Templates are not YAML until rendered, so they are read as lines: walk the key path from the start
of the template's document, taking for each key the next line of the enclosing block that begins
with `<key>:` (after `- `), and `- name: <value>` lines for named list items; the deepest line found
wins, else the `kind:` line, else line 1. When that line reads one `.Values` path (through `with`
and `range`, see `scopes`), the values file line that sets it is the place to fix it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import lazy_re
from ..inputs.yaml_docs import YMap, YSeq
from . import scopes

SEPARATOR = lazy_re.compile(r"^---\s*(#.*)?$")


@dataclass(frozen=True)
class Line:
    line: int
    col: int
    end_col: int | None
    depth: int = 0  # how many segments of the key path the line stands for


def key_path_at(data, line: int, col: int) -> list | None:
    """Segments (keys, ("name", value) for named list items, indexes) of the node a position names."""
    found: list = []

    def walk(node, trail) -> bool:
        if isinstance(node, YMap):
            for key, value in node.items():
                pos = node.kpos.get(key)
                if pos is not None and pos[0] == line and pos[1] == col:
                    found.extend(trail + [key])
                    return True
                if isinstance(value, (YMap, YSeq)) and getattr(value, "line", 0) <= line and walk(value, trail + [key]):
                    return True
        elif isinstance(node, YSeq):
            for i, item in enumerate(node):
                segment = ("name", item["name"]) if isinstance(item, YMap) and isinstance(item.get("name"), str) \
                    else i
                if node.ipos[i] == (line, col):
                    found.extend(trail + [segment])
                    return True
                if isinstance(item, (YMap, YSeq)) and walk(item, trail + [segment]):
                    return True
        return False

    return found if walk(data, []) else None


def sections(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) 0-based line ranges of a template's `---`-separated documents."""
    out, start = [], 0
    for i, text in enumerate(lines):
        if SEPARATOR.match(text):
            out.append((start, i - 1))
            start = i + 1
    out.append((start, len(lines) - 1))
    return [(a, b) for a, b in out if any(_is_yaml(lines[j]) for j in range(a, b + 1))] or [(0, len(lines) - 1)]


def pick_section(lines: list[str], kind: str, of_kind: int, of_source: int) -> tuple[int, int]:
    """The template document that rendered an object: the ``of_kind``-th of those that write
    `kind: <kind>` literally, else the ``of_source``-th document (loops reuse the last one)."""
    every = sections(lines)
    pattern = re.compile(rf"^kind:\s*[\"']?{re.escape(kind)}[\"']?\s*(#.*)?$")
    literal = [s for s in every if any(pattern.match(lines[j]) for j in range(s[0], s[1] + 1))]
    if literal:
        return literal[min(of_kind, len(literal) - 1)]
    return every[min(of_source, len(every) - 1)]


def best_line(lines: list[str], section: tuple[int, int], segments: list, kind: str) -> Line:
    """The template line for ``segments`` (1-based), per the walk described in the module docstring."""
    found = walk(lines, section, segments)
    if found is not None:
        return found
    first, last = section
    pattern = re.compile(rf"^(kind):\s*[\"']?{re.escape(kind)}\b")
    for j in range(first, last + 1):
        if pattern.match(lines[j]):
            return Line(j + 1, 1, 5)
    return Line(1, 1, None)


def walk(lines: list[str], section: tuple[int, int], segments: list, parent_indent: int = -1) -> Line | None:
    """The deepest line of ``section`` that writes a prefix of ``segments``, or None when none does."""
    first, last = section
    pos, found, depth = first - 1, None, 0
    for segment in segments:
        hit = _next_line(lines, pos + 1, last, parent_indent, segment)
        if hit is None:
            break
        pos, parent_indent, found, depth = hit[0], hit[1], hit, depth + 1
    if found is None:
        return None
    return Line(found[0] + 1, found[2] + 1, found[3] + 1, depth)


def _next_line(lines, start, last, parent_indent, segment):
    """(index, indent, key column, key end) of the next line in the block that writes ``segment``.

    A named list item (`- name: api`) whose name is not written literally matches the one templated
    `- name: {{ … }}` line of the block (a `range` over the values writes every item there)."""
    templated = None
    if isinstance(segment, tuple):
        key, value = segment
        wanted = re.compile(rf"^(\s*)-\s+({re.escape(key)}):\s*[\"']?{re.escape(str(value))}[\"']?\s*(#.*)?$")
        loose = re.compile(rf"^(\s*)-\s+({re.escape(key)}):\s*.*\{{\{{")
        templated = []
    elif isinstance(segment, int):
        return None  # an unnamed list item: stay on the list's key
    else:
        wanted = re.compile(rf"^(\s*)(?:-\s+)?([\"']?{re.escape(segment)}[\"']?):(\s|$)")
    for j in range(start, last + 1):
        text = lines[j]
        if parent_indent >= 0 and _is_yaml(text) and _indent(text) <= parent_indent:
            break  # left the enclosing block
        match = wanted.match(text)
        if match:
            col = match.start(2)
            return j, len(match.group(1)), col, match.end(2)
        if templated is not None:
            match = loose.match(text)
            if match:
                templated.append((j, len(match.group(1)), match.start(2), match.end(2)))
    return templated[0] if templated and len(templated) == 1 else None


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _is_yaml(text: str) -> bool:
    """A line that is data, not blank, a comment or a template action alone."""
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith(("#", "{{"))


def continuation(lines: list[str], line: int) -> list[int]:
    """0-based indexes of a `key:` line (1-based ``line``) and the action-only lines that follow it."""
    out, j = [line - 1], line
    while j < len(lines) and lines[j].strip().startswith("{{"):
        out.append(j)
        j += 1
    return out


def values_paths(lines: list[str], line: int, start: int = 0, dot=scopes.ROOT) -> list[str]:
    """`.Values` paths the template line reads (through `with` / `range`), with its continuation lines."""
    return scopes.Reader(lines, start, dot).reads(continuation(lines, line))


def values_key_lines(data, path: str) -> list:
    """[((line, col, end_col), value, concrete path)] of the values entries that set ``path`` (dotted;
    `name[]` stands for every element of a list or map, as `range` reads them: `name[1]`, `name.key`)."""
    nodes = [(data, None, "")]
    for segment in path.split("."):
        each = segment.endswith("[]")
        key = segment[:-2] if each else segment
        following = []
        for node, _, trail in nodes:
            if not isinstance(node, YMap) or key not in node:
                continue
            child, here = node[key], f"{trail}.{key}" if trail else key
            if not each:
                following.append((child, node.kpos.get(key), here))
            elif isinstance(child, YSeq):
                following += [(item, (*child.ipos[i], None), f"{here}[{i}]") for i, item in enumerate(child)
                              if i < len(child.ipos)]
            elif isinstance(child, YMap):
                following += [(value, child.kpos.get(k), f"{here}.{k}") for k, value in child.items()]
        nodes = following
    return [(pos, node, trail) for node, pos, trail in nodes if pos is not None]
