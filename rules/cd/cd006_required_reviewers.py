"""Required reviewers configured.

## What it does
From the GitHub settings snapshot, checks that merges into the default branch (and the `github.branches`
globs, and the branches named with `--branch` when the snapshot was taken) need at least `min_approvals`
approvals (classic protection or ruleset `pull_request`, the strictest wins), that stale approvals are dismissed
and the last push must be approved (`warning`), and that every production environment requires reviewers who
cannot approve their own deployment (`note`). Production environments are those named `prod…`/`production` and
those a GitHub Actions job with `environment:` deploys to on pushes to the default branch (literal names only;
`github-pages` and names such as `staging`, `dev`, `test`, `preview` are left out); one that CI names but GitHub
has not recorded yet gets no protection rules when it is created. When the token could not read the
environments, this part is unknown and the report names the missing permission (Actions: read). When code-owner
review is required, a CODEOWNERS file must exist in `.github/`, the root or `docs/`. Whenever CODEOWNERS
exists it is parsed: syntax errors (and the errors GitHub reported, when the snapshot holds them) and paths
without an owner (every chart, the manifests, `.github/workflows/` and CODEOWNERS itself, the last matching
pattern winning) are findings, even without a snapshot. Not relevant when `project.solo_maintainer` is true.

## Why it matters
Without a required review one person can merge and ship any change alone; without code owners the review
may come from someone who does not know the chart, the workflows or the production settings.

## How to fix
Require pull-request approvals (2 for Scorecard tier 4) with stale-approval dismissal and last-push approval,
require code-owner review, and give every chart, manifest folder and workflow an owner in
`.github/CODEOWNERS` (teams rather than single people). Protect the production environment with required
reviewers and "prevent self-review". Then write a fresh snapshot with `readylint snapshot github OWNER/REPO`.

## Example
```text fail file=.github/CODEOWNERS
/docs/ @acme/writers
```
```yaml fail file=.github/workflows/ci.yaml
on: push
```
```text pass file=.github/CODEOWNERS
* @acme/platform
```
```yaml pass file=.github/workflows/ci.yaml
on: push
```
"""
import fnmatch
import re

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location, Related, Subject
from readylint.inputs.yaml_docs import YMap
from readylint.model import codeowners as co
from readylint.model.ci import all_jobs
from readylint.model.github_settings import KEY_PATHS, branch_subject, branches_to_judge, environments_unreadable
from readylint.model.github_settings import missing_branch, production_environments, protection_of
from readylint.registry import rule

REVIEW_ITEMS = (
    ("stale_reviews_dismissed", "keeps approvals after new commits are pushed",
     "Dismiss stale approvals when new commits are pushed (`dismiss_stale_reviews` / "
     "`dismiss_stale_reviews_on_push`)."),
    ("last_push_approval", "lets the author of the last push approve it",
     "Require approval of the most recent push (`require_last_push_approval`)."),
)


@rule(code="CD006", slug="required-reviewers", scope="repository", severity="error", confidence="high",
      evidence="S, R", options={"min_approvals": 1})
def check(index, opts):
    project = index.settings.get("project") or {}
    if project.get("solo_maintainer") is True:
        yield index.repo.subject("github/reviewers", "the repository").not_applicable(
            NOT_RELEVANT, "project.solo_maintainer: true (nobody else can review)")
        return
    evidence = index.github_settings
    snapshot = evidence.snapshot
    owners_path = co.find(index.root)
    if snapshot is None:
        yield index.repo.subject("github/reviewers", "the repository's review settings").not_applicable(
            EVIDENCE_UNAVAILABLE, evidence.unavailable)
    else:
        config = index.settings.get("config")
        globs = config.section("github").get("branches", []) if config is not None else []
        for branch in branches_to_judge(snapshot, globs):
            if missing_branch(snapshot, branch):
                yield branch_subject(snapshot, branch).not_applicable(NOT_RELEVANT, missing_branch(snapshot, branch))
                continue
            yield from _branch(snapshot, branch, int(opts["min_approvals"]), owners_path)
        yield from _environments(index, snapshot)
    if owners_path is not None:
        yield from _codeowners(index, owners_path, snapshot)


