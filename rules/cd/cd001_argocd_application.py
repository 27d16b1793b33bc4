"""ArgoCD application configured.

## What it does
For each chart of the repository (or the repository itself when it has no chart) looks for an Argo CD
`Application`, or an `ApplicationSet` template, whose source is this repository and this chart, and checks
how it is deployed: a destination cluster and namespace, a project other than `default` whose
`sourceRepos` and `destinations` are not `*`, automated sync with `prune` and `selfHeal`, a `retry`
policy, and a `targetRevision` pinned to a tag, version or commit. With `project.gitops_tool: flux` it
looks for a Flux `Kustomization` or `HelmRelease` instead.

## Why it matters
Without a GitOps application the cluster drifts from Git and nobody sees it. The `default` project lets an
application deploy anything anywhere; without self-heal a manual `kubectl edit` stays for ever; `HEAD`
deploys whatever was merged last, without review of what production runs.

## How to fix
Add an Application with `project: <team project>`, `destination.server` and `destination.namespace`,
`syncPolicy.automated: {prune: true, selfHeal: true}`, `syncPolicy.retry`, and a tag as
`targetRevision`. The repository URL is `project.repo_url`, else the `origin` remote.

## Options
* `require_automated_sync`: report Applications without automated sync (warning).

## Example
```yaml fail file=deploy/app.yaml
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/example/api.git
    path: deploy
    targetRevision: HEAD
  destination:
    server: https://kubernetes.default.svc
    namespace: api
```
```yaml fail file=.readylint.yaml
project:
  repo_url: git@github.com:example/api.git
```
```yaml fail file=deploy/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
```
```yaml pass file=deploy/app.yaml
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api
  namespace: argocd
spec:
  project: api
  source:
    repoURL: https://github.com/example/api.git
    path: deploy
    targetRevision: v1.4.2
  destination:
    server: https://kubernetes.default.svc
    namespace: api
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    retry: {limit: 5}
```
```yaml pass file=.readylint.yaml
project:
  repo_url: git@github.com:example/api.git
```
```yaml pass file=deploy/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
```
"""
from typing import NamedTuple

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location, Related
from readylint.model.deploy_units import NOT_DEPLOYED, deploy_units, flux_objects
from readylint.model.gitops import applications, pinned, project, repo_url
from readylint.model.objects import mapping, sequence
from readylint.registry import rule


class Elsewhere(NamedTuple):
    """A defect found on another object (the AppProject, the GitRepository): where and its key path."""

    at: Location
    key: str


def _templated(value) -> bool:
    return isinstance(value, str) and ("{{" in value or "$ARGOCD" in value)


def app_problems(index, app, opts):
    """(message, key path in the spec or Elsewhere, level, related) for each defect."""
    spec, ref = app.spec, app.obj.ref
    out = []
    dest = mapping(spec.get("destination")) or {}
    if not (dest.get("server") or dest.get("name")) or not dest.get("namespace"):
        out.append((f"{ref} has no destination {'namespace' if dest.get('server') or dest.get('name') else 'cluster'}"
                    f"; set destination.server (or name) and destination.namespace.", ("destination",), None, ()))
    name = spec.get("project")
    if not _templated(name) and (not name or name == "default"):
        out.append((f"{ref} uses the default project, which may deploy any repository to any cluster; give it "
                    f"a project that restricts sources and destinations.", ("project",), None, ()))
    elif not _templated(name) and (proj := project(index, str(name))) is not None:
        for field, key in (("sourceRepos", None), ("destinations", "server"), ("destinations", "namespace")):
            for i, item in enumerate(sequence(proj.spec.get(field))):
                value = item if key is None else (item.get(key) if mapping(item) is not None else None)
                if value == "*":
                    at = proj.at("spec", field, i) if key is None else proj.at("spec", field, i, key)
                    out.append((f"{proj.ref} allows any {'repository' if key is None else key} ({field}: '*'), so "
                                f"{ref} is not restricted by its project.",
                                Elsewhere(at, f"AppProject/{proj.name}.spec.{field}"), None,
                                (Related(app.at("project"), f"{ref} uses this project"),)))
                    break
    sync = mapping(spec.get("syncPolicy")) or {}
    automated = sync.get("automated")
    if opts["require_automated_sync"]:
        if automated is None:
            out.append((f"{ref} has no automated sync, so the cluster drifts from Git until someone syncs; set "
                        f"syncPolicy.automated with prune and selfHeal.", ("syncPolicy",), "warning", ()))
        elif mapping(automated) is not None and automated.get("enabled") is False:
            out.append((f"{ref} disables automated sync (automated.enabled: false); enable it with prune and "
                        f"selfHeal.", ("syncPolicy", "automated", "enabled"), "warning", ()))
        else:
            lacking = [k for k in ("prune", "selfHeal") if (mapping(automated) or {}).get(k) is not True]
            if lacking:
                out.append((f"The automated sync of {ref} lacks {' and '.join(k + ': true' for k in lacking)}, so "
                            f"{'removed objects stay' if 'prune' in lacking else 'manual edits stay'} in the "
                            f"cluster.", ("syncPolicy", "automated"), "warning", ()))
    if sync and "retry" not in sync:
        out.append((f"{ref} has no syncPolicy.retry; a transient failure leaves the sync failed until the next "
                    f"change.", ("syncPolicy",), "note", ()))
    for source in app.sources():
        if source.is_ref_only or _templated(source.revision):
            continue
        if pinned(source.revision) is False:
            out.append((f"{ref} tracks {source.revision or 'the default branch (no targetRevision)'}, so production "
                        f"runs whatever was merged last; pin a tag, version or commit.",
                        source.segments[len(app.spec_path):] + ("targetRevision",), "warning", ()))
    return out


