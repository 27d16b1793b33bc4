"""The CI model: triggers, `if:` and `needs:`, local reusable workflows and composite actions, GitLab, recognisers."""
from __future__ import annotations

import pytest

from readylint.inputs.yaml_docs import load_stream
from readylint.model.ci import gating, pipelines
from readylint.model.ci_tools import E2E, IMAGE_SCAN, LOAD, UNIT, classify, hits, pushes, remote_calls
from readylint.model.index import RepoIndex

from .conftest import CORPUS, needs_shared
from .helpers import lint

CI_CORPUS = ("argo-cd", "argo-rollouts", "ingress-nginx", "kube-prometheus", "microservices-demo")


def ci_index(tmp_path, files: dict) -> RepoIndex:
    """A RepoIndex over ``files`` with YAML documents loaded the way the run loads them."""
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    index = RepoIndex([], str(tmp_path), sorted(files))
    index.documents = {p: [d for d in load_stream(t).documents if d.data is not None]
                       for p, t in files.items() if p.endswith((".yml", ".yaml"))}
    return index


def workflow(tmp_path, text, name="ci.yml", **extra):
    index = ci_index(tmp_path, {f".github/workflows/{name}": text, **extra})
    return index, pipelines(index)


@pytest.mark.parametrize(("on", "events", "default_push"), [
    ("[push, pull_request]", {"push", "pull_request"}, True),
    ("{push: {branches: [main]}, pull_request: {}}", {"push", "pull_request"}, True),
    ("{push: {branches: ['release-*']}}", {"push"}, False),
    ("{push: {tags: ['v*']}}", {"push"}, False),
    ("workflow_dispatch", {"workflow_dispatch"}, False),
])
def test_triggers_and_default_branch_push(tmp_path, on, events, default_push):
    _, (pipeline,) = workflow(tmp_path, f"on: {on}\njobs:\n  a:\n    steps: [{{run: make}}]\n")
    assert set(pipeline.events) == events
    assert pipeline.default_branch_push is default_push


@pytest.mark.parametrize(("condition", "expected"), [
    ("github.event_name == 'push'", {"push"}),
    ("${{ (github.repository == 'a/b' || vars.X != '') && github.event_name != 'push' }}", {"pull_request"}),
    ("github.ref == 'refs/heads/main'", {"push"}),
    ("github.event_name == 'push' || github.event_name == 'pull_request'", {"push", "pull_request"}),
    ("needs.changes.outputs.go == 'true'", {"push", "pull_request"}),
])
def test_job_if_narrows_the_events(tmp_path, condition, expected):
    text = f"on: [push, pull_request]\njobs:\n  a:\n    if: \"{condition}\"\n    steps: [{{run: make}}]\n"
    _, (pipeline,) = workflow(tmp_path, text)
    assert set(pipeline.jobs[0].events) == expected


def test_a_job_needing_a_push_only_job_does_not_run_on_pull_requests(tmp_path):
    _, (pipeline,) = workflow(tmp_path, """\
on: [push, pull_request]
jobs:
  build: {if: "github.event_name == 'push'", steps: [{run: make}]}
  deploy: {needs: build, steps: [{run: kubectl apply -f k8s/}]}
""")
    assert not pipeline.job("deploy").runs_on_pr
    assert pipeline.ancestors(pipeline.job("deploy")) == [pipeline.job("build")]


def test_local_reusable_workflow_steps_join_the_caller_with_its_inputs(tmp_path):
    index, found = workflow(tmp_path, """\
on: [push, pull_request]
jobs:
  only-build:
    uses: ./.github/workflows/image.yml
    with: {push: false}
  publish:
    uses: ./.github/workflows/image.yml
    with: {push: true}
""", **{".github/workflows/image.yml": """\
on: {workflow_call: {inputs: {push: {type: boolean}}}}
jobs:
  image:
    steps:
      - uses: docker/build-push-action@v6
        with: {push: "${{ inputs.push }}"}
"""})
    caller = next(p for p in found if p.path.endswith("ci.yml"))
    assert next(p for p in found if p.path.endswith("image.yml")).callable
    by_job = {h.step.job.key: h for h in classify_all(index) if h.step.job.pipeline is caller}
    assert pushes(by_job["publish"]) and not pushes(by_job["only-build"])
    assert by_job["publish"].step.location.path == ".github/workflows/image.yml"  # found where it is written


def classify_all(index):
    return [h for p in pipelines(index) for j in p.jobs for s in j.steps for h in classify(s)]


def test_composite_action_steps_are_followed(tmp_path):
    index, (pipeline,) = workflow(tmp_path, """\
on: pull_request
jobs:
  test:
    steps:
      - uses: ./.github/actions/test
""", **{".github/actions/test/action.yml": "runs:\n  using: composite\n  steps:\n    - run: go test ./...\n"
                                           "      shell: bash\n"})
    unit = hits(index, UNIT)
    assert [(h.step.location.path, h.step.location.line) for h in unit] == [(".github/actions/test/action.yml", 4)]
    assert (pipeline.jobs[0].steps[0].action, pipeline.jobs[0].steps[0].ref) == ("./.github/actions/test", "")
    assert gating(unit[0].step) is None


