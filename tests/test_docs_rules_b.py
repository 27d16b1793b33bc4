"""Documentation and operations rules (issue 8 part B) beyond their fixtures: routing, roll-up, git dates, corpus."""
from __future__ import annotations

from tests.conftest import CORPUS, needs_shared

from .helpers import lint
from .test_git_history import commit, git

ALERTMANAGER = """\
route:
  receiver: chat
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      continue: true
    - matchers: ['severity=~"critical|warning"']
      receiver: chat
receivers:
  - name: chat
    slack_configs: [{channel: "#shop", api_url_file: /etc/am/slack}]
  - name: pager
    opsgenie_configs: [{api_key_file: /etc/am/opsgenie}]
"""


def _write(root, files: dict):
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def test_critical_alerts_reach_the_pager_through_continue_and_warnings_stay_in_chat(tmp_path):
    _write(tmp_path, {"README.md": "# shop\n", "alertmanager.yaml": ALERTMANAGER})
    report = lint(tmp_path, select=["OPS001", "OPS002"])
    paging = [o for o in report.outcomes["OPS001"] if o.subject.key.endswith("on-call/paging")]
    assert [o.status for o in paging] == ["pass"] and "opsgenie" in paging[0].why.lower()
    routes = [o for o in report.outcomes["OPS002"] if o.subject.key.endswith("escalation/routes")]
    assert [o.status for o in routes] == ["pass"]


def test_warning_routed_to_the_pager_is_flagged_at_its_route(tmp_path):
    _write(tmp_path, {"README.md": "# shop\n",
                      "alertmanager.yaml": ALERTMANAGER.replace("receiver: chat\nreceivers", "receiver: pager\n"
                                                                "receivers")})
    found = [f for f in lint(tmp_path, select=["OPS002"]).active if "severity=\"warning\"" in f.message]
    assert [(f.location.path, f.location.line) for f in found] == [("alertmanager.yaml", 7)]


def test_compliance_roll_up_names_the_failing_rule_once(tmp_path):
    _write(tmp_path, {"README.md": "# shop\n", "SECURITY.md": "# Security\n\nMail security@example.com.\n",
                      "COMPLIANCE.md": "# Compliance\n\nSOC 2 matrix:\n\n| Control | Evidence |\n|---|---|\n"
                                       "| CC6.1 access | readylint COMP004 |\n"})
    report = lint(tmp_path, select=["COMP002", "COMP004"])
    rollup = [f for f in report.active if f.code == "COMP002"]
    assert len(rollup) == 1 and "COMP004" in rollup[0].message and rollup[0].level == "note"
    assert rollup[0].location.path == "COMPLIANCE.md" and rollup[0].location.line == 7
    own = [f for f in report.active if f.code == "COMP004"]
    assert own and all(f.code == "COMP004" for f in own)  # the roll-up repeats none of them
    assert report.statuses["COMP002"] == "fail"


def test_load_test_result_is_dated_by_its_last_commit(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    summary = '{"root_group": {}, "metrics": {"http_req_duration": {"thresholds": {"p(95)<300": false}}}}\n'
    commit(root, {"README.md": "# shop\n", "load/checkout.js": "import http from 'k6/http';\n"
                  "export const options = {vus: 50, duration: '10m'};\n",
                  "perf/summary.json": summary}, "2026-01-05")
    found = [f for f in lint(root, select=["PERF001"]).active]
    assert [f.location.path for f in found] == ["perf/summary.json"]
    assert "2026-01-05" in found[0].message and "328 days ago" in found[0].message


def test_load_test_result_without_history_or_date_is_unknown(tmp_path):
    _write(tmp_path, {"README.md": "# shop\n", "load/checkout.js": "import http from 'k6/http';\n"
                      "export const options = {vus: 50, duration: '10m'};\n",
                      "perf/summary.json": '{"root_group": {}, "metrics": {}}\n'})
    report = lint(tmp_path, select=["PERF001"])
    assert report.active == [] and report.statuses["PERF001"] == "unknown"


@needs_shared(CORPUS / "kube-prometheus")
def test_kube_prometheus_alertmanager_pages_nobody():
    report = lint(CORPUS / "kube-prometheus", select=["OPS001"], no_render=True)
    where = [(f.location.path, f.location.line) for f in report.active if "pages anyone" in f.message]
    assert where == [("manifests/alertmanager-secret.yaml", 38)]