def flux_problems(index, app, opts):
    """Defects of a Flux Kustomization or HelmRelease, in the shape app_problems gives."""
    out, ref = [], app.obj.ref
    if app.spec.get("suspend") is True:
        out.append((f"{ref} is suspended, so Git changes are not applied; remove suspend: true.", ("suspend",),
                    None, ()))
    if app.obj.kind == "Kustomization" and app.spec.get("prune") is not True:
        out.append((f"{ref} does not prune, so objects removed from Git stay in the cluster; set prune: true.",
                    ("prune",), "warning", ()))
    if app.repository is not None and pinned(app.sources()[0].revision) is False:
        out.append((f"GitRepository {app.repository.name} read by {ref} tracks the default branch; pin a tag, "
                    f"semver range or commit.",
                    Elsewhere(app.repository.at("spec", "ref"), f"GitRepository/{app.repository.name}.spec.ref"),
                    "warning",
                    (Related(app.obj.name_at(), f"{ref} reads it"),)))
    return out


def _branches(app):
    return [s.revision for s in app.sources() if not s.is_ref_only and not _templated(s.revision)
            and pinned(s.revision) is None]


@rule(code="CD001", slug="argocd-application", scope="repository", severity="error", confidence="high",
      evidence="A, R", options={"require_automated_sync": True})
def check(index, opts):
    project_settings = index.settings.get("project") or {}
    flux = project_settings.get("gitops_tool") == "flux"
    url = repo_url(index)
    apps = flux_objects(index) if flux else applications(index)
    for unit in deploy_units(index):
        subject = unit.subject()
        matched = [a for a in apps if unit.matches(index, a, url)]
        if not matched:
            elsewhere = [a for a in apps if not NOT_DEPLOYED.search(index.repo.local(a.obj.path))
                         and any(s.repo_url and not s.is_ref_only for s in a.sources())]
            related = tuple(Related(a.at("source", "repoURL") if "source" in a.spec else a.at("sources"),
                                    f"{a.obj.ref} deploys another source") for a in elsewhere[:3])
            if url or not elsewhere:
                tool = "Flux Kustomization or HelmRelease" if flux else "Argo CD Application"
                yield subject.fail(f"No {tool} deploys {unit.display} from this repository; add one (Flux users set "
                                   f"project.gitops_tool: flux).", at=unit.anchor,
                                   key_path=f"{unit.key}.application", related=related)
            else:
                yield subject.not_applicable(EVIDENCE_UNAVAILABLE, "no git remote and no project.repo_url: cannot "
                                             "tell which Applications deploy this repository")
            continue
        judge = flux_problems if flux else app_problems
        failures = [(app, p) for app in matched for p in judge(index, app, opts)]
        for app, (message, where, level, related) in failures:
            if isinstance(where, Elsewhere):
                at, path = where.at, where.key
            else:
                at, path = app.at(*where), f"{app.obj.kind}/{app.obj.name}." + ".".join(map(str, where))
            yield subject.fail(message, at=at, key_path=path, level=level, related=related)
        if failures:
            continue
        branches = [b for app in matched for b in _branches(app)]
        if not url:
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, "no git remote and no project.repo_url: the "
                                         "Application's repoURL cannot be confirmed")
        elif branches:
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"targetRevision {branches[0]} is a branch; its "
                                         f"protection needs a GitHub settings snapshot")
        else:
            yield subject.passed(f"{matched[0].obj.ref} deploys it")
    if not deploy_units(index):
        yield index.repo.subject("CD001", "the repository").not_applicable(
            NOT_RELEVANT, "no chart and no workload to deploy")
