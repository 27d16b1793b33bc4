"""`readylint snapshot github` against a local HTTP server that answers with recorded GitHub REST responses.

The real PyGithub client talks to 127.0.0.1 through `--api-url`; no test touches the network. Scenario files
in tests/fixtures/github/scenarios/ map request paths to recorded answers (status, body, headers); the corpus
scenario serves the examples of github/rest-api-description verbatim. The CD005/CD006 fixture snapshots are
this writer's output for those scenarios (refresh with --update-snapshots and review the diff).
"""
from __future__ import annotations

import json
import logging
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from readylint.cli import main
from readylint.github import snapshot as writer
from readylint.model.github_snapshot import validation_errors

from .conftest import CORPUS, FIXTURES, needs_shared

SCENARIOS = FIXTURES / "github" / "scenarios"
RULE_FIXTURES = FIXTURES / "rules"
TOKEN = "ghp_readylintTEST0token0must0never0leak00001"
# Rule fixture folder -> the scenario whose snapshot it holds (a tuple adds command-line arguments).
GENERATED = {
    "CD005-branch-protection/pass-paginated": "paginated",
    "CD005-branch-protection/fail-requested-branch": ("requested-branch", "--branch", "hotfix/1.x", "--branch", "nope"),
    "CD006-required-reviewers/fail-environment-paginated": "paginated",
    "CD006-required-reviewers/fail-ci-environment": "ci-environments",
    "CD006-required-reviewers/pass-ci-environment": "ci-environments",
    "CD005-branch-protection/pass": "tier3",
    "CD005-branch-protection/pass-tier5": "tier5",
    "CD005-branch-protection/pass-ruleset-only": "ruleset-only",
    "CD005-branch-protection/pass-readonly-rulesets": "readonly-rulesets",
    "CD005-branch-protection/fail-unprotected": "unprotected",
    "CD005-branch-protection/fail-tier1": "tier1",
    "CD005-branch-protection/fail-tier2": "tier2",
    "CD005-branch-protection/fail-evaluate-only": "evaluate-only",
    "CD005-branch-protection/fail-tier5-bypass": "ruleset-bypass",
    "CD005-branch-protection/na-readonly": "readonly",
    "CD005-branch-protection/na-archived": "archived",
    "CD005-branch-protection/na-other-repo": "tier5",
    "CD006-required-reviewers/pass": "tier5",
    "CD006-required-reviewers/fail-no-review": "tier1",
    "CD006-required-reviewers/fail-stale-reviews": "tier3",
    "CD006-required-reviewers/fail-codeowners-missing": "tier4",
    "CD006-required-reviewers/fail-codeowners-coverage": "codeowners-errors",
    "CD006-required-reviewers/fail-environment": "environment-unreviewed",
    "CD006-required-reviewers/pass-ruleset-only": "ruleset-only",
    "CD006-required-reviewers/na-readonly": "readonly",
    "CD006-required-reviewers/na-solo-maintainer": "tier1",
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.requests.append((self.path, self.headers.get("Authorization", ""),
                                     self.headers.get("X-GitHub-Api-Version", "")))
        routes = {_normal(path): entry for path, entry in self.server.routes.items()}
        entry = routes.get(_normal(self.path)) or routes.get(self.path.split("?", 1)[0])
        if entry is None:
            entry = {"status": 404, "message": "Not Found"}
        status = entry["status"]
        body = entry.get("body") if status == 200 else {
            "message": entry.get("message", "error"),
            "documentation_url": "https://docs.github.com/rest", "status": str(status)}
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        for name, value in (entry.get("headers") or {}).items():  # `{base}`: this server, as in a Link header
            self.send_header(name, value.replace("{base}", base))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep the test output clean
        pass


def _normal(path: str) -> str:
    """A request path with its query parameters in one order (PyGithub sorts the ones of a next-page link)."""
    base, _, query = path.partition("?")
    return base + ("?" + "&".join(sorted(query.split("&"))) if query else "")


@contextmanager
def github_server(routes: dict):
    """A threaded HTTP server on 127.0.0.1 answering ``routes``; yields its base URL and request log."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.routes = routes
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def scenario(name: str) -> dict:
    return json.loads((SCENARIOS / f"{name}.json").read_text(encoding="utf-8"))["responses"]


def run_cli(tmp_path, monkeypatch, url, *args, token=TOKEN):
    monkeypatch.chdir(tmp_path)
    if token is None:
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    else:
        monkeypatch.setenv("GITHUB_TOKEN", token)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    return CliRunner().invoke(main, ["snapshot", "github", "acme/shop", "--api-url", url, *args],
                              catch_exceptions=False)


def stable(text: str) -> dict:
    """The snapshot without what legitimately changes between two runs (time, server port)."""
    data = json.loads(text)
    data.pop("taken_at")
    data.pop("api_url")
    return data


def test_snapshot_records_every_endpoint_with_status_and_validates(tmp_path, monkeypatch):
    with github_server(scenario("tier5")) as (url, requests):
        result = run_cli(tmp_path, monkeypatch, url)
    assert result.exit_code == 0, result.output
    out = tmp_path / ".readylint" / "github-settings.json"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert validation_errors(data) == []
    assert data["repo"] == "acme/shop" and data["default_branch"] == "main" and data["branches"] == ["main"]
    assert {key: entry["status"] for key, entry in data["endpoints"].items()} == {
        "repo": 200, "branch.main": 200, "protection.main": 200, "rules.main": 200, "rulesets": 200,
        "environments": 200, "codeowners_errors": 200, "code_scanning_default_setup": 200}
    assert data["endpoints"]["protection.main"]["body"]["enforce_admins"]["enabled"] is True
    assert data["token"] == {"kind": "classic", "missing": []} and data["unknown"] == []
    # pretty-printed with sorted keys and a final newline, so SARIF lines stay stable
    assert out.read_text(encoding="utf-8") == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert all(version == "2022-11-28" for _, _, version in requests)
    assert "/repos/acme/shop/rulesets?includes_parents=true&per_page=100" in [p for p, _, _ in requests]


def test_readonly_token_records_403_as_data_and_names_the_missing_permissions(tmp_path, monkeypatch):
    with github_server(scenario("readonly")) as (url, _):
        result = run_cli(tmp_path, monkeypatch, url, "--out", "settings.json")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    protection = data["endpoints"]["protection.main"]
    assert protection == {"path": "/repos/acme/shop/branches/main/protection", "status": 403, "body": None,
                          "message": "Resource not accessible by integration"}
    assert data["unknown"] == ["environments", "protection.main", "repo/security_and_analysis"]
    assert data["token"]["missing"] == ["actions:read", "administration:read", "security_events:read"]
    assert "not readable with this token" in result.stderr


def test_unprotected_branch_is_a_recorded_404_not_an_error(tmp_path, monkeypatch):
    with github_server(scenario("unprotected")) as (url, _):
        result = run_cli(tmp_path, monkeypatch, url)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / ".readylint" / "github-settings.json").read_text(encoding="utf-8"))
    assert data["endpoints"]["protection.main"]["status"] == 404
    assert data["endpoints"]["branch.main"]["body"]["protected"] is False
    assert "protection.main" not in data["unknown"]


def test_ruleset_details_are_read_through_the_requester(tmp_path, monkeypatch):
    with github_server(scenario("ruleset-only")) as (url, requests):
        result = run_cli(tmp_path, monkeypatch, url)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / ".readylint" / "github-settings.json").read_text(encoding="utf-8"))
    assert sorted(k for k in data["endpoints"] if k.startswith("ruleset.")) == ["ruleset.12", "ruleset.13"]
    assert [r["type"] for r in data["endpoints"]["rules.main"]["body"]] == [
        "deletion", "non_fast_forward", "pull_request", "required_status_checks"]
    assert "/repos/acme/shop/rulesets/12?includes_parents=true" in [p for p, _, _ in requests]


def test_branch_option_and_config_globs_add_branches(tmp_path, monkeypatch):
    routes = dict(scenario("tier3"))
    routes["/repos/acme/shop/branches"] = {"status": 200, "body": [{"name": "main"}, {"name": "release/1.0"},
                                                                    {"name": "feature/x"}]}
    routes["/repos/acme/shop/branches/release%2F1.0"] = {"status": 200, "body": {"name": "release/1.0",
                                                                                 "protected": False}}
    (tmp_path / ".readylint.yaml").write_text("github:\n  branches: ['release/*']\n", encoding="utf-8")
    with github_server(routes) as (url, _):
        result = run_cli(tmp_path, monkeypatch, url, "--branch", "develop")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / ".readylint" / "github-settings.json").read_text(encoding="utf-8"))
    assert data["branches"] == ["main", "develop", "release/1.0"]
    assert data["endpoints"]["branch.develop"]["status"] == 404
    assert data["endpoints"]["protection.release/1.0"]["path"] == \
        "/repos/acme/shop/branches/release%2F1.0/protection"


def test_lists_are_read_past_the_first_page(tmp_path, monkeypatch):
    """Branches, rulesets, branch rules and environments follow Link rel="next" (GitHub's /repositories/{id}
    form); what lies on page 2 (the release branch, the pull_request rule, production) is recorded."""
    (tmp_path / ".readylint.yaml").write_text("github:\n  branches: ['release/*']\n", encoding="utf-8")
    with github_server(scenario("paginated")) as (url, requests):
        result = run_cli(tmp_path, monkeypatch, url)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / ".readylint" / "github-settings.json").read_text(encoding="utf-8"))
    assert validation_errors(data) == []
    endpoints = data["endpoints"]
    assert data["branches"] == ["main", "release/2.0"]
    assert [r["type"] for r in endpoints["rules.main"]["body"]] == [
        "deletion", "non_fast_forward", "pull_request", "required_status_checks"]
    assert [r["id"] for r in endpoints["rulesets"]["body"]] == [12, 13]
    assert [e["name"] for e in endpoints["environments"]["body"]["environments"]] == ["staging", "production"]
    assert endpoints["environments"]["body"]["total_count"] == 2
    assert {k: e.get("pages") for k, e in endpoints.items() if e.get("pages")} == {
        "rules.main": 2, "rulesets": 2, "environments": 2}
    assert endpoints["rules.main"]["path"] == "/repos/acme/shop/rules/branches/main?per_page=100"  # the first page
    assert "/repositories/1296269/branches?page=2&per_page=100" in [p for p, _, _ in requests]
    assert "ruleset.13" in endpoints  # listed on page 2 only


def test_a_page_the_token_cannot_read_makes_the_whole_list_unreadable(tmp_path, monkeypatch):
    routes = dict(scenario("paginated"))
    routes["/repositories/1296269/environments?per_page=100&page=2"] = {
        "status": 403, "message": "Resource not accessible by integration"}
    with github_server(routes) as (url, _):
        result = run_cli(tmp_path, monkeypatch, url)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / ".readylint" / "github-settings.json").read_text(encoding="utf-8"))
    assert data["endpoints"]["environments"] == {  # never the first page alone, presented as complete
        "path": "/repos/acme/shop/environments?per_page=100", "status": 403, "body": None,
        "message": "Resource not accessible by integration"}
    assert "environments" in data["unknown"] and "actions:read" in data["token"]["missing"]


def test_a_next_page_link_to_another_server_is_refused(tmp_path, monkeypatch):
    routes = dict(scenario("paginated"))
    routes["/repos/acme/shop/rulesets?includes_parents=true&per_page=100"] = {
        "status": 200, "body": [], "headers": {"Link": '<https://elsewhere.example/rulesets?page=2>; rel="next"'}}
    with github_server(routes) as (url, requests):
        result = run_cli(tmp_path, monkeypatch, url)
    assert result.exit_code == 2
    assert f"next-page link for /repos/acme/shop/rulesets?includes_parents=true&per_page=100 leaves {url}" in \
        result.stderr
    assert not (tmp_path / ".readylint").exists()
    assert not any("elsewhere" in p for p, _, _ in requests)


def test_requested_branches_are_recorded_and_a_missing_one_is_said(tmp_path, monkeypatch):
    with github_server(scenario("requested-branch")) as (url, _):
        result = run_cli(tmp_path, monkeypatch, url, "--branch", "hotfix/1.x", "--branch", "nope", "--branch", "main")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / ".readylint" / "github-settings.json").read_text(encoding="utf-8"))
    assert data["branches"] == ["main", "hotfix/1.x", "nope"]
    assert data["requested_branches"] == ["hotfix/1.x", "nope"]
    assert "no such branch (recorded as missing): nope" in result.stderr


@pytest.mark.parametrize(("name", "says"), [
    ("bad-token", "GitHub rejected the token (401 Bad credentials)"),
    ("rate-limited", "GitHub rate limit reached while reading /repos/acme/shop/rules/branches/main?per_page=100; "
                     "wait until"),
    ("server-error", "GitHub kept answering /repos/acme/shop/rulesets?includes_parents=true&per_page=100 with "
                     "server errors (5xx) after retries"),
])
def test_fatal_answers_exit_2_and_leave_the_existing_snapshot_untouched(tmp_path, monkeypatch, name, says):
    existing = tmp_path / ".readylint" / "github-settings.json"
    existing.parent.mkdir()
    existing.write_text("previous snapshot\n", encoding="utf-8")
    with github_server(scenario(name)) as (url, _):
        result = run_cli(tmp_path, monkeypatch, url)
    assert result.exit_code == 2
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert existing.read_text(encoding="utf-8") == "previous snapshot\n"
    assert sorted(p.name for p in existing.parent.iterdir()) == ["github-settings.json"]  # no temporary left


def test_unreachable_server_exits_2_and_writes_nothing(tmp_path, monkeypatch):
    with github_server({}) as (url, _):
        pass  # the port is closed again: connection refused
    result = run_cli(tmp_path, monkeypatch, url)
    assert result.exit_code == 2
    assert "cannot reach" in result.stderr and "nothing was written" in result.stderr
    assert not (tmp_path / ".readylint").exists()


def test_missing_token_exits_2_with_guidance(tmp_path, monkeypatch):
    result = run_cli(tmp_path, monkeypatch, "http://127.0.0.1:9", token=None)
    assert result.exit_code == 2
    assert "GITHUB_TOKEN is not set" in result.stderr


def test_token_never_appears_in_output_logs_or_snapshot(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)  # PyGithub and urllib3 log requests at DEBUG
    with github_server(scenario("readonly")) as (url, requests):
        ok = run_cli(tmp_path, monkeypatch, url)
    with github_server(scenario("bad-token")) as (url2, _):
        failed = run_cli(tmp_path, monkeypatch, url2, "--out", "other.json")
    assert ok.exit_code == 0 and failed.exit_code == 2
    assert all(auth == f"token {TOKEN}" or auth == f"Bearer {TOKEN}" for _, auth, _ in requests)  # it was sent
    snapshot = (tmp_path / ".readylint" / "github-settings.json").read_text(encoding="utf-8")
    for text in (ok.stdout, ok.stderr, failed.stdout, failed.stderr, snapshot, caplog.text):
        assert TOKEN not in text
        assert TOKEN[4:20] not in text  # not even a fragment


def test_writing_twice_gives_identical_bytes_apart_from_the_time(tmp_path, monkeypatch):
    with github_server(scenario("ruleset-only")) as (url, _):
        run_cli(tmp_path, monkeypatch, url, "--out", "a.json")
        run_cli(tmp_path, monkeypatch, url, "--out", "b.json")
    a = (tmp_path / "a.json").read_text(encoding="utf-8")
    b = (tmp_path / "b.json").read_text(encoding="utf-8")
    assert [line for line in a.splitlines() if "taken_at" not in line] == \
        [line for line in b.splitlines() if "taken_at" not in line]


def test_an_invalid_document_is_never_written(tmp_path):
    document = {"schema": "readylint-github-settings/v1", "repo": "acme/shop"}
    with pytest.raises(writer.SnapshotError, match="does not match its schema"):
        writer.write(document, str(tmp_path / "out.json"))
    assert list(tmp_path.iterdir()) == []


@needs_shared(CORPUS / "rest-api-description")
def test_corpus_rest_examples_make_a_valid_snapshot(tmp_path, monkeypatch):
    """The recorded examples of github/rest-api-description, served verbatim, give a valid snapshot."""
    examples = CORPUS / "rest-api-description" / "components" / "examples"

    def body(name):
        return json.loads((examples / name).read_text(encoding="utf-8"))

    routes = dict(scenario("tier3"))
    routes.update({
        "/repos/acme/shop/branches/main/protection": {"status": 200, "body": body("branch-protection.json")},
        "/repos/acme/shop/rulesets": {"status": 200, "body": body("repository-ruleset-items.json")},
        "/repos/acme/shop/rulesets/42": {"status": 200, "body": body("repository-ruleset.json")},
        "/repos/acme/shop/rules/branches/main": {"status": 200, "body": body("repository-rule-items.json")},
    })
    with github_server(routes) as (url, _):
        result = run_cli(tmp_path, monkeypatch, url)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / ".readylint" / "github-settings.json").read_text(encoding="utf-8"))
    assert validation_errors(data) == []
    # ruleset 73 is an organisation ruleset the branch rules name; 314 is listed only; both are recorded
    assert data["endpoints"]["ruleset.42"]["body"]["bypass_actors"][0]["actor_type"] == "Team"
    assert data["endpoints"]["ruleset.73"]["status"] == 404 and data["endpoints"]["ruleset.314"]["status"] == 404
    assert data["endpoints"]["protection.main"]["body"] == body("branch-protection.json")


@pytest.mark.parametrize("folder", sorted(GENERATED))
def test_rule_fixture_snapshots_are_this_writers_output(tmp_path, monkeypatch, folder, update_snapshots):
    """Every CD005/CD006 fixture snapshot is what the writer records for its scenario (not hand-made)."""
    target = RULE_FIXTURES / folder / ".readylint" / "github-settings.json"
    name, *args = (GENERATED[folder],) if isinstance(GENERATED[folder], str) else GENERATED[folder]
    with github_server(scenario(name)) as (url, _):
        result = run_cli(tmp_path, monkeypatch, url, "--out", "out.json", *args)
    assert result.exit_code == 0, result.output
    fresh = (tmp_path / "out.json").read_text(encoding="utf-8")
    if update_snapshots or not target.exists():
        data = json.loads(fresh)
        data["taken_at"], data["api_url"] = "2026-01-05T10:00:00Z", "https://api.github.com"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(writer.render(data), encoding="utf-8")
    assert stable(fresh) == stable(target.read_text(encoding="utf-8"))


def test_every_scenario_file_is_used():
    used = {v if isinstance(v, str) else v[0] for v in GENERATED.values()}
    used |= {"bad-token", "rate-limited", "server-error", "readonly", "ruleset-only"}
    assert {p.stem for p in SCENARIOS.glob("*.json")} == used
