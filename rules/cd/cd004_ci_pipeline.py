"""CI/CD pipeline complete.

## What it does
Reads the GitHub Actions workflows (local reusable workflows and composite actions followed) and GitLab CI,
and checks one subject per part of a complete pipeline: it runs on pull requests and on pushes to the
default branch; it lints (`helm lint`, kubeconform, `ct lint`, language linters); it runs unit tests (when the
repository has application code); it builds; it builds and pushes images with immutable tags (when the
repository has a Dockerfile or CI builds images); and it deploys or promotes (GitOps bump, `argocd app sync`,
`helm upgrade`, Argo CD Image Updater, Flux image automation) from a job that uses a GitHub `environment:` and
waits for the tests of its workflow. A stage counts only when at least one of its steps gates
(`continue-on-error`, `|| true` and `allow_failure: true` do not). With a GitHub settings snapshot, each
required status check must be produced by some job. Scanning stages belong to SEC006 and TEST005.

Triggers are read as GitHub and GitLab apply them: when every CI workflow that runs on pull requests (or on
the default branch) has an `on.<event>.paths` / `paths-ignore` filter that leaves out a chart, the
Dockerfiles or the application code, changes to them run no CI, which is a finding at the filter. GitLab
`workflow: rules:` and job `rules: if:` are evaluated against merge-request, feature-branch and
default-branch pipelines; rules that can never match either are findings at the `rules:` line (a user
variable or an unknown branch name counts as "may match").

## Why it matters
A pipeline with a missing or non-blocking stage lets untested, unlinted or hand-deployed changes reach
production, and a required check that no job emits blocks every pull request (or is silently ignored).

## How to fix
Add the missing stage as a job that runs on `pull_request` and `push` to the default branch, make the deploy
job `needs:` the test jobs and use an `environment:`, tag images with the commit SHA or a version, and keep
required status checks in sync with the job names.

## Example
```yaml fail file=.github/workflows/ci.yml
on: workflow_dispatch
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: helm lint chart
```
```yaml pass file=.github/workflows/ci.yml
on:
  pull_request: {}
  push: {branches: [main]}
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: helm lint chart
  deploy:
    needs: [lint]
    if: github.event_name == 'push'
    environment: production
    runs-on: ubuntu-latest
    steps:
      - run: helm upgrade --install api chart
```
"""
import re

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Related
from readylint.model.ci import (PR_EVENTS, all_jobs, app_files, dockerfiles, ephemeral_cluster, gating,
                                has_app_code, main_pipeline, pipelines, project_type, tolerated)
from readylint.model.ci_tools import BUILD, DEPLOY, IMAGE_BUILD, LINT, UNIT, hits, remote_calls
from readylint.model.ci_triggers import deployable_units, path_filters
from readylint.model.github_settings import protection_of
from readylint.model.github_snapshot import load_snapshot
from readylint.registry import rule

STAGES = ((LINT, "lint", "lint"),
          (UNIT, "unit-tests", "unit tests"),
          (BUILD, "build", "build"),
          (IMAGE_BUILD, "image", "image build and push"),
          (DEPLOY, "deploy", "deploy or promotion"))
ADVICE = {
    "lint": "Add a job that runs helm lint, kubeconform, ct lint or the language's linter on pull requests and on "
            "the default branch.",
    "unit-tests": "Add a job that runs the unit tests on pull requests and on the default branch.",
    "build": "Add a job that builds the code on pull requests and on the default branch.",
    "image": "Add a job that builds the image on the default branch and pushes it with an immutable tag.",
    "deploy": "Add a job that deploys or promotes each default-branch build (a GitOps bump commit, argocd app sync "
              "or helm upgrade) through a GitHub environment. If the repository is a tool or library that is "
              "released rather than deployed, set project.type: library.",
}


@rule(code="CD004", slug="ci-pipeline", scope="repository", severity="error", confidence="medium",
      evidence="C, S")
