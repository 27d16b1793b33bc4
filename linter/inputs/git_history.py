"""Last-change dates of repository paths from the local clone, for freshness checks (rules.md 0.10).

One ``git log --name-only`` pass answers a whole batch of paths: the log is streamed newest first and
reading stops once every asked path has its date. Commits listed in ``.git-blame-ignore-revs`` (bulk
reformatting) are skipped. Along the first-parent line a merged change is dated by its merge, when it
reached the branch. History is unavailable, never guessed, when the linted root is not the top of a
git work tree, when the clone is shallow, or when git itself is missing; GitPython is imported only
when a rule first asks.
"""
from __future__ import annotations

import datetime as _dt
import os

from .. import lazy_re

_SHA = lazy_re.compile(r"^[0-9a-f]{40}$")
_MARK = "\x1e"


class GitHistory:
    """Dates of the last commit that touched each path (committer date, UTC)."""

    def __init__(self, root: str):
        self.root = os.path.realpath(root)
        self._repo = None
        self._reason: str | None = None
        self._opened = False
        self._dates: dict[str, _dt.date | None] = {}
        self._ignored: set[str] | None = None
        self._complete = False  # the whole log has been read: undated paths were never committed

    # -- availability --------------------------------------------------------------------------------

    def _open(self):
        if self._opened:
            return self._repo
        self._opened = True
        try:
            import git  # GitPython: only runs that ask for history pay for it
        except ImportError:  # pragma: no cover - GitPython is a dependency
            self._reason = "GitPython is not installed"
            return None
        try:
            repo = git.Repo(self.root, search_parent_directories=False)
            top = os.path.realpath(repo.working_tree_dir or "")
        except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
            self._reason = f"{self.root} is not a git work tree"
            return None
        except git.exc.GitError as exc:  # pragma: no cover - broken installation
            self._reason = f"git cannot read {self.root}: {exc}"
            return None
        if top != self.root:
            self._reason = f"{self.root} is not the top of its git work tree"
            return None
        try:
            if repo.git.rev_parse("--is-shallow-repository").strip() == "true":
                self._reason = "the clone is shallow (fetch the full history, e.g. fetch-depth: 0)"
                return None
            repo.git.rev_parse("--verify", "HEAD")
        except git.exc.GitCommandError:
            self._reason = "the repository has no commits yet"
            return None
        except git.exc.GitCommandNotFound:
            self._reason = "the git executable is not available"
            return None
        self._repo = repo
        return repo

    @property
    def available(self) -> bool:
        return self._open() is not None

    @property
    def reason(self) -> str:
        """Why history is unavailable ('' when it is available)."""
        self._open()
        return self._reason or ""

    # -- dates -----------------------------------------------------------------------------------------

    def ignored_revisions(self) -> set[str]:
        if self._ignored is None:
            self._ignored = set()
            try:
                with open(os.path.join(self.root, ".git-blame-ignore-revs"), encoding="utf-8") as handle:
                    for line in handle:
                        sha = line.split("#", 1)[0].strip().lower()
                        if _SHA.match(sha):
                            self._ignored.add(sha)
            except OSError:
                pass
        return self._ignored

    def last_changed(self, path: str) -> _dt.date | None:
        return self.dates([path]).get(path)

    def dates(self, paths) -> dict[str, _dt.date | None]:
        """Last-change date per path (None: never committed, or history unavailable)."""
        paths = list(paths)
        pending = {p for p in paths if p not in self._dates}
        if pending and not self._complete and self._open() is not None:
            self._read(pending)
        return {p: self._dates.get(p) for p in paths}

    def _read(self, pending: set[str]) -> None:
        """Stream the log newest first, noting each path's first (newest) commit, until ``pending`` is dated."""
        ignored = self.ignored_revisions()
        process = self._repo.git.log("--format=" + _MARK + "%H %ct", "--name-only", "--no-renames", "-z",
                                     "--first-parent", "-m", "HEAD", as_process=True)
        skip, when, buffer = False, None, b""
        try:
            for chunk in iter(lambda: process.stdout.read(1 << 16), b""):
                *records, buffer = (buffer + chunk).split(b"\0")
                for raw in records:
                    skip, when = self._record(raw.decode("utf-8", "surrogateescape"), ignored, pending, skip, when)
                if not pending:
                    return
            if buffer:
                self._record(buffer.decode("utf-8", "surrogateescape"), ignored, pending, skip, when)
            self._complete = True
        finally:
            process.stdout.close()
            try:
                process.proc.kill()
                process.proc.wait()
            except (OSError, AttributeError):
                pass

    def _record(self, text, ignored, pending, skip, when):
        """One NUL-separated log item: a commit header, or a path touched by the current commit."""
        text = text.lstrip("\n")
        if text.startswith(_MARK):
            header, _, text = text[1:].partition("\n")
            sha, _, stamp = header.partition(" ")
            skip = sha.lower() in ignored
            when = _dt.datetime.fromtimestamp(int(stamp), _dt.timezone.utc).date()
        if text and not skip and when is not None and text not in self._dates:
            self._dates[text] = when
            pending.discard(text)
        return skip, when


def history(index) -> GitHistory:
    """The run's GitHistory, created on first use and kept on the index."""
    found = index.__dict__.get("_git_history")
    if found is None:
        found = GitHistory(index.root)
        index.__dict__["_git_history"] = found
    return found
