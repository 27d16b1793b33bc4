"""Container image scanning enabled.

## What it does
Finds every CI step that builds and pushes a container image (`docker/build-push-action` with `push`,
`docker push`, `--push`, kaniko, buildah, ko, jib, skaffold; images built only to be tested are not subjects;
a step in a reusable workflow is one subject however many jobs call it) and checks that a gating image scan
runs in the same job, in a job it `needs:`, or in a later job that a deploy job waits for:
`aquasecurity/trivy-action` with `image-ref` (and `exit-code: 1`), `anchore/scan-action` with `image`,
`snyk/actions/docker`, `docker/scout-action` `cves` with `exit-code`, `trivy image --exit-code 1`, `grype --fail-on`, or GitLab container scanning. Local
reusable workflows and composite actions are followed; builds or scans hidden in remote reusable workflows
are "unknown".

## Why it matters
An image that reaches the registry unscanned can ship known-exploitable packages to production. A scan that
only uploads SARIF, or runs on a weekly schedule against `:latest`, reports problems after they are deployed.

## How to fix
Scan the built image before it is pushed or deployed and make the step fail on findings, e.g. Trivy with
`image-ref`, `exit-code: '1'` and `severity: CRITICAL,HIGH`; keep a separate SARIF upload step if you want
code-scanning alerts.

## Example
```yaml fail file=.github/workflows/image.yml
on: {push: {branches: [main]}, pull_request: {}}
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with: {push: true, tags: "ghcr.io/acme/api:${{ github.sha }}"}
```
```yaml pass file=.github/workflows/image.yml
on: {push: {branches: [main]}, pull_request: {}}
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with: {load: true, tags: "ghcr.io/acme/api:${{ github.sha }}"}
      - uses: aquasecurity/trivy-action@0.28.0
        with: {image-ref: "ghcr.io/acme/api:${{ github.sha }}", exit-code: "1", severity: "CRITICAL,HIGH"}
      - run: docker push ghcr.io/acme/api:${{ github.sha }}
```
"""
import re

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Related
from readylint.model.ci import dockerfiles, gating, has_ci, pipelines
from readylint.model.ci_tools import (FS_SCAN, IMAGE_BUILD, IMAGE_SCAN, KNOWN_REMOTE, hits, image_names, pushes,
                                      template_hits)
from readylint.registry import rule

NOT_SCANNERS = KNOWN_REMOTE


@rule(code="SEC006", slug="image-scanning", scope="repository", severity="error", confidence="medium",
      evidence="C")
def check(index, opts):
    built = hits(index, IMAGE_BUILD)
    builds = _unique([h for h in built if pushes(h)])
    if not builds:
        yield from _no_builds(index, built)
        return
    scans = hits(index, IMAGE_SCAN)
    context = (scans, template_hits(index, IMAGE_SCAN), _weaker_evidence(index))
    groups: dict = {}
    for build in builds:  # a reusable workflow's build step reached from several jobs is one subject
        groups.setdefault(build.step.location, []).append(build)
    for location, group in groups.items():
        verdicts = [(build, _judge(index, build, *context)) for build in group]
        names = image_names(group[0])
        callers = [b.step.job for b in group]
        shown = f"{names[0]} " if names else ""
        subject = index.repo.subject(f"image/{names[0]}" if names else f"image-build/{location.path}:{location.line}",
                                     f"image {names[0]}" if names else f"the image built at {location.path}:"
                                                                        f"{location.line}")
        failed = [(b, v) for b, v in verdicts if v[0] == "fail"]
        unknown = [(b, v) for b, v in verdicts if v[0] == "unknown"]
        if failed:
            build, (_, message, at, key) = failed[0]
            shown_jobs = failed if len(failed) <= 3 else failed[:2]  # every caller is a related location
            jobs = ", ".join(b.step.job.display for b, _ in shown_jobs)
            jobs += f" and {len(failed) - 2} more jobs" if len(failed) > 3 else ""
            related = [Related(b.step.job.location, f"{b.step.job.display} pushes the image through this step.")
                       for b, _ in failed if b.step.job.location != at]
            yield subject.fail(message.format(what=f"{shown}pushed by {jobs}"), at=at, key_path=key,
                               related=related[:10])
        elif unknown:
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, unknown[0][1][1])
        else:
            yield subject.passed(verdicts[0][1][1] + (f" (pushed by {len(callers)} jobs)" if len(callers) > 1 else ""))


