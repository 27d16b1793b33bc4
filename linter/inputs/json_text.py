"""JSON text to data for the rules that read JSON files and annotations.

Why not bare ``json.loads``: nesting deeper than the interpreter's recursion limit raises RecursionError,
which no caller expects and which would end a rule as an internal error. Here it is a JSONDecodeError
(a ValueError) at the position where the nesting passed the limit, like any other malformed JSON.
"""
from __future__ import annotations

import json

MAX_DEPTH = 200  # as for YAML: real JSON (dashboards, OpenAPI, coverage) nests far less


def loads(text: str | bytes):
    """``json.loads`` that reports nesting too deep to read as a JSONDecodeError with a position."""
    try:
        return json.loads(text)
    except RecursionError:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        raise json.JSONDecodeError(f"nesting deeper than {MAX_DEPTH} levels", text, _too_deep_at(text)) from None


def _too_deep_at(text: str) -> int:
    """Offset of the bracket that opens level MAX_DEPTH + 1 (strings skipped); only on the error path."""
    depth, in_string, escaped = 0, False, False
    for offset, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return offset
        elif ch in "]}":
            depth -= 1
    return 0
