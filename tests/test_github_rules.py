"""CD005 and CD006 on settings snapshots: tiers, unknowns, the merge of classic protection and rulesets,
CODEOWNERS, and how `check` treats an absent, missing, broken or foreign snapshot.

The fixture snapshots are the writer's output for the recorded scenarios (tests/test_github_snapshot.py).
"""
from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from click.testing import CliRunner

from readylint.cli import main
from readylint.findings import Location
from readylint.model import codeowners
from readylint.model.github_settings import protection_of
from readylint.model.github_snapshot import Snapshot
from readylint.rules.cd.cd005_branch_protection import item_states, reached_tier

from .conftest import CORPUS, FIXTURES, needs_shared
from .helpers import lint

CD005 = FIXTURES / "rules" / "CD005-branch-protection"
CD006 = FIXTURES / "rules" / "CD006-required-reviewers"
SNAPSHOT = ".readylint/github-settings.json"


def load(folder) -> Snapshot:
    data = json.loads((folder / SNAPSHOT).read_text(encoding="utf-8"))
    return Snapshot(data, None, SNAPSHOT, Location("README.md"))


@pytest.mark.parametrize(("folder", "full_tier", "cd005", "cd006"), [
    (CD005 / "fail-unprotected", 0, "fail", "fail"),
    (CD005 / "fail-tier1", 1, "fail", "fail"),
    (CD005 / "fail-tier2", 2, "fail", "fail"),
    (CD005 / "pass", 3, "pass", "fail"),  # tier 3 keeps stale approvals: CD006's warning
    (CD006 / "fail-codeowners-missing", 4, "pass", "fail"),
    (CD006 / "pass", 5, "pass", "pass"),
    (CD005 / "pass-tier5", 5, "pass", "fail"),  # code-owner review required, but no CODEOWNERS
    (CD005 / "pass-ruleset-only", 3, "pass", "pass"),
    (CD005 / "fail-tier5-bypass", 3, "pass", "pass"),  # tier 3 is the default target
    (CD005 / "pass-readonly-rulesets", 3, "pass", "pass"),
    (CD005 / "na-readonly", 0, "unknown", "unknown"),
    (CD005 / "na-archived", 0, "not-relevant", "fail"),
])
def test_tier_by_tier_outcomes(folder, full_tier, cd005, cd006):
    snapshot = load(folder)
    assert reached_tier(list(item_states(protection_of(snapshot, "main")))) == full_tier
    report = lint(folder, select=["CD005", "CD006"])
    if (folder / ".readylint.yaml").exists():
        return  # configured differently on purpose (see the fixture)
    assert (report.statuses["CD005"], report.statuses["CD006"]) == (cd005, cd006)


def test_readonly_token_gives_no_error_finding_and_names_the_permission():
    report = lint(CD005 / "na-readonly", select=["CD005", "CD006"])
    assert report.active == []
    branches = [o for code in ("CD005", "CD006") for o in report.outcomes[code] if "/branches/" in o.subject.key]
    assert len(branches) == 2 and all("Administration: read" in o.why for o in branches)
    [environments] = [o for o in report.outcomes["CD006"] if o.subject.key.endswith("/environments")]
    assert (environments.status, environments.reason) == ("not-applicable", "evidence-unavailable")
    assert environments.why == (
        "environment reviewers of acme/shop are unknown: the token could not read the environments "
        "(GET /repos/acme/shop/environments?per_page=100: HTTP 403); give it Actions: read (fine-grained token or "
        "GitHub App; a classic token needs the repo scope) and take the snapshot again")


def test_without_a_snapshot_both_rules_are_unknown_with_the_command_to_create_one(tmp_path):
    (tmp_path / "README.md").write_text("# shop\n", encoding="utf-8")
    report = lint(tmp_path, select=["CD005", "CD006"])
    assert report.statuses["CD005"] == report.statuses["CD006"] == "unknown"
    assert report.active == []
    for code in ("CD005", "CD006"):
        assert "readylint snapshot github OWNER/REPO" in report.outcomes[code][0].why


def test_sarif_without_snapshot_has_notifications_and_no_results(tmp_path, monkeypatch):
    (tmp_path / "README.md").write_text("# shop\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--select", "CD005,CD006", "--format", "sarif"])
    sarif = json.loads(result.stdout)
    run = sarif["runs"][0]
    assert run["results"] == []
    noted = {n["associatedRule"]["id"] for n in run["invocations"][0]["toolExecutionNotifications"]
             if "associatedRule" in n}
    assert {"CD005", "CD006"} <= noted