def _judge(index, build, scans, gitlab_templates, weaker):
    """("pass", why) | ("unknown", why) | ("fail", message template with {what}, Location, key path)."""
    step, job = build.step, build.step.job
    if job.pipeline.kind == "gitlab" and gitlab_templates:
        return "pass", f"GitLab container scanning ({gitlab_templates[0][1]}) scans the pipeline's images"
    reachable = _reachable_scans(build, scans)
    good = [scan for scan, why in reachable if why is None]
    if good:
        return "pass", f"{good[0].tool} at {good[0].step.location.path}:{good[0].step.location.line} gates it"
    opaque = _opaque_jobs(job)
    if opaque and not reachable:
        return "unknown", (f"{job.display} is part of a pipeline that calls {opaque[0].uses}; a scan there "
                           "cannot be seen")
    if weaker:
        return "pass", weaker
    if reachable:
        scan, why = reachable[0]
        return ("fail", f"The {scan.tool} scan in {scan.step.job.display} does not gate the image {{what}}: {why}. "
                        f"Make the scan fail the job on findings before the image is pushed or deployed.",
                scan.step.location, f"{job.key}.scan")
    elsewhere = [s for s in scans if s.step.job.pipeline is not job.pipeline]
    fs_only = [s for s in hits(index, FS_SCAN) if s.step.job.pipeline is job.pipeline]
    if elsewhere:
        why = (f" The scan in {elsewhere[0].step.job.display} does not run before this push"
               f"{' (it runs only on a schedule)' if _scheduled_only(elsewhere[0]) else ''}.")
    elif fs_only:
        why = f" {fs_only[0].tool} scans files and dependencies, not the built image."
    else:
        why = ""
    return ("fail", f"The image {{what}} ({build.tool}) is not scanned for vulnerabilities before it is pushed or "
                    f"deployed.{why} Add a gating image scan (e.g. Trivy with image-ref and exit-code: 1) to the job "
                    f"or to a job it needs.", step.location, f"{job.key}.build")


def _unique(build_hits):
    """One entry per build step and calling job (a reusable workflow's step reached from two jobs counts twice)."""
    seen, out = set(), []
    for hit in build_hits:
        if hit.step.job.pipeline.callable:
            continue
        key = (hit.step.location, hit.step.job.key, hit.step.job.pipeline.path)
        if key not in seen and not any(h.step.job is hit.step.job for h in out):
            seen.add(key)
            out.append(hit)
    return out


def _reachable_scans(build, scans):
    """(scan hit, why it does not gate or None) for scans that can stop this build's push or deploy."""
    job = build.step.job
    pipeline = job.pipeline
    ancestors = pipeline.ancestors(job)
    found = []
    for scan in scans:
        other = scan.step.job
        if other.pipeline is not pipeline:
            continue
        if other is job or other in ancestors:
            why = _why_not_gating(scan, same_job=True)
        elif other in pipeline.descendants(job) and any(
                d.environment or "deploy" in d.key.lower() for d in pipeline.descendants(other)):
            why = _why_not_gating(scan, same_job=True)
        else:
            continue
        found.append((scan, why))
    found.sort(key=lambda item: item[1] is not None)
    return found


def _why_not_gating(scan, same_job):
    if not scan.fails:
        return scan.why
    reason = gating(scan.step)
    if reason and same_job and reason.startswith("it does not run on pull requests"):
        return None  # it still stops the push or deploy that follows it
    return reason


def _scheduled_only(scan):
    return scan.step.job.events <= {"schedule", "workflow_dispatch"}


def _opaque_jobs(job):
    pipeline = job.pipeline
    near = set(map(id, pipeline.ancestors(job) + pipeline.descendants(job) + [job]))
    return [j for j in pipeline.jobs if j.remote and id(j) in near
            and not any(j.uses.lower().startswith(name) for name in NOT_SCANNERS)]


def _no_builds(index, built):
    subject = index.repo.subject("image-build", "the repository's images")
    if built:
        yield subject.not_applicable(NOT_RELEVANT, f"CI builds images (e.g. {built[0].step.job.display}) only to test "
                                     "them; no CI step pushes one")
        return
    remote = [j for p in pipelines(index) for j in p.jobs
              if j.remote and not any(j.uses.lower().startswith(n) for n in NOT_SCANNERS)]
    if remote:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"no local CI step builds an image, but "
                                     f"{remote[0].display} calls {remote[0].uses}, which may build and scan one")
    elif dockerfiles(index) and has_ci(index):
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{dockerfiles(index)[0]} exists but no CI step builds "
                                     "it, so where the image is built and scanned cannot be seen")
    else:
        yield subject.not_applicable(NOT_RELEVANT, "the repository builds no container images (scanning the "
                                     "third-party images it deploys is still recommended)")


def _weaker_evidence(index):
    """Registry scan-on-push or an enforced Kyverno vulnerability attestation: a pass with a note."""
    for path in index.repo.glob("**/*.tf"):
        text = index.repo.text(path) or ""
        if re.search(r"scan_on_push\s*=\s*true", text):
            return f"registry scan-on-push is configured in {path} (weaker evidence: it does not block the push)"
    for policy in index.of_kind("ClusterPolicy", "Policy"):
        spec = policy.spec
        action = str(spec.get("validationFailureAction") or "")
        rules = str(spec.get("rules"))
        if "vuln" in rules and "verifyImages" in rules and action.lower() == "enforce":
            return f"{policy.ref} enforces a vulnerability attestation on images (weaker evidence)"
    return ""

