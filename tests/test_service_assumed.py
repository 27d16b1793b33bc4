"""A repository that deploys nothing is still judged as a service, and the report says so once."""
from __future__ import annotations

from tests.helpers import lint

DEPLOYMENT = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
              "spec:\n  replicas: 3\n")


def _notes(report) -> list[str]:
    return [n.message for n in report.notes if "deploys nothing" in n.message]


def test_a_documentation_repository_gets_one_note_that_it_is_judged_as_a_service(tmp_path):
    (tmp_path / "README.md").write_text("# API descriptions\n\nOpenAPI documents of our public API.\n")
    (tmp_path / "openapi.yaml").write_text("openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths: {}\n")
    report = lint(tmp_path)
    assert len(_notes(report)) == 1
    assert "project.type" in _notes(report)[0]


def test_no_note_when_something_is_deployed_or_the_type_is_set(tmp_path):
    (tmp_path / "README.md").write_text("# api\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    assert _notes(lint(tmp_path)) == []
    (tmp_path / "Dockerfile").unlink()
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    assert _notes(lint(tmp_path)) == []
    (tmp_path / "deploy.yaml").unlink()
    (tmp_path / ".readylint.yaml").write_text("project:\n  type: library\n")
    assert _notes(lint(tmp_path)) == []


def test_an_example_dockerfile_deploys_nothing(tmp_path):
    (tmp_path / "README.md").write_text("# a library\n")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "Dockerfile").write_text("FROM scratch\n")
    assert len(_notes(lint(tmp_path))) == 1