def test_finding_lands_on_the_json_key_line_with_the_logical_location(tmp_path, monkeypatch):
    folder = tmp_path / "repo"
    shutil.copytree(CD005 / "fail-tier2", folder)  # outside the project's git tree, so it is the root
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["check", "--select", "CD005", "--format", "sarif"])
    sarif = json.loads(result.stdout)
    [finding] = sarif["runs"][0]["results"]
    region = finding["locations"][0]["physicalLocation"]["region"]
    line = (folder / SNAPSHOT).read_text(encoding="utf-8").splitlines()[region["startLine"] - 1]
    assert line.strip().startswith('"contexts": []')
    assert finding["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == \
        "github:repos/acme/shop/branches/main/protection#/required_status_checks/contexts"
    assert "GET /repos/acme/shop/branches/main/protection #/required_status_checks/contexts" in \
        finding["message"]["text"]
    assert finding["properties"] == {"subject": "github:acme/shop/branches/main", "environment": "",
                                     "keyPath": "/required_status_checks/contexts", "tier": 2}
    assert result.exit_code == 1


@pytest.mark.parametrize(("folder", "tiers"), [(CD005 / "fail-unprotected", [0]), (CD005 / "fail-tier1", [1])])
def test_json_report_carries_the_scorecard_tier_and_validates(tmp_path, monkeypatch, folder, tiers):
    from jsonschema import Draft202012Validator

    shutil.copytree(folder, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    result = CliRunner().invoke(main, ["check", "--select", "CD005", "--format", "json"])
    report = json.loads(result.stdout)
    schema = json.loads((FIXTURES.parent.parent / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(report)) == []
    assert sorted({f["properties"]["tier"] for f in report["findings"]}) == tiers


def test_snapshot_age_is_noted():
    report = lint(CD005 / "pass", select=["CD005"], today=dt.date(2026, 1, 15))
    assert [n.message for n in report.notes if "snapshot" in n.message] == [
        "GitHub settings snapshot of acme/shop taken 2026-01-05 (10 days ago); settings may have changed since"]


def test_explicit_snapshot_elsewhere_is_used(tmp_path):
    (tmp_path / "README.md").write_text("# shop\n", encoding="utf-8")
    shutil.copy(CD005 / "fail-tier1" / SNAPSHOT, tmp_path / "settings.json")
    report = lint(tmp_path, select=["CD005"], github_settings="settings.json")
    assert report.statuses["CD005"] == "fail"
    assert {f.location.path for f in report.active} == {"settings.json"}


def test_explicitly_named_missing_snapshot_exits_2(tmp_path, monkeypatch):
    (tmp_path / "README.md").write_text("# shop\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--github-settings", "nope.json"])
    assert result.exit_code == 2
    assert result.stderr.startswith("readylint: error: nope.json: GitHub settings snapshot not found")


@pytest.mark.parametrize(("text", "line", "says"), [
    ('{\n  "schema": "readylint-github-settings/v1",\n  "repo": \n}\n', 4, "invalid JSON"),
    (None, 9, "'kind' is a required property at /token"),
])
def test_broken_snapshot_is_rl001_at_the_line_and_cd005_unknown(tmp_path, text, line, says):
    (tmp_path / "README.md").write_text("# shop\n", encoding="utf-8")
    target = tmp_path / SNAPSHOT
    target.parent.mkdir()
    if text is None:  # valid JSON, invalid snapshot: the token object lost its kind
        data = json.loads((CD005 / "fail-tier1" / SNAPSHOT).read_text(encoding="utf-8"))
        del data["token"]["kind"]
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        line = text.splitlines().index('  "token": {') + 1
    target.write_text(text, encoding="utf-8")
    report = lint(tmp_path, select=["CD005"])
    [rl001] = [f for f in report.active if f.code == "RL001"]
    assert (rl001.location.path, rl001.location.line) == (SNAPSHOT, line)
    assert says in rl001.message
    assert report.statuses["CD005"] == "unknown"
    assert report.exit_code == 1


def test_broken_snapshot_named_explicitly_is_a_usage_error(tmp_path, monkeypatch):
    """Named with --github-settings, a snapshot that does not validate stops the run (exit 2, issue 6)."""
    data = json.loads((CD005 / "fail-tier1" / SNAPSHOT).read_text(encoding="utf-8"))
    del data["token"]["kind"]
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    (tmp_path / "settings.json").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--github-settings", "settings.json"])
    assert result.exit_code == 2
    line = text.splitlines().index('  "token": {') + 1
    assert result.stderr == (f"readylint: error: settings.json: line {line}: not a valid GitHub settings snapshot: "
                             "'kind' is a required property at /token; write it again with "
                             "`readylint snapshot github`\n")


def test_snapshot_of_the_git_remote_repository_is_accepted(tmp_path):
    shutil.copytree(CD005 / "fail-tier1", tmp_path / "repo")
    git = tmp_path / "repo" / ".git"
    git.mkdir()
    (git / "config").write_text('[remote "origin"]\n\turl = git@github.com:acme/shop.git\n', encoding="utf-8")
    assert lint(tmp_path / "repo", select=["CD005"]).statuses["CD005"] == "fail"
    (git / "config").write_text('[remote "origin"]\n\turl = https://github.com/acme/else\n', encoding="utf-8")
    assert lint(tmp_path / "repo", select=["CD005"]).statuses["CD005"] == "unknown"


def test_branches_named_at_snapshot_time_are_judged_without_a_glob():
    report = lint(CD005 / "fail-requested-branch", select=["CD005", "CD006"])
    for code in ("CD005", "CD006"):
        outcomes = {o.subject.key.rsplit("/branches/", 1)[-1]: o for o in report.outcomes[code]
                    if "/branches/" in o.subject.key}
        assert outcomes["hotfix/1.x"].status == "fail"
        assert (outcomes["nope"].status, outcomes["nope"].reason) == ("not-applicable", "not-relevant")
        assert outcomes["nope"].why == "branch nope does not exist in acme/shop (GET /repos/acme/shop/branches/nope: " \
                                       "HTTP 404)"


def test_a_snapshot_without_requested_branches_judges_the_globs_only(tmp_path):
    shutil.copytree(CD005 / "fail-requested-branch", tmp_path / "repo")
    target = tmp_path / "repo" / SNAPSHOT
    data = json.loads(target.read_text(encoding="utf-8"))
    del data["requested_branches"]  # written before the field existed
    target.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    report = lint(tmp_path / "repo", select=["CD005"])
    assert [o.subject.key for o in report.outcomes["CD005"]] == ["github:acme/shop/branches/main"]
    (tmp_path / "repo" / ".readylint.yaml").write_text("github:\n  branches: ['hotfix/*']\n", encoding="utf-8")
    report = lint(tmp_path / "repo", select=["CD005"])
    assert report.statuses["CD005"] == "fail"


def test_production_environments_include_those_ci_deploys_to_from_the_default_branch():
    """`production` by name; `live` because the default-branch deploy job names it (case-insensitively);
    not staging (non-production name), the pull-request preview (expression) or pypi (tag pushes only)."""
    report = lint(CD006 / "pass-ci-environment", select=["CD006"])
    environments = {o.subject.key.rsplit("/", 1)[-1]: o.status for o in report.outcomes["CD006"]
                    if "/environments/" in o.subject.key}
    assert environments == {"production": "pass", "live": "pass"}


def test_ci_environment_missing_from_the_snapshot_points_at_the_workflow():
    report = lint(CD006 / "fail-ci-environment", select=["CD006"])
    [missing] = [f for f in report.active if "eu-west" in f.message]
    assert (missing.location.path, missing.location.line, missing.level) == (".github/workflows/deploy.yml", 21,
                                                                            "note")
    assert [r.location.path for r in missing.related] == [SNAPSHOT]


def test_a_truncated_environment_list_is_unknown_not_a_pass(tmp_path):
    """A snapshot written before pages were followed may hold a first page only: total_count tells."""
    shutil.copytree(CD006 / "pass", tmp_path / "repo")
    target = tmp_path / "repo" / SNAPSHOT
    data = json.loads(target.read_text(encoding="utf-8"))
    data["endpoints"]["environments"]["body"]["total_count"] = 31
    target.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    report = lint(tmp_path / "repo", select=["CD006"])
    [environments] = [o for o in report.outcomes["CD006"] if o.subject.key.endswith("/environments")]
    assert environments.reason == "evidence-unavailable"
    assert "holds 1 of 31 environments" in environments.why
    assert report.statuses["CD006"] == "unknown"


# -- the merge of classic protection and rulesets (integrations.md N6) -----------------------------------------

def _snapshot(classic=None, classic_status=200, rules=(), rules_status=200, rulesets=None, protected=True):
    endpoints = {
        "repo": {"path": "/repos/acme/shop", "status": 200, "body": {"full_name": "acme/shop"}},
        "branch.main": {"path": "/repos/acme/shop/branches/main", "status": 200,
                        "body": {"name": "main", "protected": protected}},
        "protection.main": {"path": "/repos/acme/shop/branches/main/protection", "status": classic_status,
                            "body": classic if classic_status == 200 else None},
        "rules.main": {"path": "/repos/acme/shop/rules/branches/main", "status": rules_status,
                       "body": list(rules) if rules_status == 200 else None},
    }
    listing = []
    for ruleset_id, (enforcement, bypass) in (rulesets or {}).items():
        listing.append({"id": ruleset_id, "name": f"r{ruleset_id}", "enforcement": enforcement})
        body = {"id": ruleset_id, "target": "branch", "enforcement": enforcement,
                "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}}}
        if bypass is not None:
            body["bypass_actors"] = bypass
        endpoints[f"ruleset.{ruleset_id}"] = {"path": f"/repos/acme/shop/rulesets/{ruleset_id}", "status": 200,
                                              "body": body}
    endpoints["rulesets"] = {"path": "/repos/acme/shop/rulesets", "status": 200, "body": listing}
    data = {"schema": "readylint-github-settings/v1", "taken_at": "2026-01-05T10:00:00Z", "repo": "acme/shop",
            "default_branch": "main", "branches": ["main"], "token": {"kind": "classic", "missing": []},
            "endpoints": endpoints, "unknown": []}
    return Snapshot(data, None, SNAPSHOT, Location("README.md"))


def _rule(kind, ruleset_id=7, **params):
    return {"type": kind, "ruleset_id": ruleset_id, "ruleset_source_type": "Repository", "parameters": params}


CLASSIC_WEAK = {"allow_force_pushes": {"enabled": True}, "allow_deletions": {"enabled": True},
                "enforce_admins": {"enabled": True},
                "required_pull_request_reviews": {"required_approving_review_count": 1,
                                                  "dismiss_stale_reviews": False},
                "required_status_checks": {"strict": False, "contexts": ["ci/a"]}}


@pytest.mark.parametrize(("case", "snapshot", "expected"), [
    ("classic only", _snapshot(CLASSIC_WEAK),
     {"force_pushes_blocked": False, "approvals": 1, "status_checks": ("ci/a",), "admins_included": True}),
    ("ruleset only", _snapshot(classic_status=404, rules=[
        _rule("non_fast_forward"), _rule("pull_request", required_approving_review_count=2),
        _rule("required_status_checks", required_status_checks=[{"context": "ci/b"}])],
        rulesets={7: ("active", [])}),
     {"force_pushes_blocked": True, "approvals": 2, "status_checks": ("ci/b",), "admins_included": True}),
    ("both: strictest wins, checks united, bypass actors exclude admins", _snapshot(CLASSIC_WEAK, rules=[
        _rule("non_fast_forward"), _rule("pull_request", required_approving_review_count=0,
                                         dismiss_stale_reviews_on_push=True,
                                         required_reviewers=[{"minimum_approvals": 3}]),
        _rule("required_status_checks", required_status_checks=[{"context": "ci/b"}])],
        rulesets={7: ("active", [{"actor_id": 1, "actor_type": "Team"}])}),
     {"force_pushes_blocked": True, "approvals": 3, "stale_reviews_dismissed": True,
      "status_checks": ("ci/a", "ci/b"), "admins_included": False}),
    ("evaluate-mode ruleset enforces nothing", _snapshot(classic_status=404, protected=False,
                                                        rulesets={8: ("evaluate", [])}),
     {"force_pushes_blocked": False, "approvals": 0, "status_checks": (), "admins_included": False}),
    ("unreadable classic, nothing in rules: unknown", _snapshot(classic_status=403),
     {"force_pushes_blocked": None, "approvals": None, "status_checks": None, "admins_included": None}),
    ("unreadable classic, protective rule: known", _snapshot(classic_status=403, rules=[_rule("non_fast_forward")],
                                                            rulesets={7: ("active", None)}),
     {"force_pushes_blocked": True, "deletion_blocked": None, "admins_included": None}),
    ("unreadable rules, weak classic: unknown", _snapshot(CLASSIC_WEAK, rules_status=403),
     {"force_pushes_blocked": None, "status_checks": ("ci/a",), "admins_included": None}),
])
def test_merge(case, snapshot, expected):
    protection = protection_of(snapshot, "main")
    got = {}
    for name in expected:
        setting = protection.settings[name]
        if name == "approvals":
            got[name] = None if setting.state is None and not setting.value else setting.value
        elif name == "status_checks":
            got[name] = None if setting.state is None else setting.value
        else:
            got[name] = setting.state
    assert got == expected, case


def test_evaluate_mode_ruleset_is_named():
    protection = protection_of(_snapshot(classic_status=404, protected=False, rulesets={8: ("evaluate", [])}),
                               "main")
    assert protection.protected is False
    assert [(name, mode) for name, mode, _ in protection.inactive] == [("r8", "evaluate")]


# -- CODEOWNERS -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "path", "owned"), [
    ("*", "charts/shop/values.yaml", True),
    ("*.js", "src/app/main.js", True),
    ("/build/logs/", "build/logs/a/b.log", True),
    ("/build/logs/", "x/build/logs/a.log", False),
    ("docs/*", "docs/getting-started.md", True),
    ("docs/*", "docs/build-app/troubleshooting.md", False),
    ("apps/", "src/apps/a.py", True),
    ("/docs/", "docs/a/b.md", True),
    ("**/logs", "deeply/nested/logs/x.log", True),
    ("/apps/github", "apps/github/x.py", True),
    ("charts/shop", "charts/shop/templates/deployment.yaml", True),
    ("charts/shop", "other/charts/shop/Chart.yaml", False),
])
def test_codeowners_patterns(pattern, path, owned):
    parsed = codeowners.parse(f"{pattern} @acme/team\n", "CODEOWNERS")
    assert bool(parsed.owners_of(path)) is owned


def test_codeowners_last_match_wins_and_empty_owners_unown():
    parsed = codeowners.parse("* @acme/all\n/charts/ @acme/charts\n/charts/legacy/\n", "CODEOWNERS")
    assert parsed.owners_of("charts/shop/Chart.yaml") == ("@acme/charts",)
    assert parsed.owners_of("charts/legacy/Chart.yaml") == ()
    assert parsed.owners_of("README.md") == ("@acme/all",)


def test_codeowners_syntax_errors_and_comments():
    parsed = codeowners.parse("# comment\n\\#file @a\n*.md @acme/docs # trailing comment\n!x @a\n"
                              "[ab].py @a\ny notanowner\n", "CODEOWNERS")
    assert [(line, message.split(" ")[0]) for line, _, message in parsed.errors] == [
        (4, "pattern"), (5, "pattern"), (6, "owner")]
    assert parsed.owners_of("#file") == ("@a",)
    assert parsed.owners_of("docs/x.md") == ("@acme/docs",)


def test_codeowners_location_order(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "CODEOWNERS").write_text("* @a\n", encoding="utf-8")
    assert codeowners.find(str(tmp_path)) == "docs/CODEOWNERS"
    (tmp_path / "CODEOWNERS").write_text("* @a\n", encoding="utf-8")
    assert codeowners.find(str(tmp_path)) == "CODEOWNERS"
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text("* @a\n", encoding="utf-8")
    assert codeowners.find(str(tmp_path)) == ".github/CODEOWNERS"


@needs_shared(CORPUS)
@pytest.mark.parametrize("repo", ["argo-rollouts", "kube-prometheus", "kubernetes-mixin",
                                  "microservices-demo"])
def test_corpus_codeowners_parse_and_own_what_ships(repo):
    """Real CODEOWNERS files (`**` and `*` catch-alls, per-path teams) parse cleanly and cover everything."""
    report = lint(CORPUS / repo, select=["CD006"])
    assert [f.message for f in report.active if f.code == "CD006"] == []
    owners = [o for o in report.outcomes["CD006"] if o.subject.key.startswith("file:")]
    assert [o.status for o in owners] == ["pass"]
