"""Which `.Values` paths a template line reads, following the dot through `with` and `range` blocks.

Inside `{{ with .Values.x }}` a `{{ .port }}` reads `x.port`; inside `{{ range .Values.y }}` (or
`range $i, $v := .Values.y`) `.name` and `$v.name` read `y[].name`, one element of the list or map.
Template actions are scanned from the start of the file (or of a `define`), keeping a stack of blocks
and the `$variables` assigned in them. Only output actions count as reads: the condition of an `if`
says nothing about which value was written on the line.
"""
from __future__ import annotations

import bisect
import re

from .. import lazy_re

ROOT = ""  # the dot is the chart's top-level context (.Values, .Release …)
ACTION = lazy_re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
STRING = lazy_re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')
REFERENCE = lazy_re.compile(
    r"(?P<abs>\$?\.Values(?P<abspath>(?:\.[A-Za-z_][\w-]*)*))"
    r"|(?P<var>\$[A-Za-z_]\w*)(?P<varpath>(?:\.[A-Za-z_][\w-]*)*)"
    r"|(?<![\w)\]$.])(?P<rel>\.[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)"
    r"|(?<![\w)\]$.])(?P<dot>\.)(?![\w.])")
RANGE_VARS = lazy_re.compile(r"^(\$\w+)\s*(?:,\s*(\$\w+)\s*)?:?=\s*(.*)$", re.S)
ASSIGN = lazy_re.compile(r"^(\$\w+)\s*:?=\s*(.*)$", re.S)
OPENERS = ("if ", "with ", "range ", "define ", "block ")


class _Frame:
    def __init__(self, dot, outer):
        self.dot = dot  # ROOT, a values path ("x", "y[]"), or None (unknown)
        self.outer = outer  # the dot outside the block (an `else` branch goes back to it)
        self.vars: dict[str, str | None] = {}


def _join(base: str, rest: str) -> str:
    return f"{base}.{rest}" if base and rest else base or rest


class Reader:
    """Values reads of the lines of one template file (or one `define` body)."""

    def __init__(self, lines: list[str], start: int = 0, dot=ROOT):
        self.lines = lines
        self.start = start
        self.dot = dot

    def reads(self, targets) -> list[str]:
        """Distinct values paths the output actions starting on ``targets`` (0-based lines) read."""
        targets = set(targets)
        if not targets:
            return []
        text = "\n".join(self.lines)
        starts = [0]
        for line in self.lines:
            starts.append(starts[-1] + len(line) + 1)
        offset = starts[min(self.start, len(self.lines))]
        last = max(targets)
        stack = [_Frame(self.dot, self.dot)]
        found: list[str] = []
        for match in ACTION.finditer(text, offset):
            line = bisect.bisect_right(starts, match.start()) - 1
            if line > last:
                break
            body = match.group(1).strip()
            if body.startswith("/*"):
                continue
            if not self._control(body, stack) and line in targets:
                for path in self._references(body, stack):
                    if path not in found:
                        found.append(path)
        return found

    # -- blocks --------------------------------------------------------------------------------------------

    def _control(self, body: str, stack: list[_Frame]) -> bool:
        """Apply a block action to the stack; False for an output action."""
        top = stack[-1]
        if body == "end" or body.startswith("end "):
            if len(stack) > 1:
                stack.pop()
            return True
        if body.startswith("else"):
            rest = body[4:].strip()
            top.dot = self._single(rest[5:], stack[:-1] or stack) if rest.startswith("with ") else top.outer
            return True
        if body.startswith("with "):
            expression = body[5:]
            assigned = ASSIGN.match(expression.strip())
            frame = _Frame(None, top.dot)
            frame.dot = self._single(assigned.group(2) if assigned else expression, stack)
            if assigned:
                frame.vars[assigned.group(1)] = frame.dot
            stack.append(frame)
            return True
        if body.startswith("range "):
            expression = body[6:].strip()
            names = RANGE_VARS.match(expression)
            source = self._single(names.group(3) if names else expression, stack)
            element = source + "[]" if source else None
            frame = _Frame(element, top.dot)
            if names:
                frame.vars[names.group(2) or names.group(1)] = element
                if names.group(2):
                    frame.vars[names.group(1)] = None  # the index or key
            stack.append(frame)
            return True
        if body.startswith(OPENERS):  # if, define, block: the dot stays (define: its argument, unknown here)
            stack.append(_Frame(top.dot if body.startswith("if ") else None, top.dot))
            return True
        assigned = ASSIGN.match(body)
        if assigned:
            stack[-1].vars[assigned.group(1)] = self._single(assigned.group(2), stack)
            return True
        return False

    def _single(self, expression: str, stack) -> str | None:
        paths = self._references(expression, stack)
        return paths[0] if len(paths) == 1 else None

    # -- references ----------------------------------------------------------------------------------------

    def _references(self, expression: str, stack) -> list[str]:
        out = []
        for match in REFERENCE.finditer(STRING.sub('""', expression)):
            path = self._resolve(match, stack)
            if path and path not in out:
                out.append(path)
        return out

    @staticmethod
    def _resolve(match, stack) -> str | None:
        dot = stack[-1].dot
        if match.group("abs"):
            return match.group("abspath")[1:] or None
        if match.group("var"):
            for frame in reversed(stack):
                if match.group("var") in frame.vars:
                    base = frame.vars[match.group("var")]
                    return _join(base, match.group("varpath")[1:]) if base else None
            return None
        if match.group("rel"):
            return _join(dot, match.group("rel")[1:]) if dot else None
        return dot or None
