"""Which files a run reads, and how their bytes become text.

Inside a git work tree the candidates are what git tracks plus untracked files it does not ignore;
elsewhere the folder is walked. Links that leave the repository are never followed. Decoding follows
what Kubernetes tooling accepts: UTF-8 with or without BOM, UTF-16 with a BOM, CRLF line ends.
"""
from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(slots=True)
class FileProblem:
    """Why a file could not become text, and where."""

    message: str
    line: int = 1
    col: int = 1


def find_root(first_path: str) -> str:
    """The git top level of the first path, else the current folder when it holds the path."""
    probe = first_path if os.path.isdir(first_path) else os.path.dirname(os.path.abspath(first_path))
    top = _git_top_level(probe) if _inside_checkout(probe) else None  # git is not started to be told "no"
    if top:
        return top
    cwd = os.path.realpath(os.getcwd())
    target = os.path.realpath(first_path)
    if target == cwd or target.startswith(cwd + os.sep):
        return cwd
    return target if os.path.isdir(target) else os.path.dirname(target)


def _git_top_level(folder: str) -> str | None:
    import subprocess  # git runs only inside a checkout

    try:
        out = subprocess.run(["git", "-C", folder, "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                             check=False)
    except OSError:
        return None
    return os.path.realpath(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def _inside_checkout(folder: str) -> bool:
    """Whether git could see a work tree at FOLDER: a `.git` in it or above it, or GIT_DIR set."""
    if os.environ.get("GIT_DIR"):
        return True
    folder = os.path.abspath(folder)
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


def is_git_tree(root: str) -> bool:
    return os.path.exists(os.path.join(root, ".git"))


def _git_files(root: str, rel_paths: list[str]) -> list[str] | None:
    import subprocess  # git runs only inside a checkout

    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "-co", "--exclude-standard", "-z", "--", *rel_paths],
            capture_output=True, check=False,
        )
    except OSError:
        return None
    if out.returncode != 0:
        return None
    names = out.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _walk_files(root: str, rel_paths: list[str]) -> list[str]:
    found: set[str] = set()
    for rel in rel_paths:
        start = os.path.join(root, rel)
        if os.path.isfile(start):
            found.add(os.path.normpath(rel).replace(os.sep, "/"))
            continue
        prefix = os.path.normpath(os.path.relpath(start, root)).replace(os.sep, "/")
        _walk(start, "" if prefix == "." else prefix + "/", found)
    return sorted(found)


def _walk(folder: str, prefix: str, found: set[str]) -> None:
    """Regular files and links below ``folder``; linked folders are not entered (as os.walk), and pipes,
    sockets and devices are skipped (as git skips them). A stack, not recursion: folders may nest deeply."""
    pending = [(folder, prefix)]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIP_DIRS:
                            pending.append((entry.path, prefix + entry.name + "/"))
                    elif entry.is_symlink() or entry.is_file(follow_symlinks=False):
                        found.add(prefix + entry.name)
        except OSError:
            continue


def list_files(root: str, rel_paths: list[str], excludes: list[str]) -> list[str]:
    """Repo-relative POSIX paths below ``rel_paths`` that are not excluded, sorted."""
    rel_paths = [p for p in rel_paths if p not in (".", "")] or ["."]
    names = _git_files(root, rel_paths) if is_git_tree(root) else None
    if names is None:
        names = _walk_files(root, rel_paths)
    return [n for n in names if not is_excluded(n, excludes) and _inside(root, n)]


def is_excluded(path: str, globs: list[str]) -> bool:
    """A glob matches the whole path, any parent folder, or (without a slash) the file name."""
    for glob in globs:
        pattern = glob.rstrip("/")
        if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern + "/*"):
            return True
        if "/" not in pattern and fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern):
            return True
        if pattern.startswith("**/") and is_excluded(path, [pattern[3:]]):
            return True
        parts = path.split("/")
        if any(fnmatch.fnmatchcase("/".join(parts[:i]), pattern) for i in range(1, len(parts))):
            return True
    return False


def _inside(root: str, rel: str) -> bool:
    """Symlinks that resolve outside the repository (or nowhere) are never read."""
    full = os.path.join(root, rel)
    if not os.path.islink(full):
        return True
    target = os.path.realpath(full)
    return target.startswith(os.path.realpath(root) + os.sep) and os.path.isfile(target)


def inside_root(root: str, rel: str) -> bool:
    """Whether ``rel`` (any path a rule builds, `..` or links included) resolves to a place below ``root``."""
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, rel))
    return target == real_root or target.startswith(real_root + os.sep)


def decode(data: bytes) -> tuple[str | None, FileProblem | None]:
    """Text of a file, or why it has none (binary, not UTF-8) with the position of the bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, FileProblem("the file starts with a UTF-16 byte-order mark but is not valid UTF-16")
    if b"\0" in data[:8192]:
        return None, FileProblem("binary file (it contains NUL bytes); not read")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, FileProblem(f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); not read", line, col)


def read_text(path: str, max_bytes: int) -> tuple[str | None, FileProblem | None]:
    """Text of a regular file no larger than ``max_bytes`` (pipes and devices would block or never end)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return None, FileProblem("cannot read the file: not a regular file (a folder, pipe or device)")
        if info.st_size > max_bytes:
            return None, FileProblem(f"file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit; not read")
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:  # it grew while we read
            return None, FileProblem(f"file is over the {max_bytes:,}-byte limit; not read")
        return decode(data)
    except OSError as exc:
        return None, FileProblem(f"cannot read the file: {exc.strerror or exc}")
