"""The GitHub settings snapshot file, read offline: loading, validation and key positions.

`readylint snapshot github` is the only networked step; `check` reads its file here. A snapshot that
cannot be used makes settings evidence unavailable (never a pass); one that fails JSON or schema
validation is also an RL001 problem at the file. What the settings mean (merged branch protection,
environments) is ``github_settings``; a run without a snapshot never loads it.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass
from typing import NamedTuple
from functools import lru_cache

from .. import package_data
from ..findings import Location
from ..inputs import json_text
from ..inputs.files import read_text
from ..inputs.git_remote import origin_url
from ..inputs.positions import deepest_position
from ..inputs.yaml_docs import load_stream

SCHEMA_ID = "readylint-github-settings/v1"
DEFAULT_PATH = ".readylint/github-settings.json"
CREATE_HINT = "run `readylint snapshot github OWNER/REPO` to record one"
# The fine-grained permission each endpoint needs, named when a 403 hides a setting (N5).
PERMISSION = {"protection": "Administration: read", "rules": "Metadata: read", "ruleset": "Metadata: read",
              "rulesets": "Metadata: read", "environments": "Actions: read", "branch": "Metadata: read",
              "codeowners_errors": "Contents: read", "bypass_actors": "write access to the ruleset"}


@lru_cache(maxsize=1)
def schema() -> dict:
    text = package_data.read_text("readylint.schemas", "github-settings.schema.json")
    return json.loads(text)


def validation_errors(data) -> list:
    """Schema errors, most specific path first (empty when the snapshot is valid)."""
    from jsonschema import Draft202012Validator

    errors = Draft202012Validator(schema()).iter_errors(data)
    return sorted(errors, key=lambda e: (-len(list(e.absolute_path)), list(map(str, e.absolute_path))))


class Endpoint(NamedTuple):
    """One recorded response: snapshot key, REST path, HTTP status and body (None unless 200)."""

    key: str
    path: str
    status: int
    body: object = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def unreadable(self) -> bool:
        """The token could not read it: evidence unknown, unlike 404 "not configured"."""
        return self.status not in (200, 404)


class Snapshot:
    """A validated snapshot with the positions of its keys in the pretty-printed file."""

    def __init__(self, data: dict, positions, path: str | None, fallback: Location):
        self.data = data
        self.positions = positions
        self.path = path  # repo-relative; None when the file lies outside the repository
        self.fallback = fallback
        self.repo = data["repo"]
        self.default_branch = data["default_branch"]
        self.branches = list(data["branches"])
        self.unknown = set(data.get("unknown", ()))
        self.taken_at = _dt.datetime.strptime(data["taken_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=_dt.timezone.utc)

    def endpoint(self, key: str) -> Endpoint | None:
        entry = self.data["endpoints"].get(key)
        if entry is None:
            return None
        return Endpoint(key, entry["path"], entry["status"], entry.get("body"))

    @property
    def archived(self) -> bool:
        repo = self.endpoint("repo")
        return bool(repo and repo.ok and isinstance(repo.body, dict) and repo.body.get("archived"))

    def at(self, *pointer) -> Location:
        """The line of the deepest existing key along ``pointer`` (keys and list indexes)."""
        return locate(self.positions, self.path, pointer) if self.path is not None else self.fallback

    def age_days(self, today: _dt.date | None = None) -> int:
        return ((today or _dt.datetime.now(_dt.timezone.utc).date()) - self.taken_at.date()).days


def locate(positions, path: str, pointer) -> Location:
    """Where the deepest existing key along ``pointer`` stands in the file (line 1 when nothing matches)."""
    if positions is None:
        return Location(path, 1, 1)
    return Location(path, *deepest_position(positions, pointer))


@dataclass
class SettingsEvidence:
    """What `check` knows about the GitHub settings: a snapshot, or why there is none."""

    snapshot: Snapshot | None = None
    unavailable: str = ""  # why settings evidence is unavailable
    note: str = ""  # shown once in the report (snapshot age, repository mismatch)
    path: str | None = None


def check_snapshot_file(path: str) -> str | None:
    """Why a snapshot named with --github-settings cannot be used, or None. Named explicitly, a broken
    snapshot is a usage error (exit 2, issue 6); found at the default path it is an RL001 finding."""
    text, problem = read_text(path, 64 * 1024 * 1024)
    if problem is not None:
        return problem.message
    try:
        data = json_text.loads(text)
    except json.JSONDecodeError as exc:
        return f"line {exc.lineno}: invalid JSON ({exc.msg})"
    errors = validation_errors(data)
    if errors:
        error = errors[0]
        stream = load_stream(text)
        loc = locate(stream.documents[0].data if stream.documents else None, path, error.absolute_path)
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        return (f"line {loc.line}: not a valid GitHub settings snapshot: {error.message} at {pointer}; write it "
                f"again with `readylint snapshot github`")
    return None


def load_snapshot(index) -> SettingsEvidence:
    """Read the snapshot the run was given (RepoIndex.settings: github_settings, github_settings_shown)."""
    full = index.settings.get("github_settings") or os.path.join(index.root, DEFAULT_PATH)
    shown = index.settings.get("github_settings_shown") or DEFAULT_PATH
    if not os.path.isfile(full):
        return SettingsEvidence(unavailable=f"no GitHub settings snapshot at {shown}; {CREATE_HINT}")
    rel = os.path.relpath(os.path.realpath(full), os.path.realpath(index.root)).replace(os.sep, "/")
    inside = not rel.startswith("../")
    if not inside and not index.settings.get("github_settings"):  # the default path is a link out of the repo
        return SettingsEvidence(unavailable=f"{shown} links outside the repository and is not read; {CREATE_HINT}")
    where = rel if inside else shown

    def broken(message, line=1, col=1):
        index.repo.problem(where, f"{where} is not a valid GitHub settings snapshot: {message}. Write it again "
                                  f"with `readylint snapshot github`.", line, col)
        return SettingsEvidence(unavailable=f"the settings snapshot {where} is invalid (see RL001)", path=where)

    text, problem = read_text(full, index.settings.get("max_file_bytes", 64 * 1024 * 1024))
    if problem is not None:
        return broken(problem.message, problem.line, problem.col)
    try:
        data = json_text.loads(text)
    except json.JSONDecodeError as exc:
        return broken(f"invalid JSON ({exc.msg})", exc.lineno, exc.colno)
    stream = load_stream(text)
    positions = stream.documents[0].data if stream.documents else None
    errors = validation_errors(data)
    if errors:
        error = errors[0]
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        loc = locate(positions, where, error.absolute_path)
        return broken(f"{error.message} at {pointer}", loc.line, loc.col)
    snapshot = Snapshot(data, positions, where if inside else None, index.repo.anchor())
    age = snapshot.age_days(index.settings.get("today"))
    note = (f"GitHub settings snapshot of {snapshot.repo} taken {data['taken_at'][:10]} "
            f"({age} day{'s' if age != 1 else ''} ago); settings may have changed since")
    expected = expected_repo(index)
    if expected and expected.lower() != snapshot.repo.lower():
        why = (f"the settings snapshot {where} describes {snapshot.repo}, not this repository ({expected}); "
               f"{CREATE_HINT}")
        return SettingsEvidence(unavailable=why, note=f"warning: {why}", path=where)
    return SettingsEvidence(snapshot=snapshot, note=note, path=where)


def expected_repo(index) -> str | None:
    """OWNER/REPO this repository is: `project.repo_url`, else the `origin` remote of a checkout at ROOT."""
    url = (index.settings.get("project") or {}).get("repo_url")
    url = url or origin_url(index.root)
    return owner_repo(url) if url else None


def owner_repo(url: str) -> str | None:
    """`owner/name` of a GitHub remote URL in any of its spellings (https, ssh, scp-like)."""
    match = re.search(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$", str(url).strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None
