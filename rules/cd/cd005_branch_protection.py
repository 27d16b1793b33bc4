"""Branch protection rules enabled.

## What it does
Reads the GitHub settings snapshot (`readylint snapshot github`), merges classic branch protection with the
active rulesets that apply to the default branch, the `github.branches` globs and the branches named with
`--branch` when the snapshot was taken (judged even when no glob matches them; one that does not exist is not
relevant), the strictest source winning, and computes the OpenSSF Scorecard branch-protection tier: T1 force pushes and deletion blocked;
T2 pull request required, one approval, branch up to date, last-push approval; T3 one required status check;
T4 two approvals and code-owner review; T5 stale approvals dismissed and administrators included (no bypass
actors). The branch must reach `scorecard_min_tier`; reviewer items are CD006's and count as met here.
Each finding carries the full tier (reviewer items included) as SARIF `properties.tier`.
Settings the token could not read make the verdict unknown, never a failure. Rulesets in `evaluate` or
`disabled` mode enforce nothing and are named in the message.

## Why it matters
An unprotected default branch lets anyone with write access force-push over history, delete the branch or
ship a change no CI run has checked, straight to production.

## How to fix
Protect the branch (classic protection or a ruleset in `active` enforcement): block force pushes and deletion,
require a pull request, require the CI status checks with "branches up to date", and include administrators
(no bypass actors). Then write a fresh snapshot with `readylint snapshot github OWNER/REPO`, using a fine-grained or
GitHub App token limited to the repository with Metadata, Administration, Actions and Contents read. The Actions
`GITHUB_TOKEN` still reads the `protected` flag, rulesets, branch rules and environments; classic protection
details and ruleset bypass actors then stay unknown.

## Example
```json fail file=.readylint/github-settings.json
{
  "branches": ["main"],
  "default_branch": "main",
  "endpoints": {
    "branch.main": {"body": {"name": "main", "protected": false}, "path": "/repos/acme/shop/branches/main",
                    "status": 200},
    "protection.main": {"body": null, "message": "Branch not protected",
                        "path": "/repos/acme/shop/branches/main/protection", "status": 404},
    "repo": {"body": {"archived": false, "default_branch": "main", "full_name": "acme/shop"},
             "path": "/repos/acme/shop", "status": 200},
    "rules.main": {"body": [], "path": "/repos/acme/shop/rules/branches/main", "status": 200}
  },
  "repo": "acme/shop",
  "schema": "readylint-github-settings/v1",
  "taken_at": "2026-01-05T10:00:00Z",
  "token": {"kind": "fine-grained", "missing": []},
  "unknown": []
}
```
```json pass file=.readylint/github-settings.json
{
  "branches": ["main"],
  "default_branch": "main",
  "endpoints": {
    "protection.main": {
      "body": {
        "allow_deletions": {"enabled": false},
        "allow_force_pushes": {"enabled": false},
        "enforce_admins": {"enabled": true},
        "required_pull_request_reviews": {"required_approving_review_count": 1},
        "required_status_checks": {"contexts": ["ci/test"], "strict": true}
      },
      "path": "/repos/acme/shop/branches/main/protection",
      "status": 200
    },
    "repo": {"body": {"archived": false, "default_branch": "main", "full_name": "acme/shop"},
             "path": "/repos/acme/shop", "status": 200},
    "rules.main": {"body": [], "path": "/repos/acme/shop/rules/branches/main", "status": 200}
  },
  "repo": "acme/shop",
  "schema": "readylint-github-settings/v1",
  "taken_at": "2026-01-05T10:00:00Z",
  "token": {"kind": "fine-grained", "missing": []},
  "unknown": []
}
```
"""
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Related
from readylint.registry import rule

# (tier, setting, minimum count or None, reviewer item owned by CD006, what it means when missing, fix)
TIERS = (
    (1, "force_pushes_blocked", None, False, "allows force pushes",
     "Block force pushes (classic `allow_force_pushes: false`, or a ruleset with the non_fast_forward rule)."),
    (1, "deletion_blocked", None, False, "can be deleted",
     "Block deletion (classic `allow_deletions: false`, or a ruleset with the deletion rule)."),
    (2, "pr_required", None, False, "accepts pushes without a pull request",
     "Require a pull request before merging."),
    (2, "approvals", 1, True, "", ""),
    (2, "up_to_date", None, False, "lets pull requests merge without being up to date",
     "Require branches to be up to date before merging (`strict` / `strict_required_status_checks_policy`)."),
    (2, "last_push_approval", None, True, "", ""),
    (3, "status_checks", None, False, "requires no status check before merging",
     "Require the CI checks that must pass (classic `required_status_checks`, or the ruleset rule)."),
    (4, "approvals", 2, True, "", ""),
    (4, "code_owner_review", None, True, "", ""),
    (5, "stale_reviews_dismissed", None, True, "", ""),
    (5, "admins_included", None, False, "lets administrators or ruleset bypass actors skip its protection",
     "Include administrators (`enforce_admins`) and remove the rulesets' bypass actors."),
)
NAMES = {"force_pushes_blocked": "force pushes", "deletion_blocked": "deletion", "pr_required": "pull request",
         "approvals": "approvals", "up_to_date": "up to date", "last_push_approval": "last-push approval",
         "status_checks": "status checks", "code_owner_review": "code-owner review",
         "stale_reviews_dismissed": "stale-review dismissal", "admins_included": "administrators included"}


