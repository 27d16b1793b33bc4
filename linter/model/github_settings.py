"""The GitHub settings snapshot, read offline: loading, validation, key positions and merged protection.

`readylint snapshot github` is the only networked step; `check` reads its file here. A snapshot that
cannot be used makes settings evidence unavailable (never a pass); one that fails JSON or schema
validation is also an RL001 problem at the file. Classic branch protection and rulesets are merged
setting by setting, the strictest source winning (integrations.md N6), and every setting keeps the
snapshot pointer that proves it, so findings land on the offending JSON key line.
"""
from __future__ import annotations

import configparser
import datetime as _dt
import fnmatch
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ..findings import Location
from ..inputs import json_text
from ..inputs.files import read_text
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
    text = resources.files("readylint.schemas").joinpath("github-settings.schema.json").read_text("utf-8")
    return json.loads(text)


def validation_errors(data) -> list:
    """Schema errors, most specific path first (empty when the snapshot is valid)."""
    from jsonschema import Draft202012Validator

    errors = Draft202012Validator(schema()).iter_errors(data)
    return sorted(errors, key=lambda e: (-len(list(e.absolute_path)), list(map(str, e.absolute_path))))


@dataclass(frozen=True)
class Endpoint:
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
    if not url:
        config = os.path.join(index.root, ".git", "config")
        if os.path.isfile(config):
            parser = configparser.ConfigParser(strict=False, interpolation=None)
            try:
                parser.read(config, encoding="utf-8")
                url = parser.get('remote "origin"', "url", fallback=None)
            except (configparser.Error, UnicodeDecodeError):
                url = None
    return owner_repo(url) if url else None


