"""Rollback procedures documented.

## What it does
Looks for a rollback procedure (`ROLLBACK.md`, `docs/rollback*.md`, or a section whose heading names
rolling back, reverting or undoing a release) and checks it against the delivery mechanism in place: it
must name one (`git revert` for GitOps, `kubectl argo rollouts abort|undo`, `helm rollback`, `kubectl
rollout undo`). It fails when it recommends `argocd app rollback` while an Application syncs
automatically (Argo CD refuses to roll back then), warns on `helm rollback` while Argo CD deploys (there
is no Helm release history), and warns when the repository has database migrations but the procedure
says nothing about rolling them back. Rollback sections about a migration tool are not the procedure.
A procedure that only returns to the previous image (`kubectl rollout undo`, a previous tag) while the
repository ships ConfigMaps or Secrets, or one that says nothing about secrets whose values live in an
external store (ExternalSecret, Vault, CSI), gets a `note`: config and secret changes are not rolled back.

## Why it matters
A rollback is done under pressure; a procedure that the tooling refuses, or that leaves the schema ahead
of the code, turns a bad release into an outage.

## How to fix
Write the rollback steps for the mechanism you use (with Argo CD: revert the commit in Git and let it
sync), and say how database migrations are rolled back (down migrations, or expand/contract changes).

## Example
```yaml fail
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop, namespace: argocd}
spec:
  syncPolicy:
    automated: {prune: true}
```
```markdown pass file=README.md
# shop

### Rollback

Revert the release commit with git revert on main and push it; Argo CD syncs the previous manifests
within three minutes. Watch the application health in the Argo CD UI and the error-rate dashboard, and
page the on-call owner if the previous version does not become healthy.
```
```yaml pass
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop, namespace: argocd}
spec:
  syncPolicy:
    automated: {prune: true}
```
"""
import re

from readylint.findings import NOT_RELEVANT, Location, Related
from readylint.model.ci import project_type
from readylint.model.doc_requirements import DocRequirement, evaluate, judge
from readylint.registry import rule

from ._delivery import delivery, lines_matching

MECHANISMS = r"git revert|revert (?:the|a|that) (?:commit|merge|change|pull request|pr)|argo rollouts (?:abort|undo)|" \
             r"helm rollback|kubectl rollout undo|argocd app rollback|previous (?:tag|version|image|release)|" \
             r"rollback workflow|roll back workflow"
MIGRATION_GUIDANCE = r"migrat|schema|down\.sql|expand[ /-]+(?:and[ /-]+)?contract|backward[s]?[- ]compatib"


def requirement(min_words, mechanism="with Argo CD: git revert"):
    return DocRequirement(
        name="rollback procedure",
        paths=("ROLLBACK.md", "docs/rollback*.md", "docs/**/rollback*.md", "docs/rollback*.rst",
               "docs/rollback*.adoc"),
        headings=(r"roll(?:ing)?[ -]?back|revert|undo",),
        exclude_headings=(r"migrat|schema|database|flyway|liquibase|alembic|automat|criteria",),
        exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md"), min_words=min_words,
        fix=f"Add a 'Rollback' section that uses the delivery mechanism in place ({mechanism}).")


