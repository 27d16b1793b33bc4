"""Deployment procedures documented.

## What it does
Looks for a deployment procedure: `DEPLOY.md`, `docs/deploy*.md`, `docs/operations/deployment.md`, or a
section of the README or of the docs (TechDocs included) whose heading names deploying, releasing or
rolling out. It must cover environments, prerequisites and post-deploy verification (as headings or in
the text), name the mechanism the repository really uses (Argo CD / GitOps when an Application exists,
Helm when there is a chart (or `kubectl apply`, kustomize or skaffold when plain manifests are committed
beside it), else the CI workflow that deploys), and its relative links must resolve.
Instructions to `kubectl apply` while an Argo CD Application syncs automatically contradict the
repository. "Installation", "Getting started" and "Quickstart" sections are developer setup, not a
deployment procedure, unless they run a command that deploys to a cluster (`kubectl apply`, `helm
upgrade --install`, `skaffold run`, `argocd app sync`...). When several sections qualify, the one that
covers the most is judged; on a tie, one holding a deploy command beats a list of links, then the
earlier wins. Libraries and charts (`project.type`) are not deployed on their own.

## Why it matters
Whoever deploys at a bad moment (an incident, a holiday) needs the real procedure, not the one the team
used two years ago; a wrong procedure is worse than none.

## How to fix
Add `docs/deploy.md` (or a README "Deployment" section) with the environments, prerequisites, the steps
of the mechanism in place and how to verify the result.

## Example
```markdown fail file=README.md
# shop-api

### Installation

Run `make install` and then `make run` to start the service locally on port 8080 for development.
```
```markdown pass file=README.md
# shop-api

### Deployment

Environments: staging deploys from main, production from tags; both run in the shop namespace.

Prerequisites: access to the deploy workflow and to the production cluster dashboards, plus an approved
change ticket.

Merging to main runs the deploy workflow, which pushes the image and bumps the tag in the environment
values; review the pull request it opens and merge it.

Verification: watch the rollout finish, check the error-rate dashboard for ten minutes and run the
smoke test suite against the public endpoint.
```
"""
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.ci import project_type
from readylint.model.doc_requirements import DocRequirement, SectionSpec, evaluate, judge
from readylint.model.docs import docs
from readylint.registry import rule

from ._delivery import delivery, lines_matching

TOPICS = (
    SectionSpec("Environments", (r"environment|staging|production|\bprod\b|\bdev\b|cluster",), in_text=True),
    SectionSpec("Prerequisites", (r"prerequisite|requirement|before you|you need|requires|access to",), in_text=True),
    SectionSpec("Verification", (r"verif|smoke|health ?check|check that|confirm|validat|dashboard|monitor|"
                                 r"rollout status|kubectl get pods|pods? (?:to be |are |is )?(?:ready|running)",),
                in_text=True),
)
# a command that deploys to a cluster: it makes a "Quickstart" a procedure and beats a list of links
DEPLOY_COMMAND = (r"kubectl\s+(?:apply|create|replace)\b|kubectl\s+kustomize|helm\s+(?:upgrade|install)\b|"
                  r"kustomize\s+build|skaffold\s+(?:run|deploy)\b|argocd\s+app\s+(?:sync|create)\b|"
                  r"flux\s+(?:create|reconcile)\b|timoni\s+(?:apply|bundle\s+apply)\b|gcloud\s+deploy\b",)


def requirement(min_words):
    return DocRequirement(
        name="deployment procedure",
        paths=("DEPLOY.md", "DEPLOYMENT.md", "docs/deploy*.md", "docs/operations/deployment.md",
               "docs/**/deploy*.md", "docs/release*.md", "RELEASE.md", "RELEASING.md", "docs/deploy*.rst",
               "docs/deploy*.adoc"),
        headings=(r"deploy|releas|roll[ -]?out|deliver|promot|ship",),
        exclude_headings=(r"roll[ -]?back|revert|local|develop|\bnotes?\b|changelog|history|badge",),
        content=DEPLOY_COMMAND, content_headings=(r"install|getting started|quick ?start",),
        exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md", "SECURITY.md"),
        sections=TOPICS, min_words=min_words,
        fix="Add docs/deploy.md (or a README 'Deployment' section) covering environments, prerequisites, the "
            "deployment mechanism and post-deploy verification.")


def mechanism(index, match):
    """What the doc should name, and whether it does: (expected description, named?)."""
    found = delivery(index)
    text = match.text().lower()
    if found.apps:
        return "Argo CD / GitOps", any(w in text for w in ("argo", "gitops", "sync"))
    if found.helm:
        # a repository that also commits plain manifests (microservices-demo's release/) may document those
        plain = found.plain_manifests and any(w in text for w in ("kubectl apply", "kustomize", "skaffold"))
        return "Helm (the chart and its values file)", "helm" in text or "values" in text or plain
    if found.workflows:
        names = [n for n, _ in found.workflows] + [p.rsplit("/", 1)[-1] for _, p in found.workflows]
        return f"the CI workflow {found.workflows[0][0]!r}", any(n.lower() in text for n in names) or (
            "workflow" in text or "pipeline" in text)
    return "", True


@rule(code="DOC005", slug="deployment-procedure", scope="repository", severity="warning", confidence="medium",
      evidence="R, A, C", options={"doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("deployment-procedure", "deployment procedure")
    kind = project_type(index)
    if kind in ("library", "chart"):
        yield subject.not_applicable(NOT_RELEVANT, f"project.type is {kind}: never deployed on its own")
        return
    req = requirement(opts["doc_section_min_words"])
    match = evaluate(index, req)
    if match is None:
        yield from _missing(index, subject, req)
        return
    failed = False
    for outcome in judge(index, req, subject, match):
        failed = failed or outcome.status == "fail"
        if outcome.status == "fail":
            yield outcome
    expected, named = mechanism(index, match)
    if not named:
        failed = True
        yield subject.fail(f"The deployment procedure in {match.where} does not name the mechanism this repository "
                           f"uses ({expected}); describe the steps with it.", at=match.location,
                           key_path="doc.mechanism")
    automated = delivery(index).automated_apps
    if automated:
        app, at = automated[0]
        for where, line in lines_matching(match.doc, match.start, match.end, r"kubectl\s+(apply|create|replace)"):
            failed = True
            yield subject.fail(f"The deployment procedure in {match.where} says to run kubectl apply while "
                               f"{app.obj.ref} syncs automatically: Argo CD reverts manual changes. Deploy through "
                               f"Git instead.", at=where, key_path=f"doc.contradiction.{where.line}",
                               related=(Related(at, f"{app.obj.ref} has automated sync"),))
    if not failed:
        yield subject.passed(f"{match.where} covers it")


def _missing(index, subject, req):
    setup = None
    for doc in docs(index).documents():
        setup = next((s for s in doc.sections if any(w in s.heading.text.lower() for w in (
            "install", "getting started", "quick start", "quickstart"))), None)
        if setup is not None:
            yield subject.fail(f"The only procedure found is the developer section '{setup.heading.text}' in "
                               f"{doc.path}, not a deployment procedure. {req.fix}",
                               at=docs(index).location(doc, setup.heading), key_path="doc.missing")
            return
    yield subject.fail(f"No deployment procedure found in the repository. {req.fix}", at=index.repo.anchor(),
                       key_path="doc.missing")
