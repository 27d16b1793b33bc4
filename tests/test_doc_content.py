"""Which section a document requirement judges when several qualify: the one that holds the real thing."""
from __future__ import annotations

import datetime as dt

from readylint.model.doc_requirements import DocRequirement, SectionSpec, evaluate
from readylint.model.index import RepoIndex
from tests.conftest import CORPUS, needs_shared
from tests.helpers import lint

REQ = DocRequirement(
    "deployment procedure", headings=("deploy",), exclude_headings=("local",), min_words=3,
    sections=(SectionSpec("Verification", ("verif",), in_text=True),),
    content=(r"kubectl\s+apply",), content_headings=("install|quick ?start",))


def _index(tmp_path, readme: str) -> RepoIndex:
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    return RepoIndex([], str(tmp_path), ["README.md"], {"today": dt.date(2026, 11, 29)})


def test_a_section_with_the_command_beats_an_earlier_list_of_links(tmp_path):
    index = _index(tmp_path, "# shop\n\n## Deployment options\n\n- [Terraform](https://example.com) deploys it; "
                             "verify there.\n\n## Deploying\n\nRun kubectl apply -f release/ and verify the pods.\n")
    assert evaluate(index, REQ).where == "README.md section 'Deploying'"


def test_a_quickstart_qualifies_only_when_it_deploys(tmp_path):
    deploys = _index(tmp_path, "# shop\n\n## Quickstart\n\nRun kubectl apply -f release/ and verify the pods.\n")
    assert evaluate(deploys, REQ).where == "README.md section 'Quickstart'"
    local = _index(tmp_path, "# shop\n\n## Install and deploy\n\nRun make run and verify http://localhost:8080.\n")
    assert evaluate(local, REQ) is None
    excluded = _index(tmp_path, "# shop\n\n## Local quickstart\n\nRun kubectl apply -f release/ and verify it.\n")
    assert evaluate(excluded, REQ) is None


@needs_shared(CORPUS / "microservices-demo")
def test_corpus_microservices_demo_quickstart_is_its_deployment_procedure():
    report = lint(CORPUS / "microservices-demo", select=["DOC005"])
    # the Quickstart (GKE) covers everything; its one link to a heading the README no longer has is broken upstream
    assert [(f.location.line, f.message) for f in report.active if f.code == "DOC005"] == [
        (118, "A link in the deployment procedure (README.md) is broken: no heading or anchor "
              "#deploy-online-boutique-variations-with-kustomize.")]


def test_rollback_advice_names_kubectl_when_plain_manifests_are_committed_beside_the_chart(tmp_path):
    """microservices-demo deploys its committed release/ manifests with kubectl; its chart is an alternative."""
    (tmp_path / "README.md").write_text("# shop\n\nRun `kubectl apply -f release/`.\n")
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 0.1.0\n")
    (tmp_path / "release").mkdir()
    (tmp_path / "release" / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  replicas: 3\n")
    (message,) = [f.message for f in lint(tmp_path, select=["DOC006"]).active]
    assert message.endswith("(helm rollback, or kubectl rollout undo for the committed manifests).")