def check(index, opts):
    runnable = [p for p in pipelines(index) if not p.callable]
    if not runnable:
        yield index.repo.subject("ci-pipeline", "the CI pipeline").fail(
            "The repository has no CI pipeline (.github/workflows/*.yml or .gitlab-ci.yml): nothing lints, tests, "
            "builds or deploys it automatically. Add a workflow that runs on pull requests and on the default "
            "branch.", at=index.repo.anchor(), key_path="ci")
        return
    yield from _triggers(index, runnable)
    opaque = remote_calls(index)
    needed = _needed_stages(index)
    for category, key, label in STAGES:
        subject = index.repo.subject(f"ci-pipeline/{key}", f"the {label} stage")
        if key not in needed:
            yield subject.not_applicable(NOT_RELEVANT, needed.get(f"-{key}", "not needed by this repository"))
            continue
        found = [h for h in _stage_hits(index, category) if h.step.job.automated]
        if category == BUILD and not found:  # an image build is a build too
            found = [h for h in _stage_hits(index, IMAGE_BUILD) if h.step.job.automated]
        if category == DEPLOY:
            handover = _gitops_handover(index)
            if handover and not found:
                yield subject.passed(handover)
                continue
        if not found:
            manual = _stage_hits(index, category)
            if opaque:
                yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"no local job has a {label} stage, but "
                                             f"{opaque[0][1]}, whose stages cannot be seen")
            elif manual and not any(h.step.job.events for h in manual) and manual[0].step.job.rules_at:
                job = manual[0].step.job
                yield subject.fail(f"The {label} stage ({job.display}) never runs: its `rules:` match neither a "
                                   f"merge request nor the default branch. Add a rule that matches "
                                   f"$CI_PIPELINE_SOURCE == \"merge_request_event\" or $CI_COMMIT_BRANCH == "
                                   f"$CI_DEFAULT_BRANCH.", at=job.rules_at, key_path=f"stages.{key}",
                                   related=[Related(job.location, f"The {label} job.")])
            elif manual:
                step = manual[0].step
                yield subject.fail(f"The {label} stage runs only on manual dispatch ({step.job.display}): a "
                                   f"workflow_dispatch-only pipeline is not automation. Trigger it on push to the "
                                   f"default branch.", at=step.job.location, key_path=f"stages.{key}")
            else:
                at = _nearest_job(index, category)
                yield subject.fail(f"The CI pipeline has no {label} stage. {ADVICE[key]}", at=at,
                                   key_path=f"stages.{key}")
            continue
        judge = gating if category in (LINT, UNIT) else tolerated  # checks must run before merge; releases not
        good = [h for h in found if h.fails and judge(h.step) is None]
        if not good:
            hit = found[0]
            why = hit.why if not hit.fails else judge(hit.step)
            yield subject.fail(f"The {label} stage in {hit.step.job.display} does not gate: {why}. Let its failure "
                               f"fail the pipeline.", at=hit.step.job.location, key_path=f"stages.{key}",
                               related=[Related(hit.step.location, f"The {label} step.")])
            continue
        problems = list(_stage_problems(index, category, good))
        if not problems:
            yield subject.passed(f"{good[0].tool} in {good[0].step.job.display}")
        for message, at, path, level, related in problems:
            yield subject.fail(message, at=at, key_path=path, level=level, related=related)
    yield from _required_checks(index, runnable)


def _stage_hits(index, category):
    """Steps of the stage in jobs that run on their own; deploys into a throw-away test cluster are tests."""
    found = [h for h in hits(index, category) if not h.step.job.pipeline.callable]
    if category == DEPLOY:
        found = [h for h in found if ephemeral_cluster(h.step.job) is None]
    return found