def test_remote_reusable_workflow_is_opaque_but_provenance_generators_are_known(tmp_path):
    index, (pipeline,) = workflow(tmp_path, """\
on: push
jobs:
  scan: {uses: acme/security/.github/workflows/scan.yml@v1}
  provenance: {uses: slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0}
""")
    assert [j.key for j in pipeline.jobs if j.remote] == ["scan", "provenance"]
    assert [description for _, description in remote_calls(index)] == [
        "job 'scan' in .github/workflows/ci.yml calls acme/security/.github/workflows/scan.yml@v1"]


@pytest.mark.parametrize(("step", "on", "why"), [
    ("{run: gitleaks detect, continue-on-error: true}", "pull_request", "continue-on-error"),
    ("{run: 'gitleaks detect || true'}", "pull_request", "its command ends in `|| true`"),
    ("{run: gitleaks detect}", "{schedule: [{cron: '0 3 * * 1'}]}", "it runs only on a schedule"),
    ("{run: gitleaks detect}", "workflow_dispatch", "it runs only on manual dispatch"),
    ("{run: gitleaks detect}", "pull_request", None),
])
def test_gating(tmp_path, step, on, why):
    _, (pipeline,) = workflow(tmp_path, f"on: {on}\njobs:\n  scan:\n    steps: [{step}]\n")
    assert gating(pipeline.jobs[0].steps[0]) == why


def test_gitlab_stages_allow_failure_templates_and_local_includes(tmp_path):
    index = ci_index(tmp_path, {".gitlab-ci.yml": """\
stages: [test, build, deploy]
include:
  - template: Jobs/Container-Scanning.gitlab-ci.yml
  - local: /ci/deploy.yml
  - project: acme/templates
    file: /sast.yml
unit:
  stage: test
  script: [go test ./...]
  allow_failure: true
build-image:
  stage: build
  script:
    - docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA .
""", "ci/deploy.yml": "deploy:\n  stage: deploy\n  environment: production\n"
                     "  script: [helm upgrade --install api chart]\n"})
    (pipeline,) = pipelines(index)
    assert [j.key for j in pipeline.jobs] == ["unit", "build-image", "deploy"]
    assert {j.key for j in pipeline.ancestors(pipeline.job("deploy"))} == {"build-image", "unit"}
    assert gating(pipeline.job("unit").steps[0]) == "allow_failure: true"
    assert pipeline.templates[0][1] == "Jobs/Container-Scanning.gitlab-ci.yml"
    assert "acme/templates" in pipeline.remote[0][1]
    assert pipeline.job("deploy").location.path == "ci/deploy.yml"


@pytest.mark.parametrize(("command", "category", "tool", "fails"), [
    ("trivy image --severity HIGH ghcr.io/a/b:1", IMAGE_SCAN, "trivy image", False),
    ("trivy image --exit-code 1 ghcr.io/a/b:1", IMAGE_SCAN, "trivy image", True),
    ("./k6 run test/k6/smoketest.js", LOAD, "k6", True),
    ("make test-e2e", E2E, "e2e target", True),
    ("make -C images test-local", UNIT, "make test", True),
])
def test_recognisers(tmp_path, command, category, tool, fails):
    _, (pipeline,) = workflow(tmp_path, f"on: pull_request\njobs:\n  a:\n    steps: [{{run: '{command}'}}]\n")
    found = [h for h in classify(pipeline.jobs[0].steps[0]) if h.category == category]
    assert [(h.tool, h.fails) for h in found] == [(tool, fails)]


@pytest.mark.parametrize("command", ["make check-docs", "# k6 run old.js", "make test-e2e"])
def test_recognisers_ignore_lookalikes(tmp_path, command):
    text = f"on: pull_request\njobs:\n  a:\n    steps:\n      - run: |\n          {command}\n"
    _, (pipeline,) = workflow(tmp_path, text)
    categories = {h.category for h in classify(pipeline.jobs[0].steps[0])}
    assert UNIT not in categories and LOAD not in categories


def test_malformed_workflow_is_rl001_and_the_rules_still_run(tmp_path):
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text("- just\n- a list\n", encoding="utf-8")
    (tmp_path / ".github/workflows/ok.yml").write_text("on: pull_request\njobs: [oops]\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# x\n", encoding="utf-8")
    report = lint(tmp_path, select=["CD004", "TEST005"])
    assert not report.errors
    problems = sorted((f.location.path, f.location.line, f.message) for f in report.findings if f.code == "RL001")
    assert problems == [
        (".github/workflows/ci.yml", 1, ".github/workflows/ci.yml is not a valid GitHub Actions workflow: its top "
                                        "level is not a mapping."),
        (".github/workflows/ok.yml", 2, ".github/workflows/ok.yml is not a valid GitHub Actions workflow: `jobs` "
                                        "is missing or not a mapping.")]
    assert any(f.code == "CD004" for f in report.findings)


