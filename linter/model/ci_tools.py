"""Recognisers: what a CI step does (scan, test, build, deploy…), from real-world action names and commands.

One table per category keeps the knowledge in one place: SEC006, CD004, TEST001-TEST006 and COMP006
ask ``hits(index, category)`` instead of matching strings themselves. Each hit also says whether the
tool is configured to fail on findings (``fails``: True, False, or None when the tool fails by
default), because a scan that only reports does not gate (rules.md 0.10).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import lazy_re
from .ci import Step, all_steps

IMAGE_SCAN, FS_SCAN, SAST, SCA, SECRETS, DAST, LICENCE = ("image-scan", "fs-scan", "sast", "sca", "secrets",
                                                          "dast", "licence")
UNIT, INTEGRATION, E2E, CHAOS, LOAD = "unit", "integration", "e2e", "chaos", "load"
LINT, BUILD, IMAGE_BUILD, DEPLOY, CONFIG_SCAN = "lint", "build", "image-build", "deploy", "config-scan"
COVERAGE_UPLOAD = "coverage-upload"  # to a service (Codecov, Coveralls) whose thresholds may live outside the repo


@dataclass(frozen=True)
class Hit:
    step: Step
    category: str
    tool: str
    fails: bool = True  # the tool, as configured, exits non-zero on findings
    why: str = ""  # when ``fails`` is False: what is missing


def _cmd(pattern: str):
    """A command at the start of a shell line or after a pipe, `&&`, `;`, `sudo`, `run` or `exec`."""
    prefix = r"(?:^\s*|[;&|(]\s*|\s(?:sudo|exec|run|xargs|then|do)\s+)(?:[\w.~$/-]*/)?"
    return lazy_re.compile(prefix + pattern, re.MULTILINE | re.IGNORECASE)


# `make [-C dir] [VAR=value] [other targets] <target>`, and the task runners that name targets the same way.
_MAKE = r"make(?:[ \t]+(?:-[Cf][ \t]*\S+|-[-\w=]+|\w+=\S+|[\w.-]+(?=[ \t])))*?[ \t]+"
_END = r"(?=[ \t;&|)]|$)"  # a make target ends where the word ends (`IMAGE_TAG=x` is a variable, not a target)
_RUNNER = r"(?:" + _MAKE + r"|(?:task|npm[ \t]+run|yarn|pnpm(?:[ \t]+run)?)[ \t]+)"


# (category, tool, action prefix) for well-known actions; the judge function reads their inputs.
def _trivy(step):
    scan_type = step.input("scan-type").lower() or ("image" if step.input("image-ref") else "fs")
    if "license" in step.input("scanners").lower():
        yield LICENCE, "Trivy licence scanner", _fails_exit_code(step.input("exit-code"))
    if scan_type == "image" or step.input("image-ref"):
        yield IMAGE_SCAN, "aquasecurity/trivy-action", _fails_exit_code(step.input("exit-code"))
    elif scan_type in ("fs", "repo", "rootfs"):
        yield FS_SCAN, "aquasecurity/trivy-action (scan-type: fs)", _fails_exit_code(step.input("exit-code"))
        yield SCA, "aquasecurity/trivy-action (scan-type: fs)", _fails_exit_code(step.input("exit-code"))
    elif scan_type == "config":
        yield CONFIG_SCAN, "aquasecurity/trivy-action (scan-type: config)", (True, "")


def _fails_exit_code(value):
    if value and value.strip("'\"") not in ("0", ""):
        return True, ""
    return False, "exit-code is not set to 1, so findings do not fail the step"


def _anchore(step):
    if step.input("image"):
        fail = step.input("fail-build").lower()
        ok = fail not in ("false",)
        yield IMAGE_SCAN, "anchore/scan-action", (ok, "" if ok else "fail-build is false")
    elif step.input("path") or step.input("sbom"):
        yield SCA, "anchore/scan-action (path)", (step.input("fail-build").lower() != "false", "fail-build is false")


def _scout(step):
    commands = step.input("command").lower()
    if "cves" in commands:
        ok = step.input("exit-code").lower() in ("true", "1")
        yield IMAGE_SCAN, "docker/scout-action", (ok, "" if ok else "exit-code is not true")


def _snyk(step):
    if step.action.endswith("/docker"):
        yield IMAGE_SCAN, "snyk/actions/docker", (True, "")
    else:
        yield SCA, step.action, (True, "")
        if "code test" in step.input("command"):
            yield SAST, "snyk code", (True, "")


def _dependency_review(step):
    yield SCA, "actions/dependency-review-action", (True, "")
    if any(step.input(k) for k in ("allow-licenses", "deny-licenses", "config-file")):
        yield LICENCE, "actions/dependency-review-action", (True, "")


def _simple(category, tool=None):
    def judge(step):
        yield category, tool or step.action, (True, "")
    return judge


ACTIONS = (
    ("aquasecurity/trivy-action", _trivy),
    ("anchore/scan-action", _anchore),
    ("docker/scout-action", _scout),
    ("snyk/actions", _snyk),
    ("github/codeql-action/analyze", _simple(SAST, "CodeQL")),
    ("returntocorp/semgrep-action", _simple(SAST, "Semgrep")),
    ("semgrep/semgrep-action", _simple(SAST, "Semgrep")),
    ("sonarsource/sonarcloud-github-action", _simple(SAST, "SonarCloud")),
    ("sonarsource/sonarqube-scan-action", _simple(SAST, "SonarQube")),
    ("securego/gosec", _simple(SAST, "gosec")),
    ("actions/dependency-review-action", _dependency_review),
    ("google/osv-scanner-action", _simple(SCA, "OSV-Scanner")),
    ("golang/govulncheck-action", _simple(SCA, "govulncheck")),
    ("dependency-check/dependency-check_action", _simple(SCA, "OWASP Dependency-Check")),
    ("gitleaks/gitleaks-action", _simple(SECRETS, "gitleaks")),
    ("trufflesecurity/trufflehog", _simple(SECRETS, "TruffleHog")),
    ("zaproxy/action-", _simple(DAST, "OWASP ZAP")),
    ("fossas/fossa-action", _simple(LICENCE, "FOSSA")),
    ("fsfe/reuse-action", _simple(LICENCE, "reuse lint")),
    ("embarkstudios/cargo-deny-action", _simple(LICENCE, "cargo deny")),
    ("oss-review-toolkit/ort-ci-github-action", _simple(LICENCE, "ORT")),
    ("grafana/run-k6-action", _simple(LOAD, "k6")),
    ("grafana/k6-action", _simple(LOAD, "k6")),
    ("cypress-io/github-action", _simple(E2E, "Cypress")),
    ("helm/chart-testing-action", None),  # installs `ct`; the `ct install` run step is the test
    ("docker/build-push-action", None),  # judged below: build, push
    ("bridgecrewio/checkov-action", _simple(CONFIG_SCAN, "Checkov")),
    ("stackrox/kube-linter-action", _simple(CONFIG_SCAN, "kube-linter")),
    ("azure/k8s-deploy", _simple(DEPLOY, "azure/k8s-deploy")),
    ("google-github-actions/deploy-cloudrun", _simple(DEPLOY, "Cloud Run deploy")),
    ("omegion/argocd-actions", _simple(DEPLOY, "argocd app sync")),
    ("golangci/golangci-lint-action", _simple(LINT, "golangci-lint")),
    ("codecov/codecov-action", _simple(COVERAGE_UPLOAD, "Codecov")),
    ("coverallsapp/github-action", _simple(COVERAGE_UPLOAD, "Coveralls")),
    ("kubescape/github-action", _simple(CONFIG_SCAN, "Kubescape")),
    ("super-linter/super-linter", _simple(LINT, "super-linter")),
    ("helm/chart-releaser-action", _simple(DEPLOY, "chart-releaser")),
    ("goreleaser/goreleaser-action", _simple(BUILD, "goreleaser")),
)

# (category, tool, command regex, failure switch regex or None when the tool fails by default, why)
COMMANDS = (
    (IMAGE_SCAN, "trivy image", _cmd(r"trivy\s+(?:[-\w=.]+\s+)*(?:image|i)\s"), r"--exit-code[= ]+[1-9]",
     "trivy image without --exit-code 1 only reports"),
    (FS_SCAN, "trivy fs", _cmd(r"trivy\s+(?:[-\w=.]+\s+)*(?:fs|filesystem|repo|rootfs)\s"), None, ""),
    (IMAGE_SCAN, "grype", _cmd(r"grype\s+(?!db\b)\S"), r"(--fail-on|-f)\s+\w", "grype without --fail-on only reports"),
    (IMAGE_SCAN, "docker scout cves", _cmd(r"docker\s+scout\s+cves"), r"--exit-code",
     "docker scout without --exit-code"),
    (IMAGE_SCAN, "snyk container test", _cmd(r"snyk\s+container\s+test"), None, ""),
    (SAST, "Semgrep", _cmd(r"semgrep\s+(ci|scan|--config)"), None, ""),
    (SAST, "Bandit", _cmd(r"bandit\s"), None, ""),
    (SAST, "gosec", _cmd(r"gosec\s"), None, ""),
    (SAST, "Brakeman", _cmd(r"brakeman\b"), None, ""),
    (SAST, "SonarScanner", _cmd(r"sonar-scanner\b"), None, ""),
    (SAST, "CodeQL CLI", _cmd(r"codeql\s+database\s+analyze"), None, ""),
    (SCA, "Snyk", _cmd(_RUNNER + r"[\w:.-]*snyk[\w:.-]*"), None, ""),
    (SCA, "pip-audit", _cmd(r"pip-audit\b"), None, ""),
    (SCA, "npm audit", _cmd(r"(npm|yarn|pnpm)\s+audit\b"), None, ""),
    (SCA, "govulncheck", _cmd(r"govulncheck\b"), None, ""),
    (SCA, "snyk test", _cmd(r"snyk\s+test\b"), None, ""),
    (SCA, "OSV-Scanner", _cmd(r"osv-scanner\b"), None, ""),
    (SCA, "OWASP Dependency-Check", _cmd(r"dependency-check(\.sh)?\s"), None, ""),
    (SECRETS, "gitleaks", _cmd(r"gitleaks\s+(detect|protect|git|dir)"), None, ""),
    (SECRETS, "TruffleHog", _cmd(r"trufflehog\s"), None, ""),
    (DAST, "OWASP ZAP", _cmd(r"zap-(baseline|full-scan|api-scan)\.py"), None, ""),
    (LICENCE, "license-checker", _cmd(r"(npx\s+)?license-checker\b"), r"--(onlyAllow|failOn)",
     "license-checker without --onlyAllow or --failOn only lists licences"),
    (LICENCE, "pip-licenses", _cmd(r"pip-licenses\b"), r"--(allow-only|fail-on)",
     "pip-licenses without --allow-only or --fail-on only lists licences"),
    (LICENCE, "go-licenses check", _cmd(r"go-licenses\s+check"), None, ""),
    (LICENCE, "cargo deny", _cmd(r"cargo\s+deny\s+check(\s+licenses|\s*$)"), None, ""),
    (LICENCE, "ScanCode", _cmd(r"scancode\s"), None, ""),
    (LICENCE, "licensee", _cmd(r"licensee\s+detect"), None, ""),
    (LICENCE, "reuse lint", _cmd(r"reuse\s+lint"), None, ""),
    (LICENCE, "ORT", _cmd(r"ort\s+(analyze|evaluate)"), None, ""),
    (LICENCE, "Trivy licence scanner", _cmd(r"trivy\s.*--scanners\s+\S*license"), r"--exit-code[= ]+[1-9]",
     "trivy without --exit-code 1 only reports"),
    (CONFIG_SCAN, "configuration scanner", _cmd(r"(?:" + _RUNNER + r")?(kubescape|checkov|kube-linter|polaris|"
                                                r"conftest|kube-score|datree)\b"), None, ""),
    (CONFIG_SCAN, "trivy config", _cmd(r"trivy\s+(?:[-\w=.]+\s+)*config\s"), None, ""),
    (COVERAGE_UPLOAD, "coverage upload", _cmd(r"(codecov|coveralls)\b"), None, ""),
    (LOAD, "k6", _cmd(r"k6\s+run\b"), None, ""),
    (LOAD, "Locust", _cmd(r"locust\s.*--headless"), None, ""),
    (LOAD, "JMeter", _cmd(r"jmeter\s.*(^|\s)-n\b"), None, ""),
    (LOAD, "Artillery", _cmd(r"(npx\s+)?artillery\s+run"), None, ""),
    (LOAD, "Gatling", _cmd(r"(mvn|\./mvnw|gradle|\./gradlew|sbt)\s.*gatling"), None, ""),
    (LOAD, "k6-operator TestRun", _cmd(r"kubectl\s+apply\s.*(testrun|k6)"), None, ""),
    (CHAOS, "Chaos Toolkit", _cmd(r"chaos\s+run\b"), None, ""),
    (CHAOS, "Litmus", _cmd(r"litmusctl\s"), None, ""),
    (CHAOS, "Chaos Mesh", _cmd(r"kubectl\s+apply\s.*chaos"), None, ""),
    (E2E, "Playwright", _cmd(r"(npx\s+)?playwright\s+test"), None, ""),
    (E2E, "Cypress", _cmd(r"(npx\s+)?cypress\s+run"), None, ""),
    (E2E, "WebdriverIO", _cmd(r"(npx\s+)?wdio\s"), None, ""),
    (E2E, "kuttl", _cmd(r"(kubectl[ -])?kuttl\s+test"), None, ""),
    (E2E, "Chainsaw", _cmd(r"chainsaw\s+test"), None, ""),
    (E2E, "e2e target", _cmd(_RUNNER + r"[\w:.-]*e2e[\w:.-]*" + _END), None, ""),
    (E2E, "e2e tests", _cmd(r"(go\s+test|ginkgo)\s.*\be2e\b"), None, ""),
    (INTEGRATION, "go test -tags=integration", _cmd(r"go\s+test\s.*-tags[= ]\S*integration"), None, ""),
    (INTEGRATION, "pytest -m integration", _cmd(r"pytest\s.*-m\s+['\"]?integration"), None, ""),
    (INTEGRATION, "mvn verify", _cmd(r"(mvn|\./mvnw)\s.*\bverify\b"), None, ""),
    (INTEGRATION, "ct install", _cmd(r"ct\s+install\b"), None, ""),
    (INTEGRATION, "integration target", _cmd(r"(?:(?:gradle|\./gradlew)\s+|" + _RUNNER + r")"
                                             r"[\w:.-]*(integration|integ|\bit\b)[\w:.-]*" + _END), None, ""),
    (INTEGRATION, "integration tests", _cmd(r"(go\s+test|pytest|tox)\s.*integration"), None, ""),
    (UNIT, "go test", _cmd(r"go\s+test\b"), None, ""),
    (UNIT, "gotestsum", _cmd(r"gotestsum\b"), None, ""),
    (UNIT, "pytest", _cmd(r"(python\s+-m\s+)?pytest\b"), None, ""),
    (UNIT, "tox", _cmd(r"tox\b"), None, ""),
    (UNIT, "npm test", _cmd(r"(npm|yarn|pnpm)\s+(run\s+)?test\b"), None, ""),
    (UNIT, "jest/vitest", _cmd(r"(npx\s+)?(jest|vitest)\b"), None, ""),
    (UNIT, "mvn test", _cmd(r"(mvn|\./mvnw)\s.*\b(test|verify|install|package)\b"), None, ""),
    (UNIT, "gradle test", _cmd(r"(gradle|\./gradlew)\s.*\b(test|check|build)\b"), None, ""),
    (UNIT, "dotnet test", _cmd(r"dotnet\s+test\b"), None, ""),
    (UNIT, "cargo test", _cmd(r"cargo\s+test\b"), None, ""),
    (UNIT, "make test", _cmd(_MAKE + r"(?![\w-]*(e2e|integration|perf|bench|load|docs))"
                             r"(test[\w-]*|unit[\w-]*|check|coverage)(?=\s|$|;|&)"), None, ""),
    (LINT, "helm lint", _cmd(r"helm\s+lint\b"), None, ""),
    (LINT, "kubeconform", _cmd(r"kubeconform\b"), None, ""),
    (LINT, "kubeval", _cmd(r"kubeval\b"), None, ""),
    (LINT, "ct lint", _cmd(r"ct\s+lint\b"), None, ""),
    (LINT, "linter", _cmd(r"(golangci-lint|eslint|ruff|flake8|pylint|yamllint|actionlint|hadolint|shellcheck|"
                         r"markdownlint|tflint|checkstyle|ktlint|rubocop|mypy)\b"), None, ""),
    (LINT, "make lint", _cmd(_RUNNER + r"[\w:.-]*lint[\w:.-]*" + _END), None, ""),
    (LINT, "make validate", _cmd(_MAKE + r"(validate|verify|vet|fmt-check)" + _END), None, ""),
    (LINT, "kustomize build", _cmd(r"kustomize\s+build\b"), None, ""),
    (LINT, "terraform validate", _cmd(r"terraform\s+validate\b"), None, ""),
    (IMAGE_BUILD, "docker build", _cmd(r"docker\s+(buildx\s+)?build\b"), None, ""),
    (IMAGE_BUILD, "docker push", _cmd(r"docker\s+push\b"), None, ""),
    (IMAGE_BUILD, "kaniko", lazy_re.compile(r"/kaniko/executor|\bexecutor\s+--context", re.I), None, ""),
    (IMAGE_BUILD, "buildah", _cmd(r"buildah\s+(bud|build|push)\b"), None, ""),
    (IMAGE_BUILD, "ko", _cmd(r"ko\s+(build|publish|resolve|apply)\b"), None, ""),
    (IMAGE_BUILD, "jib", lazy_re.compile(r"jib(:build|:dockerBuild|\b)", re.I), None, ""),
    (IMAGE_BUILD, "skaffold", _cmd(r"skaffold\s+(build|run)\b"), None, ""),
    (IMAGE_BUILD, "make image", _cmd(_MAKE + r"[\w.-]*(image|docker|container)[\w.-]*" + _END), None, ""),
    (BUILD, "go build", _cmd(r"go\s+build\b"), None, ""),
    (BUILD, "make build", _cmd(_MAKE + r"(build|all|release|dist)[\w.-]*" + _END), None, ""),
    (BUILD, "npm build", _cmd(r"(npm|yarn|pnpm)\s+(run\s+)?build\b"), None, ""),
    (BUILD, "mvn package", _cmd(r"(mvn|\./mvnw)\s.*\b(package|install|verify)\b"), None, ""),
    (BUILD, "gradle build", _cmd(r"(gradle|\./gradlew)\s.*\b(build|assemble)\b"), None, ""),
    (BUILD, "dotnet build", _cmd(r"dotnet\s+(build|publish)\b"), None, ""),
    (BUILD, "cargo build", _cmd(r"cargo\s+build\b"), None, ""),
    (BUILD, "python build", _cmd(r"python\s+-m\s+build\b"), None, ""),
    (BUILD, "manifest generation", _cmd(r"(" + _MAKE + r"generate\b|jsonnet\s|jb\s+install)"), None, ""),
    (BUILD, "helm package", _cmd(r"helm\s+package\b"), None, ""),
    (DEPLOY, "argocd app sync", _cmd(r"argocd\s+app\s+(sync|set)\b"), None, ""),
    (DEPLOY, "helm upgrade", _cmd(r"helm\s+(upgrade|install)\b"), None, ""),
    (DEPLOY, "kubectl apply", _cmd(r"kubectl\s+(apply|set\s+image|rollout\s+restart)\b"), None, ""),
    (DEPLOY, "GitOps image bump", lazy_re.compile(r"(kustomize\s+edit\s+set\s+image|yq\s.*image|sed\s.*image)"
                                             r"[\s\S]*git\s+push", re.I), None, ""),
    (DEPLOY, "skaffold", _cmd(r"skaffold\s+(run|deploy)\b"), None, ""),
    (DEPLOY, "flux reconcile", _cmd(r"flux\s+reconcile\b"), None, ""),
    (DEPLOY, "gcloud deploy", _cmd(r"gcloud\s+(run\s+deploy|deploy\s+releases|app\s+deploy)"), None, ""),
    (DEPLOY, "helm push", _cmd(r"helm\s+push\b"), None, ""),
    (DEPLOY, "cr upload", _cmd(r"cr\s+upload\b"), None, ""),
)

GITLAB_TEMPLATES = (
    (IMAGE_SCAN, lazy_re.compile(r"(Jobs|Security)/Container-Scanning", re.I)),
    (SAST, lazy_re.compile(r"Security/SAST|Jobs/SAST", re.I)),
    (SCA, lazy_re.compile(r"Security/Dependency-Scanning|Jobs/Dependency-Scanning", re.I)),
    (SECRETS, lazy_re.compile(r"Security/Secret-Detection|Jobs/Secret-Detection", re.I)),
    (DAST, lazy_re.compile(r"Security/DAST|DAST\.gitlab-ci", re.I)),
    (LICENCE, lazy_re.compile(r"Security/License-Scanning|Jobs/License-Scanning", re.I)),
)
GITLAB_JOBS = {"container_scanning": IMAGE_SCAN, "semgrep-sast": SAST, "sast": SAST, "dependency_scanning": SCA,
               "gemnasium-dependency_scanning": SCA, "secret_detection": SECRETS, "dast": DAST,
               "license_scanning": LICENCE}
NAMED_STEPS = ((E2E, lazy_re.compile(r"\be2e\b|end[- ]to[- ]end|smoke[- ]tests?", re.I)),
               (INTEGRATION, lazy_re.compile(r"\bintegration[- ]tests?", re.I)),
               (UNIT, lazy_re.compile(r"\bunit[- ]?tests?", re.I)),
               (LOAD, lazy_re.compile(r"\b(load|performance|perf)[- ]tests?", re.I)))
_SETUP_NAME = lazy_re.compile(r"\s*(set ?up|install|generate|upload|download|stop|start|cache|prepare|publish)\b", re.I)
# A job whose steps run inside a linter's image lints (sloth's check job runs its script in golangci-lint).
LINTER_IMAGES = lazy_re.compile(r"golangci/golangci-lint|hadolint/hadolint|github/super-linter|super-linter/super-linter|"
                           r"koalaman/shellcheck|pipelinecomponents/\w*lint|rhysd/actionlint|cytopia/\w*lint")
SCANNER_IMAGES = ((IMAGE_SCAN, lazy_re.compile(r"aquasec/trivy|anchore/grype")), (SAST, lazy_re.compile(r"semgrep/semgrep")),
                  (SECRETS, lazy_re.compile(r"zricethezav/gitleaks|gitleaks/gitleaks")))


def classify(step: Step) -> list[Hit]:
    """Every category the step belongs to (a `make test lint` line is both a test and a lint)."""
    found: list[Hit] = []
    action = step.action
    if action and not action.startswith("./"):
        for prefix, judge in ACTIONS:
            if action.startswith(prefix):
                for category, tool, (fails, why) in (judge(step) if judge else ()):
                    found.append(Hit(step, category, tool, fails, why))
                if action.startswith("docker/build-push-action"):
                    found.append(Hit(step, IMAGE_BUILD, "docker/build-push-action"))
                break
    text = "\n".join(line for line in (step.run or "").splitlines() if not line.lstrip().startswith("#"))
    if text:
        seen = set()
        for category, tool, regex, switch, why in COMMANDS:
            if category in seen and category != LICENCE:
                continue
            if regex.search(text):
                fails = switch is None or re.search(switch, text, re.I) is not None
                found.append(Hit(step, category, tool, fails, "" if fails else why))
                seen.add(category)
    if step.run and step.name != step.run.strip().splitlines()[0]:
        for category, regex in NAMED_STEPS:
            if regex.search(step.name) and not _SETUP_NAME.match(step.name) and \
                    not any(h.category == category for h in found):
                found.append(Hit(step, category, f"step '{step.name}'"))
    if step.run and not any(h.category == LINT for h in found) and LINTER_IMAGES.search(step.job.container or ""):
        found.append(Hit(step, LINT, f"a {step.job.container.split(':')[0]} container"))
    if step.job.pipeline.kind == "gitlab":
        key = step.job.key.lower()
        if key in GITLAB_JOBS and step is step.job.steps[0]:
            found.append(Hit(step, GITLAB_JOBS[key], f"GitLab {key} job"))
        image = str(step.env.get("image") or "")
        for category, regex in SCANNER_IMAGES:
            if regex.search(image) and step is step.job.steps[0] and not any(h.category == category for h in found):
                found.append(Hit(step, category, image))
    return found


_PUSH_COMMAND = lazy_re.compile(r"docker\s+(image\s+)?push\b|--push\b|buildah\s+push|/kaniko/executor(?![^\n]*--no-push)|"
                           r"\bko\s+(build|publish|resolve|apply)\b(?![^\n]*(--local|\s-L\b))|jib:build|"
                           r"skaffold\s+(run|build)\b|make\b[^\n]*[ \t][\w.-]*(push|publish)[\w.-]*(?=[ \t;&|]|$)",
                           re.I | re.M)


def pushes(hit: Hit) -> bool:
    """The image build also pushes to a registry (a build loaded only for tests is not shipped)."""
    step = hit.step
    if step.action.startswith("docker/build-push-action"):
        value = str(step.with_.get("push", "false")).strip().lower()
        return value not in ("false", "") and "load" not in value
    return bool(_PUSH_COMMAND.search(step.run or ""))


_TAG_FLAG = lazy_re.compile(r"(?:-t|--tag|--destination)[ =]+['\"]?([^\s'\"]+)")
_PUSH_ARG = lazy_re.compile(r"docker\s+(?:image\s+)?push\s+(?:-\S+\s+)*['\"]?([^\s'\"]+)")


def image_names(hit: Hit) -> list[str]:
    """Repositories (without tag) the build step names literally; expressions in the name make it unknown."""
    step = hit.step
    if step.uses:
        raw = re.split(r"[\n,]+", step.input("tags"))
    else:
        raw = _TAG_FLAG.findall(step.run or "") + _PUSH_ARG.findall(step.run or "")
    names = []
    for ref in raw:
        ref = ref.strip()
        if not ref:
            continue
        head, _, last = ref.rpartition("/")
        repo = (head + "/" if head else "") + last.split(":", 1)[0].split("@", 1)[0]
        if repo and "$" not in repo and "{" not in repo and repo not in names:
            names.append(repo)
    return names


def hits(index, *categories: str) -> list[Hit]:
    """Every recognised step of the given categories, across all pipelines, in file order."""
    cached = getattr(index, "_ci_hits", None)
    if cached is None:
        cached = [h for step in all_steps(index) for h in classify(step)]
        index._ci_hits = cached
    return [h for h in cached if h.category in categories]


def template_hits(index, category: str) -> list:
    """GitLab template includes of ``category``: (Location, template name)."""
    from .ci import pipelines

    found = []
    for pipeline in pipelines(index):
        for at, name in pipeline.templates:
            if any(cat == category and regex.search(name) for cat, regex in GITLAB_TEMPLATES):
                found.append((at, name))
    return found


# Remote reusable workflows known to produce provenance only: they cannot hold a missing stage or scan.
KNOWN_REMOTE = ("slsa-framework/slsa-github-generator",)


def remote_calls(index) -> list:
    """(Location, description) of remote reusable workflows and remote GitLab includes: opaque evidence."""
    from .ci import pipelines

    return [item for p in pipelines(index) for item in p.remote
            if not any(f" {name}" in item[1].lower() for name in KNOWN_REMOTE)]