def _triggers(index, runnable):
    subject = index.repo.subject("ci-pipeline/triggers", "the CI triggers")
    main = main_pipeline(index)
    by_size = sorted(runnable, key=lambda p: (-len(p.jobs), p.path))
    on_pr = [p for p in by_size if p.events & PR_EVENTS]
    on_push = [p for p in by_size if p.default_branch_push]
    failed = False
    gitlab = main.kind == "gitlab"
    if not on_pr:
        failed = True
        fix = (f"The `workflow: rules:` of {main.path} match no merge request or feature-branch pipeline; add "
               f"`- if: $CI_PIPELINE_SOURCE == \"merge_request_event\"`." if gitlab else
               f"Add `pull_request` to the triggers of {main.path}.")
        yield subject.fail(f"No CI workflow runs on pull requests, so changes are merged untested. {fix}",
                           at=main.location, key_path="on.pull_request")
    if not on_push:
        failed = True
        fix = (f"The `workflow: rules:` of {main.path} never match the default branch; add "
               f"`- if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH`." if gitlab else
               f"Add `push: {{branches: [main]}}` to {main.path}.")
        yield subject.fail(f"No CI workflow runs on pushes to the default branch, so what is merged is never "
                           f"built or deployed automatically. {fix}", at=main.location, key_path="on.push")
    if failed:
        return
    for message, at, key, related in _path_gaps(index, runnable):
        failed = True
        yield subject.fail(message, at=at, key_path=key, related=related)
    if not failed:
        yield subject.passed(f"{on_pr[0].path} runs on pull or merge requests; {on_push[0].path} on the default branch")


def _path_gaps(index, runnable):
    """Deployable parts (charts, Dockerfiles, application code) whose changes no CI workflow runs for, because
    every CI workflow of the event has a `paths` / `paths-ignore` filter that leaves them out."""
    in_ci = {id(h.step.job.pipeline) for h in hits(index, LINT, UNIT, BUILD, IMAGE_BUILD, DEPLOY)}
    candidates = sorted([p for p in runnable if id(p) in in_ci] or runnable, key=lambda p: (-len(p.jobs), p.path))
    units = None
    for label, key, events in (("pull requests", "on.pull_request.paths", PR_EVENTS), ("pushes to the default "
                                                                                      "branch", "on.push.paths",
                                                                                      frozenset({"push"}))):
        chosen = [p for p in candidates if (p.events & PR_EVENTS if events is PR_EVENTS else p.default_branch_push)]
        filtered = []
        for pipeline in chosen:
            filters = {f.event: f for f in path_filters(index, pipeline) if f.event in events}
            if any(e not in filters for e in pipeline.events & events):
                break  # this workflow runs for every change
            filtered.append(list(filters.values()))
        else:
            if not filtered:
                continue
            if units is None:
                units = deployable_units(index, app_files(index))
            gaps = [name for name, files in units
                    if not any(f.runs_for(path) for group in filtered for f in group for path in files)]
            if gaps:
                first = filtered[0][0]
                others = ", as do the filters of the other CI workflows" if len(filtered) > 1 else ""
                yield (f"Changes to {_join(gaps)} run no CI workflow on {label}: the `{first.kind}` filter of "
                       f"{first.pipeline_path} ({first.event}) leaves them out{others}, so they are merged or "
                       f"deployed unchecked. Add their paths to the filter or remove it.",
                       first.location, key, [Related(f.location, f"The `{f.kind}` filter of {f.pipeline_path}.")
                                             for group in filtered for f in group if f is not first][:20])