def _branch(snapshot, branch, minimum, owners_path):
    protection = protection_of(snapshot, branch)
    subject = branch_subject(snapshot, branch)
    who = f"Branch {branch} of {snapshot.repo}"
    failures, unknown = [], []
    approvals = protection.settings["approvals"]
    met = approvals.at_least(minimum) if minimum > 0 else True
    if met is False:
        needs = (f"needs only {approvals.value} approving review{'' if approvals.value == 1 else 's'} to merge"
                 if approvals.value else "merges without any approving review")
        failures.append((f"{who} {needs}, below the required {minimum} "
                         f"({protection.describe(approvals.pointer)}). Require at least {minimum} approval"
                         f"{'' if minimum == 1 else 's'} in the branch protection or the ruleset's pull_request rule.",
                         approvals.pointer, "approvals", None))
    elif met is None:
        unknown.append(("approvals", approvals.source))
    code_owner = protection.settings["code_owner_review"]
    if code_owner.state is True and owners_path is None:
        failures.append((f"{who} requires code-owner review but the repository has no CODEOWNERS file in .github/, "
                         f"the root or docs/ ({protection.describe(code_owner.pointer)}), so no review can "
                         f"satisfy it. Add .github/CODEOWNERS that owns at least the charts, the manifests and "
                         f".github/workflows/.", code_owner.pointer, "code_owner_review", None))
    for name, missing, fix in REVIEW_ITEMS if (approvals.value or 0) > 0 or met is None else ():
        setting = protection.settings[name]
        if setting.state is False:
            failures.append((f"{who} {missing} ({protection.describe(setting.pointer)}). {fix}",
                             setting.pointer, name, "warning"))
        elif setting.state is None:
            unknown.append((name, setting.source))
    for message, pointer, name, level in failures:
        yield subject.fail(message, at=snapshot.at(*pointer), key_path=KEY_PATHS[name], level=level)
    if failures:
        return
    if unknown:
        items = ", ".join(dict.fromkeys(name.replace("_", " ") for name, _ in unknown))
        sources = "; ".join(sorted({source for _, source in unknown}))
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{who}: {items} could not be read from the snapshot "
                                                           f"(missing: {sources})")
        return
    yield subject.passed(f"{approvals.value} approving review{'' if approvals.value == 1 else 's'} required")


def _environments(index, snapshot):
    """Production environments: required reviewers who cannot approve their own deployment (note)."""
    unreadable = environments_unreadable(snapshot)
    if unreadable:
        yield Subject(key=f"github:{snapshot.repo}/environments", display=f"the environments of {snapshot.repo}",
                      fqn=f"github:repos/{snapshot.repo}/environments",
                      location=snapshot.at("endpoints", "environments")).not_applicable(
            EVIDENCE_UNAVAILABLE, f"environment reviewers of {snapshot.repo} are unknown: {unreadable}")
        return
    for target in production_environments(snapshot, deploy_jobs(index, snapshot.default_branch)):
        name, i, env = target.name, target.position, target.body
        subject = Subject(key=f"github:{snapshot.repo}/environments/{name}",
                          display=f"environment {name} of {snapshot.repo}",
                          fqn=f"github:repos/{snapshot.repo}/environments/{name}",
                          location=snapshot.at("endpoints", "environments", "body", "environments", i)
                          if i is not None else _environment_at(index, target.jobs[0]))
        related = tuple(Related(_environment_at(index, job), f"The {job.display} deploys to {name} on pushes to "
                                                             f"{snapshot.default_branch}.") for job in target.jobs)
        used = (f" (the {target.jobs[0].display} deploys to it on pushes to {snapshot.default_branch})"
                if target.jobs else "")
        if env is None:
            yield subject.fail(
                f"Environment {name}, which the {target.jobs[0].display} deploys to on pushes to "
                f"{snapshot.default_branch}, is not among the environments recorded for {snapshot.repo}: GitHub "
                f"creates it on the job's first run with no protection rules, so deployments need no approval. "
                f"Create it with a required-reviewers protection rule and \"prevent self-review\", then take the "
                f"snapshot again.", at=subject.location, key_path=f"/environments/{name}", level="note",
                related=related[1:] + (Related(snapshot.at("endpoints", "environments", "body", "environments"),
                                               "The environments recorded in the snapshot."),))
            continue
        pointer = ("endpoints", "environments", "body", "environments", i)
        rules = [(j, r) for j, r in enumerate(env.get("protection_rules") or ())
                 if isinstance(r, dict) and r.get("type") == "required_reviewers"]
        where = f"GET /repos/{snapshot.repo}/environments #/environments/{i}"
        if not rules:
            yield subject.fail(
                f"Environment {name} of {snapshot.repo}{used} has no required reviewers, so any workflow run can "
                f"deploy to it unapproved ({where}/protection_rules). Add a required-reviewers protection rule with "
                f"\"prevent self-review\".", at=snapshot.at(*pointer, "protection_rules"),
                key_path=f"/environments/{name}/protection_rules", level="note", related=related)
        elif not any(r.get("prevent_self_review") is True for _, r in rules):
            j = rules[0][0]
            yield subject.fail(
                f"Environment {name} of {snapshot.repo}{used} lets the person who triggered a deployment approve "
                f"it ({where}/protection_rules/{j}/prevent_self_review). Turn on \"prevent self-review\".",
                at=snapshot.at(*pointer, "protection_rules", j), key_path=f"/environments/{name}/prevent_self_review",
                level="note", related=related)
        else:
            yield subject.passed("required reviewers with prevent_self_review")