def owner_repo(url: str) -> str | None:
    """`owner/name` of a GitHub remote URL in any of its spellings (https, ssh, scp-like)."""
    match = re.search(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$", str(url).strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None


# -- merged protection ------------------------------------------------------------------------------------

UNKNOWN = None


@dataclass(frozen=True)
class Setting:
    """One protection setting after merging: True protective, False not, None unknown (unreadable)."""

    state: bool | None
    pointer: tuple  # snapshot pointer of the evidence, or of where the setting is missing
    source: str = ""  # "classic protection", "ruleset 42", or the unreadable endpoint
    value: object = None  # approvals count or required check names for the numeric items


@dataclass
class _Source:
    """One readable-or-not input of the merge with its verdict on a setting."""

    state: bool | None
    pointer: tuple
    name: str
    value: object = None
    weight: int = 0  # for a missing setting: 2 classic protection exists, 1 active rules exist, 0 neither


def _merge_any(sources: list[_Source]) -> Setting:
    """Protective when any readable source makes it so; unknown when none does and one is unreadable."""
    for source in sources:
        if source.state is True:
            return Setting(True, source.pointer, source.name, source.value)
    for source in sources:
        if source.state is None:
            return Setting(None, source.pointer, source.name)
    best = max(sources, key=lambda source: source.weight)  # point where a fix would go
    return Setting(False, best.pointer, best.name, best.value)


def _ref_matches(patterns, branch: str, default_branch: str) -> bool:
    for pattern in patterns or ():
        pattern = str(pattern)
        if pattern == "~ALL" or (pattern == "~DEFAULT_BRANCH" and branch == default_branch):
            return True
        if fnmatch.fnmatchcase(f"refs/heads/{branch}", pattern) or fnmatch.fnmatchcase(branch, pattern):
            return True
    return False


def ruleset_applies(ruleset: dict, branch: str, default_branch: str) -> bool:
    """A branch ruleset whose `conditions.ref_name` include matches the branch and no exclude does."""
    if ruleset.get("target", "branch") != "branch":
        return False
    ref = (ruleset.get("conditions") or {}).get("ref_name") or {}
    return _ref_matches(ref.get("include"), branch, default_branch) and not _ref_matches(
        ref.get("exclude"), branch, default_branch)


@dataclass
class BranchProtection:
    """The effective protection of one branch, from classic protection and active ruleset rules."""

    snapshot: Snapshot
    branch: str
    settings: dict = field(default_factory=dict)  # name -> Setting
    classic: Endpoint | None = None
    rules: Endpoint | None = None
    inactive: list = field(default_factory=list)  # (ruleset name, enforcement, pointer) enforcing nothing
    protected: bool | None = None  # any classic protection or active rule at all

    @property
    def rest_path(self) -> str:
        return f"/repos/{self.snapshot.repo}/branches/{self.branch}/protection"

    def describe(self, pointer: tuple) -> str:
        """`GET <REST path> #/<pointer in the body>` for a snapshot pointer."""
        if len(pointer) >= 2 and pointer[0] == "endpoints":
            entry = self.snapshot.endpoint(pointer[1])
            if entry is not None:
                if not entry.ok:
                    return f"GET {entry.path}: HTTP {entry.status}"
                inner = pointer[3:] if len(pointer) > 2 and pointer[2] == "body" else ()
                where = "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in inner)
                absent = "" if _exists(entry.body, inner) else " is absent"
                return f"GET {entry.path} {where}{absent}"
        return "#/" + "/".join(str(p) for p in pointer)


def _classic_state(snapshot: Snapshot, branch: str) -> tuple[str, Endpoint | None]:
    """present, absent (404 or `protected: false`) or unreadable."""
    classic = snapshot.endpoint(f"protection.{branch}")
    if classic is not None and classic.ok and isinstance(classic.body, dict):
        return "present", classic
    info = snapshot.endpoint(f"branch.{branch}")
    if classic is not None and classic.status == 404:
        return "absent", classic
    if info is not None and info.ok and isinstance(info.body, dict) and info.body.get("protected") is False:
        return "absent", classic
    return "unreadable", classic


def protection_of(snapshot: Snapshot, branch: str) -> BranchProtection:
    """Merge classic protection and the active rules of ``branch`` (integrations.md N6)."""
    result = BranchProtection(snapshot, branch)
    state, classic = _classic_state(snapshot, branch)
    result.classic = classic
    ckey = f"protection.{branch}"
    base = ("endpoints", ckey, "body")
    status_ptr = ("endpoints", ckey, "status") if classic is not None else ("endpoints",)
    body = classic.body if state == "present" else {}
    reviews = body.get("required_pull_request_reviews") if isinstance(body, dict) else None
    reviews = reviews if isinstance(reviews, dict) else None
    checks = body.get("required_status_checks") if isinstance(body, dict) else None
    checks = checks if isinstance(checks, dict) else None

    def classic_source(predicate, *path, value=None):
        if state == "unreadable":
            return _Source(UNKNOWN, status_ptr, f"classic protection ({PERMISSION['protection']})")
        if state == "absent":
            return _Source(False, status_ptr, "classic protection", value)
        return _Source(bool(predicate()), base + path, "classic protection", value, weight=2)

    rules_entry = snapshot.endpoint(f"rules.{branch}")
    result.rules = rules_entry
    rkey = f"rules.{branch}"
    rules = list(enumerate(rules_entry.body)) if rules_entry and rules_entry.ok and isinstance(
        rules_entry.body, list) else None
    rules_ptr = ("endpoints", rkey, "body" if rules is not None else "status") if rules_entry else ("endpoints",)

    def rule_source(rule_type, predicate=lambda params: True, param=None, value=None):
        if rules is None:
            return _Source(UNKNOWN, rules_ptr, f"branch rules ({PERMISSION['rules']})")
        for i, item in rules:
            if isinstance(item, dict) and item.get("type") == rule_type:
                params = item.get("parameters") or {}
                if predicate(params):
                    pointer = ("endpoints", rkey, "body", i) + (("parameters", param) if param and param in
                                                                params else ())
                    return _Source(True, pointer, f"ruleset {item.get('ruleset_id')}", value)
        return _Source(False, rules_ptr, "branch rules", value, weight=1 if rules else 0)

    def both(name, classic_part, rule_part):
        result.settings[name] = _merge_any([classic_part, rule_part])

    review = reviews or {}
    both("force_pushes_blocked",
         classic_source(lambda: (body.get("allow_force_pushes") or {}).get("enabled") is not True,
                        "allow_force_pushes", "enabled"),
         rule_source("non_fast_forward"))
    both("deletion_blocked",
         classic_source(lambda: (body.get("allow_deletions") or {}).get("enabled") is not True,
                        "allow_deletions", "enabled"),
         rule_source("deletion"))
    both("pr_required", classic_source(lambda: reviews is not None, "required_pull_request_reviews"),
         rule_source("pull_request"))
    both("code_owner_review",
         classic_source(lambda: review.get("require_code_owner_reviews") is True,
                        "required_pull_request_reviews", "require_code_owner_reviews"),
         rule_source("pull_request", lambda p: p.get("require_code_owner_review") is True,
                     "require_code_owner_review"))
    both("stale_reviews_dismissed",
         classic_source(lambda: review.get("dismiss_stale_reviews") is True,
                        "required_pull_request_reviews", "dismiss_stale_reviews"),
         rule_source("pull_request", lambda p: p.get("dismiss_stale_reviews_on_push") is True,
                     "dismiss_stale_reviews_on_push"))
    both("last_push_approval",
         classic_source(lambda: review.get("require_last_push_approval") is True,
                        "required_pull_request_reviews", "require_last_push_approval"),
         rule_source("pull_request", lambda p: p.get("require_last_push_approval") is True,
                     "require_last_push_approval"))
    both("up_to_date",
         classic_source(lambda: (checks or {}).get("strict") is True, "required_status_checks", "strict"),
         rule_source("required_status_checks", lambda p: p.get("strict_required_status_checks_policy") is True,
                     "strict_required_status_checks_policy"))
    both("conversation_resolution",
         classic_source(lambda: (body.get("required_conversation_resolution") or {}).get("enabled") is True,
                        "required_conversation_resolution", "enabled"),
         rule_source("pull_request", lambda p: p.get("required_review_thread_resolution") is True,
                     "required_review_thread_resolution"))

    # approvals: the maximum over readable sources
    counts = []
    if state == "present":
        count = review.get("required_approving_review_count", 0) if reviews is not None else 0
        counts.append(_Source(True, base + ("required_pull_request_reviews",
                                                 "required_approving_review_count"),
                              "classic protection", _int(count)))
    elif state == "absent":
        counts.append(_Source(True, status_ptr, "classic protection", 0))
    else:
        counts.append(_Source(UNKNOWN, status_ptr, f"classic protection ({PERMISSION['protection']})", 0))
    if rules is None:
        counts.append(_Source(UNKNOWN, rules_ptr, f"branch rules ({PERMISSION['rules']})", 0))
    else:
        for i, item in rules:
            if isinstance(item, dict) and item.get("type") == "pull_request":
                params = item.get("parameters") or {}
                ptr = ("endpoints", rkey, "body", i, "parameters")
                counts.append(_Source(True, ptr + ("required_approving_review_count",), f"ruleset "
                                      f"{item.get('ruleset_id')}", _int(params.get("required_approving_review_count"))))
                for j, reviewer in enumerate(params.get("required_reviewers") or ()):
                    if isinstance(reviewer, dict):
                        counts.append(_Source(True, ptr + ("required_reviewers", j), f"ruleset "
                                              f"{item.get('ruleset_id')}", _int(reviewer.get("minimum_approvals"))))
    readable = [c for c in counts if c.state is True]
    best = max(readable, key=lambda c: c.value) if readable else counts[0]
    unknown_counts = [c for c in counts if c.state is None]
    result.settings["approvals"] = Setting(None if unknown_counts else True, best.pointer,
                                           unknown_counts[0].name if unknown_counts else best.name,
                                           best.value if readable else 0)

    # required status checks: the union
    names, check_ptr, check_unknown = [], None, None
    if state == "present" and checks is not None:
        names += [str(c) for c in checks.get("contexts") or ()]
        names += [str(c.get("context")) for c in checks.get("checks") or () if isinstance(c, dict)]
        check_ptr = base + ("required_status_checks", "contexts")
    elif state == "unreadable":
        check_unknown = _Source(UNKNOWN, status_ptr, f"classic protection ({PERMISSION['protection']})")
    if rules is None:
        check_unknown = check_unknown or _Source(UNKNOWN, rules_ptr, f"branch rules ({PERMISSION['rules']})")
    else:
        for i, item in rules:
            if isinstance(item, dict) and item.get("type") == "required_status_checks":
                params = item.get("parameters") or {}
                found = [str(c.get("context")) for c in params.get("required_status_checks") or ()
                         if isinstance(c, dict)]
                if found and check_ptr is None:
                    check_ptr = ("endpoints", rkey, "body", i, "parameters", "required_status_checks")
                names += found
    unique = tuple(dict.fromkeys(names))
    pointer = check_ptr or (base + ("required_status_checks",) if state == "present" else
                            rules_ptr if rules else status_ptr)
    if unique:
        result.settings["status_checks"] = Setting(True, pointer, "", unique)
    elif check_unknown is not None:
        result.settings["status_checks"] = Setting(None, check_unknown.pointer, check_unknown.name, ())
    else:
        result.settings["status_checks"] = Setting(False, pointer, "", ())

    result.settings["admins_included"] = _admins_included(snapshot, branch, state, body, base, status_ptr, rules)
    active_rules = bool(rules) if rules is not None else None
    if state == "present" or active_rules:
        result.protected = True
    elif state == "absent" and active_rules is False:
        result.protected = False
    result.inactive = _inactive_rulesets(snapshot, branch)
    return result


def _admins_included(snapshot, branch, state, body, base, status_ptr, rules) -> Setting:
    """Classic `enforce_admins` (when classic protection exists) and no bypass actors on applying rulesets."""
    parts = []
    if state == "present":
        enforce = (body.get("enforce_admins") or {}).get("enabled") is True
        parts.append(_Source(enforce, base + ("enforce_admins", "enabled"), "classic protection"))
    elif state == "unreadable":
        parts.append(_Source(UNKNOWN, status_ptr, f"classic protection ({PERMISSION['protection']})"))
    if rules is None:
        parts.append(_Source(UNKNOWN, ("endpoints", f"rules.{branch}"), f"branch rules ({PERMISSION['rules']})"))
    else:
        for ruleset_id in dict.fromkeys(item.get("ruleset_id") for _, item in rules if isinstance(item, dict)):
            detail = snapshot.endpoint(f"ruleset.{ruleset_id}")
            key = ("endpoints", f"ruleset.{ruleset_id}")
            if detail is None or not detail.ok or not isinstance(detail.body, dict):
                parts.append(_Source(UNKNOWN, key + ("status",) if detail else key,
                                     f"ruleset {ruleset_id} ({PERMISSION['ruleset']})"))
            elif "bypass_actors" not in detail.body:
                parts.append(_Source(UNKNOWN, key + ("body",),
                                     f"ruleset {ruleset_id} bypass actors ({PERMISSION['bypass_actors']})"))
            else:
                actors = detail.body.get("bypass_actors") or []
                parts.append(_Source(not actors, key + ("body", "bypass_actors"), f"ruleset {ruleset_id}"))
    if state == "absent" and rules is not None and not rules:
        return Setting(False, status_ptr, "no protection")
    for part in parts:
        if part.state is False:
            return Setting(False, part.pointer, part.name)
    for part in parts:
        if part.state is None:
            return Setting(None, part.pointer, part.name)
    return Setting(True, parts[0].pointer, parts[0].name)


def _inactive_rulesets(snapshot: Snapshot, branch: str) -> list:
    """Rulesets in `evaluate` or `disabled` enforcement that target the branch: recorded, enforcing nothing."""
    listing = snapshot.endpoint("rulesets")
    out = []
    if listing is None or not listing.ok or not isinstance(listing.body, list):
        return out
    for i, item in enumerate(listing.body):
        if not isinstance(item, dict) or item.get("enforcement") == "active":
            continue
        detail = snapshot.endpoint(f"ruleset.{item.get('id')}")
        if detail is not None and detail.ok and isinstance(detail.body, dict) and not ruleset_applies(
                detail.body, branch, snapshot.default_branch):
            continue
        out.append((str(item.get("name") or item.get("id")), str(item.get("enforcement")),
                    ("endpoints", "rulesets", "body", i, "enforcement")))
    return out


def _exists(node, path) -> bool:
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    return True


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def branches_to_judge(snapshot: Snapshot, globs) -> list[str]:
    """The default branch, recorded branches matching `github.branches` globs, and the `--branch` names the
    snapshot was asked for: someone named them, so they are judged even when no glob matches."""
    requested = set(snapshot.data.get("requested_branches") or ())
    out = [snapshot.default_branch]
    for name in snapshot.branches:
        if name not in out and (name in requested or any(fnmatch.fnmatchcase(name, str(g)) for g in globs or ())):
            out.append(name)
    return out


def missing_branch(snapshot: Snapshot, branch: str) -> str | None:
    """Why ``branch`` is not judged when GitHub said it does not exist (a mistyped `--branch`), else None."""
    info = snapshot.endpoint(f"branch.{branch}")
    if info is not None and info.status == 404:
        return f"branch {branch} does not exist in {snapshot.repo} (GET {info.path}: HTTP 404)"
    return None


PRODUCTION_NAME = re.compile(r"^(prod|production)([-_ ].*)?$", re.I)


@dataclass(frozen=True)
class DeployEnvironment:
    """A production deploy target: a recorded environment (``position`` in the environments body) or, when GitHub
    has not recorded it yet, only the name a CI deploy job uses (``body`` None)."""

    name: str
    position: int | None
    body: dict | None
    jobs: tuple = ()  # CI jobs that deploy to it from the default branch


def environments_unreadable(snapshot: Snapshot) -> str | None:
    """Why the snapshot cannot say which environments exist and how they are protected, or None."""
    envs = snapshot.endpoint("environments")
    if envs is None:
        return "the snapshot did not record the environments; take it again with `readylint snapshot github`"
    if not envs.ok or not isinstance(envs.body, dict):
        return (f"the token could not read the environments (GET {envs.path}: HTTP {envs.status}); give it "
                f"{PERMISSION['environments']} (fine-grained token or GitHub App; a classic token needs the repo "
                f"scope) and take the snapshot again")
    listed, total = envs.body.get("environments"), envs.body.get("total_count")
    if isinstance(listed, list) and isinstance(total, int) and total > len(listed):
        return (f"the snapshot holds {len(listed)} of {total} environments (only the first page was read); take "
                f"it again with `readylint snapshot github`")
    return None


def production_environments(snapshot: Snapshot, deploy_jobs=None) -> list[DeployEnvironment]:
    """Production deploy targets: recorded environments named `prod…`/`production`, and every environment a
    default-branch CI deploy job names (``deploy_jobs``: name -> jobs; GitHub matches names case-insensitively)."""
    envs = snapshot.endpoint("environments")
    recorded = envs.body.get("environments") or () if envs is not None and envs.ok and isinstance(
        envs.body, dict) else ()
    wanted = {str(name).lower(): (str(name), tuple(jobs)) for name, jobs in (deploy_jobs or {}).items()}
    found = []
    for i, env in enumerate(recorded):
        if not isinstance(env, dict):
            continue
        name = str(env.get("name", ""))
        jobs = wanted.pop(name.lower(), (name, ()))[1]
        if jobs or PRODUCTION_NAME.match(name):
            found.append(DeployEnvironment(name, i, env, jobs))
    found += [DeployEnvironment(name, None, None, jobs) for name, jobs in wanted.values()]
    return found


# Where each merged setting lives in classic protection: the stable key path of its findings.
KEY_PATHS = {
    "force_pushes_blocked": "/allow_force_pushes/enabled",
    "deletion_blocked": "/allow_deletions/enabled",
    "pr_required": "/required_pull_request_reviews",
    "approvals": "/required_pull_request_reviews/required_approving_review_count",
    "code_owner_review": "/required_pull_request_reviews/require_code_owner_reviews",
    "stale_reviews_dismissed": "/required_pull_request_reviews/dismiss_stale_reviews",
    "last_push_approval": "/required_pull_request_reviews/require_last_push_approval",
    "up_to_date": "/required_status_checks/strict",
    "status_checks": "/required_status_checks/contexts",
    "conversation_resolution": "/required_conversation_resolution/enabled",
    "admins_included": "/enforce_admins/enabled",
}


def branch_subject(snapshot: Snapshot, branch: str):
    """A branch of the snapshot's repository as a rule subject (logical location per rules.md 0.7)."""
    from ..findings import Subject

    return Subject(key=f"github:{snapshot.repo}/branches/{branch}", display=f"branch {branch} of {snapshot.repo}",
                   fqn=f"github:repos/{snapshot.repo}/branches/{branch}/protection",
                   location=snapshot.at("endpoints", f"protection.{branch}"))


def setting_at_least(setting: Setting, minimum: int) -> bool | None:
    """A count setting (approvals) against a minimum: met, unknown (unreadable source) or not met."""
    if (setting.value or 0) >= minimum:
        return True
    return None if setting.state is None else False
