"""License compliance checked.

## What it does
Checks two things: the project declares its own licence (a top-level `LICENSE`, `LICENCE`, `COPYING` or
`COPYRIGHT` file, a REUSE `LICENSES/` folder, or a licence GitHub detects in the settings snapshot), and CI
gates on the licences of its dependencies:
`actions/dependency-review-action` with `allow-licenses`/`deny-licenses` (or a config file), FOSSA,
`license-checker --onlyAllow|--failOn`, `pip-licenses --allow-only|--fail-on`, `go-licenses check`,
`cargo deny check licenses`, ScanCode, licensee, `reuse lint`, the Trivy licence scanner or ORT. Proprietary
code sets `rules.options.COMP006.proprietary: true`.

## Why it matters
Without a licence others cannot legally use the code; an unchecked dependency tree can pull in a licence
(e.g. AGPL) that the organisation cannot comply with.

## How to fix
Add a LICENSE file and a gating licence check on pull requests, e.g. dependency-review-action with
`deny-licenses: AGPL-3.0, GPL-3.0`.

## Example
```yaml fail file=.github/workflows/ci.yml
on: {pull_request: {}}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: go test ./...
```
```text pass file=LICENSE
Apache License, Version 2.0
```
```yaml pass file=.github/workflows/ci.yml
on: {pull_request: {}}
jobs:
  licences:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/dependency-review-action@v4
        with: {deny-licenses: "AGPL-3.0"}
```
"""
from readylint.findings import EVIDENCE_UNAVAILABLE, Location
from readylint.model.ci import gating
from readylint.model.ci_tools import LICENCE, hits, remote_calls, template_hits
from readylint.model.github_snapshot import load_snapshot
from readylint.model.licences import identify, licence_file
from readylint.registry import rule


@rule(code="COMP006", slug="license-compliance", scope="repository", severity="warning", confidence="medium",
      evidence="R, C, S", options={"proprietary": False})
def check(index, opts):
    subject = index.repo.subject("licence-file", "the project licence")
    path = licence_file(index)
    if opts["proprietary"]:
        yield subject.passed("claim: rules.options.COMP006.proprietary (no public licence needed)")
    elif path:
        kind = identify(index.repo.text(path))
        yield subject.passed(f"{path}{f' ({kind})' if kind else ''}")
    elif _snapshot_licence(index):
        yield subject.passed(f"GitHub detects the licence {_snapshot_licence(index)} (settings snapshot)")
    else:
        charts = [c for c in index.repo.glob("**/Chart.yaml") if "artifacthub.io/license" in (index.repo.text(c) or "")]
        note = (f" The artifacthub.io/license annotation in {charts[0]} describes the chart package only."
                if charts else "")
        yield subject.fail("The repository has no licence file (LICENSE, LICENCE, COPYING or a REUSE LICENSES/ "
                           f"folder), so nobody may legally use or redistribute it. Add one.{note}",
                           at=index.repo.anchor(), key_path="licence.file", level="error")
    subject = index.repo.subject("licence-check", "the dependency licence check")
    found = hits(index, LICENCE)
    templates = template_hits(index, LICENCE)
    good = [h for h in found if h.fails and gating(h.step) is None]
    if templates:
        yield subject.passed(f"GitLab template {templates[0][1]}")
    elif good:
        note = (" (note: dependency-review-action only sees dependencies a pull request changes)"
                if "dependency-review" in good[0].tool else "")
        yield subject.passed(f"{good[0].tool} in {good[0].step.job.display}{note}")
    elif found:
        hit = found[0]
        why = hit.why if not hit.fails else gating(hit.step)
        yield subject.fail(f"The licence check {hit.tool} in {hit.step.job.display} does not gate: {why}. Make it "
                           f"fail on disallowed licences on pull requests.", at=hit.step.location,
                           key_path="licence.check")
    elif remote_calls(index):
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"no local step checks dependency licences, but "
                                     f"{remote_calls(index)[0][1]}, which cannot be seen")
    else:
        at = Location(path, 1, 1) if path else index.repo.anchor()
        yield subject.fail("No CI job checks the licences of the dependencies. Add a gating check on pull requests, "
                           "e.g. actions/dependency-review-action with deny-licenses, or go-licenses check.",
                           at=at, key_path="licence.check")


def _snapshot_licence(index) -> str:
    """The SPDX id GitHub reports for the repository, unless null or NOASSERTION."""
    snapshot = load_snapshot(index).snapshot
    repo = snapshot.endpoint("repo") if snapshot else None
    body = repo.body if repo and repo.ok and isinstance(repo.body, dict) else {}
    spdx = (body.get("license") or {}).get("spdx_id") if isinstance(body.get("license"), dict) else None
    return spdx if spdx and spdx != "NOASSERTION" else ""