def _join(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _needed_stages(index) -> dict:
    """Stages this repository needs, with the reason for the ones it does not (key prefixed with '-')."""
    kind = project_type(index)
    code = has_app_code(index) or bool(hits(index, UNIT))
    needed = {"lint": True}
    if code:
        needed["unit-tests"] = needed["build"] = True
    else:
        needed["-unit-tests"] = needed["-build"] = "the repository has no application code"
    if dockerfiles(index) or hits(index, IMAGE_BUILD):
        needed["image"] = True
    else:
        needed["-image"] = "the repository has no Dockerfile and CI builds no image"
    if kind == "library":
        needed["-deploy"] = "project.type is library: it is published, not deployed"
    else:
        needed["deploy"] = True
    return needed


def _gitops_handover(index) -> str:
    for obj in index.of_kind("Application", "ImageUpdater", "ImageUpdateAutomation"):
        if obj.kind == "Application" and any(k.startswith("argocd-image-updater.argoproj.io/image-list")
                                             for k in obj.annotations):
            return f"{obj.ref} is promoted by Argo CD Image Updater"
        if obj.kind in ("ImageUpdater", "ImageUpdateAutomation"):
            return f"{obj.ref} promotes new images"
    return ""


def _nearest_job(index, category):
    """Where a missing stage belongs: the job of the stage before it, else the main workflow's first job."""
    order = [c for c, _, _ in STAGES]
    before = order[:order.index(category)][::-1]
    for earlier in before:
        found = [h for h in hits(index, earlier) if not h.step.job.pipeline.callable]
        if found:
            return found[0].step.job.location
    main = main_pipeline(index)
    return main.jobs[0].location if main.jobs else main.location


MUTABLE_TAGS = ("", "latest", "main", "master", "dev", "develop", "edge", "stable", "nightly")


def _mutable(ref: str) -> bool:
    """A literal image reference whose tag moves (none, :latest, a branch name); expressions get the benefit."""
    if "$" in ref or "@sha256:" in ref:
        return False
    last = ref.rsplit("/", 1)[-1]
    return (last.split(":", 1)[1] if ":" in last else "") in MUTABLE_TAGS


def _stage_problems(index, category, good):
    if category == IMAGE_BUILD:
        for hit in good:
            refs = (re.split(r"[\n,]+", hit.step.input("tags")) if hit.step.uses
                    else re.findall(r"(?:-t|--tag|--destination)[ =]+['\"]?([^\s'\"]+)", hit.step.run))
            refs = [r.strip() for r in refs if r.strip()]
            tags = ", ".join(refs)
            if refs and all(_mutable(r) for r in refs):
                yield (f"The image pushed by {hit.step.job.display} is tagged only `{tags.strip()}`, a mutable tag: "
                       f"deploys cannot be traced or rolled back. Tag it with the commit SHA or a version.",
                       hit.step.location, f"{hit.step.job.key}.tags", None, ())
    if category == DEPLOY:
        for hit in good:
            job = hit.step.job
            if job.pipeline.kind == "github" and not job.environment and hit.tool not in ("chart-releaser",
                                                                                          "helm push", "cr upload"):
                yield (f"The deploy {job.display} uses no GitHub environment, so it has no deployment history, "
                       f"protection rules or environment secrets. Add `environment: <name>` to the job.",
                       job.location, f"{job.key}.environment", "warning", ())
            tests = [h.step.job for h in hits(index, UNIT) if h.step.job.pipeline is job.pipeline]
            if tests and job not in tests and not any(t in job.pipeline.ancestors(job) for t in tests):
                yield (f"The deploy {job.display} does not wait for the tests of its workflow: add the test job "
                       f"'{tests[0].key}' to its `needs:`.", job.location, f"{job.key}.needs", None,
                       (Related(tests[0].location, "The tests it should wait for."),))
            break


def _required_checks(index, runnable):
    subject = index.repo.subject("ci-pipeline/required-checks", "the required status checks")
    evidence = load_snapshot(index)
    if evidence.snapshot is None:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"required checks cannot be compared with the CI jobs: "
                                     f"{evidence.unavailable}")
        return
    snapshot = evidence.snapshot
    setting = protection_of(snapshot, snapshot.default_branch).settings.get("status_checks")
    if setting is None or setting.state is None:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, "the snapshot could not read the required checks")
        return
    names = [n for n in (setting.value or ()) if n]
    if not names:
        yield subject.not_applicable(NOT_RELEVANT, "the default branch requires no status checks (CD005 judges that)")
        return
    emitted = _emitted(all_jobs(index))
    missing = [n for n in names if "/" not in n and not any(regex.fullmatch(n) for regex in emitted)]
    if not missing:
        yield subject.passed(f"every required check ({', '.join(names)}) is a CI job")
        return
    yield subject.fail(f"Required status check(s) {', '.join(repr(n) for n in missing)} on {snapshot.default_branch} "
                       f"are produced by no CI job, so pull requests wait for them for ever. Rename the checks or the "
                       f"jobs so that they match.", at=snapshot.at(*setting.pointer), key_path="required-checks")


def _emitted(jobs):
    """Check names a job can produce: its name (matrix expressions as wildcards), optionally after 'caller / '."""
    out = []
    for job in jobs:
        for name in {job.name, job.key}:
            pattern = re.escape(name)
            pattern = re.sub(r"\\\$\\\{\\\{.*?\\\}\\\}", ".*", pattern)
            out.append(re.compile(rf"(.* / )?{pattern}( \(.*\))?( / .*)?"))
    return out
