"""Security testing completed.

## What it does
Checks one subject per category of security testing in CI: **SAST** (CodeQL, Semgrep, SonarQube/SonarCloud,
Bandit, gosec, Brakeman, GitLab SAST), **SCA** (dependency-review-action, OSV-Scanner, Snyk, pip-audit,
npm audit, govulncheck, OWASP Dependency-Check, Trivy `fs`, GitLab dependency scanning), **secret scanning**
(gitleaks, TruffleHog, GitLab secret detection, or GitHub secret scanning with push protection in the
settings snapshot) and, with `require_dast: true`, **DAST** (OWASP ZAP actions, GitLab DAST). A category
passes when a scan gates: it runs on pull requests (or before a deploy that needs it) and is not
`continue-on-error`. Without a snapshot, missing SAST and secret scanning are "unknown" (CodeQL default
setup and GitHub secret scanning live in the settings). Chart-only repositories need a configuration scan
(Checkov, kube-linter, Kubescape, Trivy config) instead of SAST and SCA. Dependabot or Renovate configuration
is mentioned but never counts as a scan. Image scanning is SEC006's.

## Why it matters
Vulnerable code, vulnerable dependencies and leaked credentials are the commonest ways services are
compromised; scans that only run weekly or never block a merge find them after release.

## How to fix
Add the missing scanner to the pull-request workflow, e.g. `github/codeql-action` (SAST),
`actions/dependency-review-action` (SCA) and `gitleaks/gitleaks-action` (secrets), and do not mark the
steps `continue-on-error`.

## Example
```yaml fail file=.github/workflows/ci.yml
on: {pull_request: {}}
jobs:
  deps:
    runs-on: ubuntu-latest
    steps:
      - run: go test ./...
```
```yaml pass file=.github/workflows/ci.yml
on: {pull_request: {}}
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: github/codeql-action/init@v3
      - uses: github/codeql-action/analyze@v3
      - uses: actions/dependency-review-action@v4
      - uses: gitleaks/gitleaks-action@v2
```
"""
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT
from readylint.model.ci import builds_code, ci_anchor, gating
from readylint.model.ci_tools import CONFIG_SCAN, DAST, SAST, SCA, SECRETS, hits, remote_calls, template_hits
from readylint.model.github_snapshot import load_snapshot
from readylint.registry import rule

CATEGORIES = ((SAST, "sast", "static analysis (SAST)", "github/codeql-action or Semgrep"),
              (SCA, "sca", "dependency scanning (SCA)", "actions/dependency-review-action or OSV-Scanner"),
              (SECRETS, "secrets", "secret scanning", "gitleaks/gitleaks-action or TruffleHog"),
              (DAST, "dast", "dynamic scanning (DAST)", "zaproxy/action-baseline"))


@rule(code="TEST005", slug="security-testing", scope="repository", severity="error", confidence="medium",
      evidence="C, S", options={"require_dast": False})
def check(index, opts):
    chart_only = not builds_code(index) and bool(index.repo.glob("**/Chart.yaml"))
    snapshot = load_snapshot(index).snapshot
    if chart_only:
        yield from _config_scan(index, index.repo.subject("security-testing/config", "configuration scanning"))
    for category, key, label, example in CATEGORIES:
        subject = index.repo.subject(f"security-testing/{key}", label)
        if category == DAST and not opts["require_dast"]:
            yield subject.not_applicable(NOT_RELEVANT, "DAST is required only with rules.options.TEST005."
                                         "require_dast: true")
            continue
        if chart_only and category in (SAST, SCA):
            yield subject.not_applicable(NOT_RELEVANT, "chart-only repository: a configuration scan is required "
                                         "instead")
            continue
        found = hits(index, category)
        templates = template_hits(index, category)
        if templates:
            yield subject.passed(f"GitLab template {templates[0][1]}")
            continue
        good = [h for h in found if h.fails and gating(h.step) is None]
        if good:
            yield subject.passed(f"{good[0].tool} in {good[0].step.job.display}")
            continue
        if found:
            hit = found[0]
            why = hit.why if not hit.fails else gating(hit.step)
            scheduled = "only on a schedule" in (why or "")
            yield subject.fail(f"The {label} step {hit.tool} in {hit.step.job.display} does not gate: {why}. Run it "
                               f"on pull requests and let findings fail the job.", at=hit.step.location,
                               key_path=f"security.{key}", level="warning" if scheduled else None)
            continue
        settings = _from_settings(snapshot, category)
        if settings is True:
            yield subject.passed(f"{label} is enabled in the GitHub settings snapshot")
            continue
        remote = remote_calls(index)
        if remote:
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"no local step runs {label}, but {remote[0][1]}, "
                                         "which cannot be seen")
            continue
        if category in (SAST, SECRETS) and settings is None:
            where = "CodeQL default setup" if category == SAST else "GitHub secret scanning"
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"no workflow runs {label}; {where} may be enabled "
                                         f"in the repository settings, which no snapshot records")
            continue
        bots = index.repo.glob(".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", "renovate.json5",
                               ".github/renovate.json", ".renovaterc", ".renovaterc.json")
        note = (f" ({bots[0]} keeps dependencies updated but does not block a vulnerable one.)"
                if bots and category == SCA else "")
        yield subject.fail(f"No CI job runs {label}. Add a gating scan on pull requests (e.g. {example}).{note}",
                           at=ci_anchor(index), key_path=f"security.{key}")


def _config_scan(index, subject):
    scans = [h for h in hits(index, CONFIG_SCAN) if gating(h.step) is None]
    if scans:
        yield subject.passed(f"chart-only repository: {scans[0].tool} scans the configuration")
    else:
        yield subject.fail("This chart-only repository has no gating configuration scan, which replaces SAST and "
                           "dependency scanning for charts. Add Checkov, kube-linter, Kubescape or `trivy config` to "
                           "the pull-request workflow.", at=ci_anchor(index), key_path="security.config")


def _from_settings(snapshot, category):
    """True when the snapshot shows the category enabled, False when it shows it off, None when unknown."""
    if snapshot is None or category not in (SAST, SECRETS):
        return None
    if category == SAST:
        setup = snapshot.endpoint("code_scanning_default_setup")
        if setup is None or not setup.ok or not isinstance(setup.body, dict):
            return None
        return setup.body.get("state") == "configured"
    repo = snapshot.endpoint("repo")
    security = repo.body.get("security_and_analysis") if repo and repo.ok and isinstance(repo.body, dict) else None
    if not isinstance(security, dict):
        return None
    def enabled(name):
        return (security.get(name) or {}).get("status") == "enabled"
    return enabled("secret_scanning") and enabled("secret_scanning_push_protection")
