"""CODEOWNERS as GitHub reads it: which file counts, its syntax errors, and who owns a path.

GitHub uses the first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS`; the last matching
pattern wins, and a pattern without owners removes ownership. Patterns follow gitignore except that
`!` negation and `[ ]` ranges are not supported and `dir/*` does not reach into subfolders.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .. import lazy_re

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
OWNER = lazy_re.compile(r"^(@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?(?:/[A-Za-z0-9._-]+)?"
                   r"|[^@\s]+@[^@\s]+\.[^@\s]+)$")


@dataclass(frozen=True)
class Entry:
    line: int
    pattern: str
    owners: tuple
    regex: object = field(compare=False, repr=False)
    whole_path_only: bool = False  # `dir/*`: files directly inside, not the folder's subfolders
    dir_only: bool = False


@dataclass
class Codeowners:
    path: str
    entries: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (line, column, message)

    def owner_entry(self, path: str) -> Entry | None:
        """The last entry matching ``path`` (its owners may be empty: explicitly unowned)."""
        for entry in reversed(self.entries):
            if matches(entry, path):
                return entry
        return None

    def owners_of(self, path: str) -> tuple:
        entry = self.owner_entry(path)
        return entry.owners if entry else ()

    @property
    def all_owners(self) -> set:
        return {owner for entry in self.entries for owner in entry.owners}


def find(root: str) -> str | None:
    """The CODEOWNERS file GitHub would use, repo-relative, or None."""
    for candidate in LOCATIONS:
        if os.path.isfile(os.path.join(root, candidate)):
            return candidate
    return None


def parse(text: str, path: str) -> Codeowners:
    result = Codeowners(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        parts = line.split()
        pattern, owners = parts[0], tuple(parts[1:])
        col = raw.index(parts[0][0]) + 1 if parts[0] else 1
        if pattern.startswith("!"):
            result.errors.append((number, col, f"pattern '{pattern}' uses '!' negation, which CODEOWNERS does not "
                                               "support"))
            continue
        if "[" in pattern and "]" in pattern:
            result.errors.append((number, col, f"pattern '{pattern}' uses a [ ] character range, which CODEOWNERS "
                                               "does not support"))
            continue
        bad = [owner for owner in owners if not OWNER.match(owner)]
        if bad:
            where = raw.index(bad[0]) + 1
            result.errors.append((number, where, f"owner '{bad[0]}' is neither @user, @org/team nor an email "
                                                 "address"))
            continue
        result.entries.append(_entry(number, pattern, owners))
    return result


def _strip_comment(raw: str) -> str:
    """Drop a `#` comment (a leading `\\#` is an escaped pattern character)."""
    if raw.lstrip().startswith("#"):
        return ""
    match = re.search(r"(?<!\\)\s#", raw)
    return raw[:match.start()] if match else raw


def _entry(line: int, pattern: str, owners: tuple) -> Entry:
    text = pattern.replace("\\#", "#")
    dir_only = text.endswith("/") and text != "/"
    text = text.rstrip("/") if dir_only else text
    anchored = "/" in text
    text = text.lstrip("/")
    whole_path_only = text.endswith("/*") and not text.endswith("/**/*")
    regex = ""
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            regex += "(?:.*/)?"
            i += 3
        elif text.startswith("/**", i) and i + 3 == len(text):
            regex += "/.*"
            i += 3
        elif text.startswith("**", i):
            regex += ".*"
            i += 2
        elif text[i] == "*":
            regex += "[^/]*"
            i += 1
        elif text[i] == "?":
            regex += "[^/]"
            i += 1
        else:
            regex += re.escape(text[i])
            i += 1
    if not anchored:
        regex = "(?:.*/)?" + regex
    return Entry(line, pattern, owners, re.compile(regex + r"\Z"), whole_path_only, dir_only)


def matches(entry: Entry, path: str) -> bool:
    """Does the entry cover ``path`` (a file), itself or through one of its folders?"""
    if entry.pattern in ("*", "/*", "**", "/**"):
        return True
    if not entry.dir_only and entry.regex.match(path):
        return True
    if entry.whole_path_only:
        return False
    parts = path.split("/")
    return any(entry.regex.match("/".join(parts[:n])) for n in range(1, len(parts)))
