"""DOC003 counts the .proto files of a gRPC API as its machine-readable description."""
from __future__ import annotations

import shutil

from tests.conftest import FIXTURES
from tests.helpers import lint
from tests.test_git_history import TODAY, commit, git

CASES = FIXTURES / "rules" / "DOC003-api-docs-current"


def _outcome(report):
    (outcome,) = report.outcomes["DOC003"]
    return outcome


def test_a_proto_without_buf_yaml_checked_by_buf_breaking_passes_and_names_its_services():
    outcome = _outcome(lint(CASES / "pass-proto", select=["DOC003"]))
    assert outcome.status == "pass"
    assert outcome.why.startswith("CI checks protos/demo.proto (gRPC CartService) for drift")


def test_a_proto_named_in_monorepo_specs_counts_as_that_service_spec(tmp_path):
    shutil.copytree(CASES / "pass-proto", tmp_path, dirs_exist_ok=True)
    (tmp_path / ".github" / "workflows" / "proto.yml").unlink()
    (tmp_path / ".readylint.yaml").write_text(
        "rules:\n  options:\n    DOC003:\n      specs:\n        - {spec: protos/demo.proto, name: cart}\n"
        "        - {spec: README.md, name: readme}\n", encoding="utf-8")
    report = lint(tmp_path, select=["DOC003"])
    by_subject = {o.subject.display: o for o in report.outcomes["DOC003"]}
    # not a git repository: without a CI check the proto's currency is unknown, never a pass
    cart = by_subject["API documentation of cart"]
    assert (cart.status, cart.reason) == ("not-applicable", "evidence-unavailable")
    assert cart.why.startswith("no CI drift check and cannot date protos/demo.proto")
    readme = by_subject["API documentation of readme"]
    assert readme.status == "fail"
    assert "is not an OpenAPI, Swagger or AsyncAPI document nor a .proto declaring a service" in readme.finding.message


def test_a_stale_proto_is_reported_at_its_service_line(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    files = {p.relative_to(CASES / "pass-proto").as_posix(): p.read_text(encoding="utf-8")
             for p in (CASES / "pass-proto").rglob("*") if p.is_file() and "workflows" not in p.parts}
    commit(root, files, "2024-01-05")
    commit(root, {"src/cart/handler.go": "package cart\n"}, "2025-03-01")
    found = lint(root, select=["DOC003"], today=TODAY).active
    assert [(f.location.path, f.location.line, f.location.col) for f in found] == [("protos/demo.proto", 7, 1)]
    assert found[0].message.startswith("The API description protos/demo.proto is stale")
