"""The progress line: on a terminal for long runs only, never in CI or pipes."""
from __future__ import annotations

import io

from readylint.progress import MIN_FILES, for_stderr


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_only_a_terminal_outside_ci_gets_an_indicator(monkeypatch):
    for name in ("CI", "GITHUB_ACTIONS", "TERM"):
        monkeypatch.delenv(name, raising=False)
    assert for_stderr(io.StringIO()) is None  # a pipe or a file
    assert for_stderr(Terminal()) is not None
    monkeypatch.setenv("CI", "true")
    assert for_stderr(Terminal()) is None


def test_long_runs_draw_and_erase_short_runs_stay_silent(monkeypatch):
    for name in ("CI", "GITHUB_ACTIONS", "TERM"):
        monkeypatch.delenv(name, raising=False)
    stream = Terminal()
    progress = for_stderr(stream)
    for done in range(1, 50):
        progress(done, 50)
    progress.close()
    assert stream.getvalue() == ""
    total = MIN_FILES + 100
    for done in range(1, total + 1):
        progress(done, total)
    progress.close()
    text = stream.getvalue()
    assert f"readylint: reading files {total}/{total}" in text and text.endswith("\r\033[K")
