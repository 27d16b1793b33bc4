"""A one-line progress indicator on standard error, for long runs on a terminal only.

Never shown in CI, in pipes or in redirected output: there it would only add noise to logs.
"""
from __future__ import annotations

import os
import sys
import time

MIN_FILES = 200  # smaller repositories finish before an indicator would help
INTERVAL = 0.1  # seconds between redraws


class Progress:
    """Callable(done, total) that redraws ``readylint: reading files 120/480`` and erases it at the end."""

    def __init__(self, stream):
        self.stream = stream
        self.drawn = False
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if total < MIN_FILES:
            return
        now = time.monotonic()
        if done < total and now - self.last < INTERVAL:
            return
        self.last = now
        self.stream.write(f"\rreadylint: reading files {done}/{total}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False


def for_stderr(stream=None) -> Progress | None:
    """An indicator when standard error is a terminal outside CI, else None."""
    stream = stream or sys.stderr
    if os.environ.get("CI") or os.environ.get("GITHUB_ACTIONS") or os.environ.get("TERM") == "dumb":
        return None
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):
        return None
    return Progress(stream) if interactive else None