# Environment names that say "not production" (one word of the name); github-pages publishes documentation.
NON_PRODUCTION = frozenset({"dev", "develop", "development", "test", "tests", "testing", "qa", "stage", "staging",
                            "stg", "preview", "review", "sandbox", "uat", "ci", "pr", "demo", "integration",
                            "nonprod", "non"})


def deploy_jobs(index, branch) -> dict:
    """Environment name -> the GitHub Actions jobs that deploy to it on pushes to ``branch`` (rules.md CD006:
    "the deploy environment"). Expression names (`${{ … }}`) cannot be resolved offline and are left out."""
    found: dict = {}
    for job in all_jobs(index):
        name = job.environment.strip()
        if job.pipeline.kind != "github" or not name or "${{" in name or not _pushes_to(index, job, branch):
            continue
        words = [w.rstrip("0123456789") for w in re.split(r"[-_ ./]+", name.lower())]
        if name.lower() == "github-pages" or any(w in NON_PRODUCTION for w in words):
            continue
        key = next((k for k in found if k.lower() == name.lower()), name)
        found.setdefault(key, []).append(job)
    return found


def _on(index, path):
    docs = index.documents.get(path) or []
    data = docs[0].data if docs else None
    return data.get("on", data.get(True)) if isinstance(data, YMap) else None


def _pushes_to(index, job, branch) -> bool:
    """The job runs on pushes to ``branch``: its events (after `if:`) include push, and the workflow's own
    `on.push.branches` filter, when it has one, matches the branch (tag-only pushes are releases)."""
    if "push" not in job.events:
        return False
    on = _on(index, job.pipeline.path)
    push = on.get("push") if isinstance(on, YMap) else None
    if not isinstance(push, YMap):  # `on: push`, or push inherited through workflow_run
        return True
    def matches(globs):
        globs = globs if isinstance(globs, list) else [globs]
        return any(fnmatch.fnmatchcase(branch, str(g)) for g in globs if not str(g).startswith("!"))

    if push.get("branches") is not None:
        return matches(push["branches"])
    if push.get("branches-ignore") is not None:
        return not matches(push["branches-ignore"])
    return push.get("tags") is None


def _environment_at(index, job) -> Location:
    """The job's `environment:` line (the job key line when it comes from a called workflow)."""
    docs = index.documents.get(job.pipeline.path) or []
    data = docs[0].data if docs else None
    jobs = data.get("jobs") if isinstance(data, YMap) else None
    body = jobs.get(job.key) if isinstance(jobs, YMap) else None
    if isinstance(body, YMap) and "environment" in body.kpos:
        line, col, end = body.kpos["environment"]
        return Location(job.pipeline.path, line, col, end)
    return job.location


