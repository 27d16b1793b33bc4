"""GitHub settings from the snapshot: merged branch protection, environments and the settings' positions.

Classic branch protection and rulesets are merged setting by setting, the strictest source winning
(integrations.md N6), and every setting keeps the snapshot pointer that proves it, so findings land on
the offending JSON key line. The snapshot file itself is read by ``github_snapshot``.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from .. import lazy_re
from .github_snapshot import PERMISSION, Endpoint, Snapshot

# -- merged protection ------------------------------------------------------------------------------------

UNKNOWN = None


@dataclass(frozen=True)
class Setting:
    """One protection setting after merging: True protective, False not, None unknown (unreadable)."""

    state: bool | None
    pointer: tuple  # snapshot pointer of the evidence, or of where the setting is missing
    source: str = ""  # "classic protection", "ruleset 42", or the unreadable endpoint
    value: object = None  # approvals count or required check names for the numeric items

    def at_least(self, minimum: int) -> bool | None:
        """A count setting (approvals) against a minimum: met, unknown (unreadable source) or not met."""
        if (self.value or 0) >= minimum:
            return True
        return None if self.state is None else False


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


PRODUCTION_NAME = lazy_re.compile(r"^(prod|production)([-_ ].*)?$", re.I)


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