@needs_shared(CORPUS)
@pytest.mark.parametrize("project", CI_CORPUS)
def test_corpus_workflows_parse_and_remote_calls_stay_opaque(project):
    report = lint(CORPUS / project, select=["SEC006", "CD004", "TEST005", "COMP006"])
    assert not report.errors
    assert not [f for f in report.findings if f.code == "RL001" and f.location.path.startswith(".github/")]
    for outcome in report.outcomes["SEC006"]:  # a remote workflow never turns into a SEC006 failure
        if outcome.finding:
            assert "slsa-framework" not in outcome.finding.message


@needs_shared(CORPUS)
def test_argo_cd_build_only_job_does_not_push_and_the_deploy_is_push_only(tmp_path):
    report = lint(CORPUS / "argo-cd", select=["SEC006", "CD004"])
    (failed,) = [o for o in report.outcomes["SEC006"] if o.status == "fail"]
    assert failed.subject.display == "the image built at .github/workflows/image-reuse.yaml:177"
    assert failed.finding.message.startswith(  # build-only passes push: false, so only the publishing jobs count
        "The image pushed by job 'build-and-publish' in .github/workflows/image.yaml, job 'argocd-image' in "
        ".github/workflows/release.yaml (docker/build-push-action) is not scanned")
    deploy = [f for f in report.findings if f.code == "CD004"]
    assert [(f.location.path, f.location.line, f.level) for f in deploy] == [
        (".github/workflows/image.yaml", 153, "warning")]


CI_RULES = ["SEC006", "CD004", "TEST001", "TEST002", "TEST003", "TEST004", "TEST005", "TEST006", "COMP006"]


def test_repository_rules_are_not_relevant_without_repository_files(tmp_path):
    report = lint(tmp_path, select=CI_RULES)
    assert [f for f in report.findings if f.code in CI_RULES] == []
    assert {report.statuses[code] for code in CI_RULES} == {"not-relevant"}


def test_inline_suppression_in_a_workflow_waives_the_ci_finding(tmp_path):
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / "README.md").write_text("# api\n", encoding="utf-8")
    (tmp_path / ".github/workflows/image.yml").write_text("""\
on: {push: {branches: [main]}}
jobs:
  image:
    steps:
      # readylint: ignore[SEC006] scanned by the registry's admission controller
      - uses: docker/build-push-action@v6
        with: {push: true, tags: "ghcr.io/acme/api:${{ github.sha }}"}
""", encoding="utf-8")
    report = lint(tmp_path, select=["SEC006"])
    (finding,) = [f for f in report.findings if f.code == "SEC006"]
    assert finding.suppressed_by is not None and finding.location.line == 6
    assert report.active == []


@pytest.mark.parametrize(("step", "names", "pushed"), [
    ("{uses: docker/build-push-action@v6, with: {push: true, tags: 'ghcr.io/acme/api:${{ github.sha }},"
     "ghcr.io/acme/api:latest'}}", ["ghcr.io/acme/api"], True),
    ("{uses: docker/build-push-action@v6, with: {push: false, tags: '${{ env.TAGS }}'}}", [], False),
    ("{run: 'docker buildx build --push -t registry:5000/team/api:1.2.3 .'}", ["registry:5000/team/api"], True),
    ("{run: 'docker build -t api:e2e . && kind load docker-image api:e2e'}", ["api"], False),
])
def test_image_names_and_pushes(tmp_path, step, names, pushed):
    from readylint.model.ci_tools import IMAGE_BUILD, image_names

    _, (pipeline,) = workflow(tmp_path, f"on: push\njobs:\n  a:\n    steps: [{step}]\n")
    (hit,) = [h for h in classify(pipeline.jobs[0].steps[0]) if h.category == IMAGE_BUILD]
    assert (image_names(hit), pushes(hit)) == (names, pushed)


def test_make_variables_are_not_targets(tmp_path):
    _, (pipeline,) = workflow(tmp_path, "on: push\njobs:\n  a:\n    steps:\n      - run: |\n"
                                        "          make release-plugins\n          make manifests IMAGE_TAG=v1\n")
    assert {h.category for h in classify(pipeline.jobs[0].steps[0])} == {"build"}


def test_linting_a_sub_folder_leaves_repository_evidence_unknown(tmp_path):
    from readylint.api import RunOptions, run

    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/app.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (tmp_path / "README.md").write_text("# api\n")
    report = run(RunOptions(paths=["deploy"], cwd=str(tmp_path), root=str(tmp_path), select=CI_RULES))
    assert [f for f in report.findings if f.code in CI_RULES] == []
    assert {report.statuses[code] for code in CI_RULES} == {"unknown"}
    assert "only part of the repository was linted (deploy)" in report.outcomes["CD004"][0].why