def _codeowners(index, path, snapshot):
    """Syntax, GitHub-reported errors and ownership of the paths that ship to production."""
    subject = Subject(key=f"file:{path}", display=path, location=Location(path, 1, 1))
    text = index.repo.text(path)
    if text is None:
        return
    owners = co.parse(text, path)
    found = False
    for line, col, message in owners.errors:
        found = True
        yield subject.fail(f"{path} line {line} is invalid: {message}; GitHub ignores the line, so its paths lose "
                           f"their owners. Fix or remove it.", at=Location(path, line, col), key_path=f"line-{line}")
    for line, col, message in _github_errors(snapshot, path):
        found = True
        yield subject.fail(f"GitHub reports an error in {path} line {line}: {message}. Fix the line; GitHub "
                           f"ignores it.", at=Location(path, line, col), key_path=f"github-line-{line}")
    for area, paths, entry in _unowned(index, owners, path):
        found = True
        example = paths[0] + (f" and {len(paths) - 1} more file{'s' if len(paths) > 2 else ''}"
                              if len(paths) > 1 else "")
        reason = (f"its last matching pattern '{entry.pattern}' (line {entry.line}) lists no owner"
                  if entry else "no pattern matches")
        what = "itself" if area == path else f"{area} ({example})"
        yield subject.fail(f"{path} gives no owner to {what}: {reason}. Add a line such as "
                           f"`{_suggest(area, paths)} @org/team` after the others (the last matching pattern wins).",
                           at=Location(path, entry.line if entry else 1, 1), key_path=f"unowned:{area}")
    everyone = owners.all_owners
    if everyone and not any("/" in o for o in everyone) and len(everyone) < 2:
        found = True
        yield subject.fail(f"{path} names a single individual ({', '.join(sorted(everyone))}) as the only owner: "
                           f"reviews stop when that person is away. Prefer a team (@org/team) or add a second "
                           f"owner.", at=Location(path, owners.entries[0].line, 1), key_path="bus-factor",
                           level="note")
    if not found:
        yield subject.passed("valid, and every chart, manifest, workflow and CODEOWNERS itself has an owner")


def _github_errors(snapshot, path):
    if snapshot is None:
        return
    entry = snapshot.endpoint("codeowners_errors")
    if entry is None or not entry.ok or not isinstance(entry.body, dict):
        return
    for error in entry.body.get("errors") or ():
        if isinstance(error, dict) and error.get("path", path) == path:
            text = str(error.get("kind") or "error")
            if error.get("source"):
                text += f" in '{str(error['source']).strip()}'"
            yield int(error.get("line") or 1), int(error.get("column") or 1), text


def _unowned(index, owners, path):
    """(area, unowned files, the entry that un-owned them) for each protected area with gaps."""
    areas = {}
    for chart in sorted({p.rsplit("/", 1)[0] if "/" in p else "." for p in index.repo.glob("**/Chart.yaml")}):
        prefix = "" if chart == "." else chart + "/"
        areas[f"the chart {chart}"] = [p for p in index.files if p.startswith(prefix)] if prefix else [
            p for p in index.files if p in ("Chart.yaml", "values.yaml") or p.startswith("templates/")]
    manifests = sorted({o.path for o in index.all_objects if not o.path.startswith("<")})
    if manifests:
        areas["the manifests"] = manifests
    workflows = index.repo.glob(".github/workflows/*.yml", ".github/workflows/*.yaml")
    if workflows:
        areas[".github/workflows/"] = workflows
    areas[path] = [path]
    for area, paths in areas.items():
        gaps = [p for p in paths if not owners.owners_of(p)]
        if gaps:
            yield area, gaps, owners.owner_entry(gaps[0])


def _suggest(area, paths):
    if area.startswith("the chart "):
        return "/" + area[len("the chart "):].strip("./") + "/" if area != "the chart ." else "/templates/"
    if area == ".github/workflows/":
        return "/.github/workflows/"
    if area == "the manifests":
        folder = paths[0].rsplit("/", 1)[0] if "/" in paths[0] else paths[0]
        return "/" + folder + ("/" if "/" in paths[0] else "")
    return "/" + paths[0]