@rule(code="DOC006", slug="rollback-procedure", scope="repository", severity="warning", confidence="medium",
      evidence="R, A", options={"doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("rollback-procedure", "rollback procedure")
    kind = project_type(index)
    if kind in ("library", "chart"):
        yield subject.not_applicable(NOT_RELEVANT, f"project.type is {kind}: never deployed on its own")
        return
    found = delivery(index)
    req = requirement(opts["doc_section_min_words"], _expected(found))
    match = evaluate(index, req)
    failed = False
    for outcome in judge(index, req, subject, match):
        if outcome.status == "fail":
            failed = True
            yield outcome
    if match is None:
        return
    text = match.text()
    if not lines_any(match, MECHANISMS):
        failed = True
        yield subject.fail(f"The rollback procedure in {match.where} names no rollback mechanism; say how to "
                           f"return to the previous version ({_expected(found)}).", at=match.location,
                           key_path="doc.mechanism")
    if found.automated_apps:
        app, at = found.automated_apps[0]
        related = (Related(at, f"{app.obj.ref} syncs automatically"),)
        for where, _ in lines_matching(match.doc, match.start, match.end, r"argocd\s+app\s+rollback"):
            failed = True
            yield subject.fail(f"The rollback procedure in {match.where} uses argocd app rollback, which Argo CD "
                               f"refuses while {app.obj.ref} syncs automatically; revert the change in Git (or "
                               f"disable auto-sync first and say so).", at=where, key_path=f"doc.argocd.{where.line}",
                               related=related)
    if found.apps:
        app = found.apps[0]
        for where, _ in lines_matching(match.doc, match.start, match.end, r"helm\s+rollback"):
            failed = True
            yield subject.fail(f"The rollback procedure in {match.where} uses helm rollback while Argo CD deploys "
                               f"({app.obj.ref}): Argo CD keeps no Helm release history; revert in Git instead.",
                               at=where, key_path=f"doc.helm.{where.line}", level="warning",
                               related=(Related(app.obj.name_at(), f"{app.obj.ref} deploys the chart"),))
    if found.migrations and not re.search(MIGRATION_GUIDANCE, text, re.IGNORECASE):
        failed = True
        yield subject.fail(f"The rollback procedure in {match.where} does not cover database migrations although "
                           f"the repository has some ({found.migrations[0]}); say how to roll them back (down "
                           f"migrations or expand/contract changes).", at=match.location, key_path="doc.migrations",
                           level="warning", related=(Related(Location(found.migrations[0], 1, 1), "a migration"),))
    for outcome in _config_note(index, subject, match, found):
        failed = True
        yield outcome
    if not failed:
        yield subject.passed(f"{match.where} covers it")


IMAGE_ONLY = r"kubectl rollout undo|argo rollouts (?:abort|undo)|previous (?:tag|version|image)|image tag|" \
             r"set image|redeploy"
WHOLE_RELEASE = r"git revert|revert (?:the|a|that) (?:commit|merge|change|pull request|pr)|helm rollback"
CONFIG_WORDS = r"config ?maps?|configuration|config change|secrets?|values(?:\.ya?ml| file)|environment variables?|" \
               r"feature flags?|settings"
EXTERNAL_SECRET_KINDS = ("ExternalSecret", "VaultStaticSecret", "VaultDynamicSecret", "SecretProviderClass")


def _config_note(index, subject, match, found):
    """A procedure that rolls back the image but not configuration or secrets (rules.md DOC006 trap, a note):
    `kubectl rollout undo` or a previous tag leave ConfigMaps and Secrets as they are, and a Git revert does not
    bring back secret values kept in an external store."""
    if lines_any(match, CONFIG_WORDS):
        return
    config = [o for o in index.objects if o.kind in ("ConfigMap", "Secret") and not index.is_excluded(o)]
    external = [o for o in index.objects if o.kind in EXTERNAL_SECRET_KINDS and not index.is_excluded(o)]
    whole = lines_any(match, WHOLE_RELEASE) or (found.apps and not lines_any(match, IMAGE_ONLY))
    if config and not whole and lines_any(match, IMAGE_ONLY):
        obj = config[0]
        yield subject.fail(f"The rollback procedure in {match.where} returns to the previous image but says "
                           f"nothing about configuration or secrets: {obj.ref} and the like stay at the new "
                           f"version. Say how to roll back config and secret changes too (or that they are "
                           f"versioned with the image).", at=match.location, key_path="doc.config", level="note",
                           related=(Related(obj.name_at(), f"{obj.ref} is not rolled back with the image"),))
    elif external:
        obj = external[0]
        yield subject.fail(f"The rollback procedure in {match.where} says nothing about secrets, and {obj.ref} "
                           f"takes its values from an external store that a Git revert or rollback does not "
                           f"restore. Say how to return secret values to their previous version.",
                           at=match.location, key_path="doc.secrets", level="note",
                           related=(Related(obj.name_at(), f"{obj.ref} reads an external secret store"),))


def lines_any(match, pattern) -> bool:
    return next(lines_matching(match.doc, match.start, match.end, pattern), None) is not None


def _expected(found) -> str:
    if found.apps:
        return "with Argo CD: git revert of the release commit"
    if found.rollouts:
        return "kubectl argo rollouts undo"
    if found.helm and found.plain_manifests:  # the chart, or the committed manifests the README applies
        return "helm rollback, or kubectl rollout undo for the committed manifests"
    if found.helm:
        return "helm rollback"
    return "e.g. redeploy the previous image tag"