def item_states(protection):
    """(tier, setting, minimum, reviewer, missing, fix, state) for every tier requirement."""
    for tier, name, minimum, reviewer, missing, fix in TIERS:
        setting = protection.settings[name]
        state = setting.at_least(minimum) if minimum else setting.state
        yield tier, name, minimum, reviewer, missing, fix, state


def reached_tier(states, reviewer_met=False) -> int:
    """The highest tier whose requirements, and all lower ones, are met (Scorecard counts tiers in order)."""
    reached = 0
    for tier in range(1, 6):
        if all(state is True or (reviewer and reviewer_met)
               for t, _, _, reviewer, _, _, state in states if t == tier):
            reached = tier
        else:
            break
    return reached


@rule(code="CD005", slug="branch-protection", scope="repository", severity="error", confidence="high",
      evidence="S", options={"scorecard_min_tier": 3})
def check(index, opts):
    evidence = index.github_settings
    snapshot = evidence.snapshot
    if snapshot is None:
        yield index.repo.subject("github/branch-protection", "the default branch's protection").not_applicable(
            EVIDENCE_UNAVAILABLE, evidence.unavailable)
        return
    # the protection model, loaded only when there is a snapshot to judge
    from readylint.model.github_settings import branch_subject, branches_to_judge, missing_branch

    target = int(opts["scorecard_min_tier"])
    config = index.settings.get("config")
    globs = config.section("github").get("branches", []) if config is not None else []
    for branch in branches_to_judge(snapshot, globs):
        subject = branch_subject(snapshot, branch)
        if snapshot.archived:
            yield subject.not_applicable(NOT_RELEVANT, f"{snapshot.repo} is archived: nothing merges into it")
            continue
        if missing_branch(snapshot, branch):
            yield subject.not_applicable(NOT_RELEVANT, missing_branch(snapshot, branch))
            continue
        yield from _judge(snapshot, branch, subject, target)


def _judge(snapshot, branch, subject, target):
    from readylint.model.github_settings import KEY_PATHS, protection_of

    protection = protection_of(snapshot, branch)
    related = tuple(Related(snapshot.at(*pointer), f"Ruleset '{name}' is in {mode} mode and enforces nothing.")
                    for name, mode, pointer in protection.inactive)
    inactive = "".join(f" Ruleset '{name}' targets it but is in {mode} mode, which enforces nothing."
                       for name, mode, _ in protection.inactive)
    who = f"Branch {branch} of {snapshot.repo}"
    if protection.protected is False:
        classic = protection.settings["force_pushes_blocked"]
        yield subject.fail(
            f"{who} is not protected: it has no branch protection ({protection.describe(classic.pointer)}) and no "
            f"active ruleset applies to it.{inactive} Protect it with a ruleset or branch protection that blocks "
            f"force pushes and deletion and requires pull requests and status checks.",
            at=snapshot.at(*classic.pointer), key_path="/", related=related, properties={"tier": 0})
        return
    states = list(item_states(protection))
    full_tier = reached_tier(states)
    own_tier = reached_tier(states, reviewer_met=True)
    wanted = [s for s in states if s[0] <= target and not s[3]]
    failing = [s for s in wanted if s[6] is False]
    unknown = [s for s in wanted if s[6] is None]
    if failing:
        for tier, name, _, _, missing, fix, _ in failing:
            setting = protection.settings[name]
            aside = f" ({own_tier} leaving CD006's reviewer items aside)" if own_tier != full_tier else ""
            yield subject.fail(
                f"{who} {missing} ({protection.describe(setting.pointer)}). Its protection reaches Scorecard "
                f"branch-protection tier {full_tier}{aside}, below the required {target}.{inactive} {fix}",
                at=snapshot.at(*setting.pointer), key_path=KEY_PATHS[name], related=related,
                properties={"tier": full_tier})
        return
    if unknown:
        sources = sorted({protection.settings[s[1]].source for s in unknown})
        items = ", ".join(dict.fromkeys(NAMES[s[1]] for s in unknown))
        yield subject.not_applicable(
            EVIDENCE_UNAVAILABLE, f"{who}: {items} could not be read from the snapshot (missing: "
                                  f"{'; '.join(sources)}); take the snapshot with a token that has those permissions")
        return
    yield subject.passed(f"Scorecard tier {full_tier} reached ({own_tier} leaving CD006's reviewer items aside); "
                         f"required {target}")
