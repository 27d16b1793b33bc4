"""GitHub's primaryLocationLineHash, computed exactly as github/codeql-action does (integrations.md S11).

upload-sarif keeps a hash that is already present, so a wrong value would stick silently: this is a
line-for-line port of `src/fingerprints.ts` (UTF-16 code units, spaces and tabs skipped, CR read as LF,
a 100-unit window hashed base 37 modulo 2^64, `hex:count`). readylint/v1 lives on Finding itself.
"""
from __future__ import annotations

BLOCK_SIZE = 100
MOD = 37
MASK = (1 << 64) - 1
FIRST_MOD = pow(MOD, BLOCK_SIZE, 1 << 64)
EOF_UNIT = 65535
_TAB, _SPACE, _LF, _CR = 9, 32, 10, 13


def _utf16_units(text: str):
    """The text as UTF-16 code units: a character outside the BMP yields its surrogate pair."""
    for char in text:
        point = ord(char)
        if point < 0x10000:
            yield point
        else:
            point -= 0x10000
            yield 0xD800 + (point >> 10)
            yield 0xDC00 + (point & 0x3FF)


def line_hashes(text: str) -> list[str]:
    """Every line's hash in order (index 0 = line 1); a text ending in a newline has one extra line."""
    window = [0] * BLOCK_SIZE
    line_numbers = [-1] * BLOCK_SIZE
    out: list[str] = []
    counts: dict[int, int] = {}
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}

    def output() -> None:
        value = state["hash"]
        counts[value] = counts.get(value, 0) + 1
        # lines are emitted in increasing order, so the list index is the line number - 1
        out.append(f"{value:x}:{counts[value]}")
        line_numbers[state["index"]] = -1

    def update(current: int) -> None:
        index = state["index"]
        begin = window[index]
        window[index] = current
        state["hash"] = (MOD * state["hash"] + current - FIRST_MOD * begin) & MASK
        state["index"] = (index + 1) % BLOCK_SIZE

    def process(current: int) -> None:
        if current in (_SPACE, _TAB) or (state["prev_cr"] and current == _LF):
            state["prev_cr"] = False
            return
        if current == _CR:
            current = _LF
            state["prev_cr"] = True
        else:
            state["prev_cr"] = False
        if line_numbers[state["index"]] != -1:
            output()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_numbers[state["index"]] = state["line"]
        if current == _LF:
            state["line_start"] = True
        update(current)

    for unit in _utf16_units(text):
        process(unit)
    process(EOF_UNIT)
    for _ in range(BLOCK_SIZE):
        if line_numbers[state["index"]] != -1:
            output()
        update(0)
    return out


def line_hash(text: str, line: int) -> str | None:
    """The hash of one 1-based line of ``text``; None when the line does not exist."""
    hashes = line_hashes(text)
    return hashes[line - 1] if 1 <= line <= len(hashes) else None


def read_source(path: str) -> str | None:
    """A file's text as codeql-action reads it (UTF-8, invalid bytes replaced, newlines untouched)."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None


class LineHashCache:
    """Hashes every line of a file once, on first use: a run may place many findings in one file.

    ``load(path)`` returns the file's text or None (absent, e.g. ``<stdin>``: then there is no hash).
    """

    def __init__(self, load):
        self._load = load
        self._files: dict[str, list[str] | None] = {}

    def get(self, path: str, line: int) -> str | None:
        if path not in self._files:
            text = self._load(path)
            self._files[path] = line_hashes(text) if text is not None else None
        hashes = self._files[path]
        if hashes is None or not 1 <= line <= len(hashes):
            return None
        return hashes[line - 1]
