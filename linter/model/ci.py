"""CI definitions as one model: GitHub Actions workflows and GitLab CI, with positions for findings.

Rules ask questions of pipelines, jobs and steps rather than of raw YAML, so every rule agrees on what
runs when (rules.md 0.10). Local composite actions and local reusable workflows (``uses: ./…``) are
followed and their steps become steps of the calling job (located in their own file); remote reusable
workflows and remote GitLab includes are opaque and recorded in ``Job.remote`` / ``Pipeline.remote``,
so rules can answer "unknown" instead of failing.

API for rules: ``pipelines(index)`` (cached per index) → list of ``Pipeline``; each has ``jobs``
(``Job`` with ``steps``, ``needs``, ``events`` after `if:` and `needs:`, ``environment``) and helpers
``ancestors(job)`` / ``descendants(job)``; ``all_jobs`` / ``all_steps`` / ``main_pipeline`` skip
reusable-workflow files (their steps live in the calling jobs). ``gating(step)`` says why a step cannot
block a merge or deploy (None when it can), ``tolerated(step)`` only why its failure is ignored;
``ephemeral_cluster(job)`` finds a kind/minikube/k3d step. Repository facts shared by the CI rules:
``no_repository``, ``has_app_code``, ``builds_code``, ``dockerfiles``, ``project_type``, ``ci_anchor``.
What a step does (scan, test, build, deploy) is ``ci_tools.hits(index, category)``.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from .. import lazy_re
from ..findings import Location
from ..inputs.yaml_docs import YMap, YSeq
from .ci_triggers import CONTEXTS, outcomes, rules_location

PR_EVENTS = frozenset({"pull_request", "pull_request_target", "merge_group", "merge_request"})
PUSH_EVENTS = frozenset({"push"})
DEFAULT_BRANCHES = ("main", "master", "trunk", "develop")
GITLAB_RESERVED = frozenset({"stages", "include", "variables", "default", "workflow", "image", "services",
                             "before_script", "after_script", "cache", "types", "pages:deploy"})
_NON_GATING_TAIL = lazy_re.compile(r"\|\|\s*(true|:|exit\s+0)\s*$")


@dataclass(eq=False)
class Step:
    """One step (GitHub) or one script line (GitLab); ``location`` is its ``uses:``/``run:`` line."""

    job: "Job"
    name: str
    uses: str = ""
    run: str = ""
    with_: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    continue_on_error: bool = False
    condition: str = ""
    location: Location = None
    origin: str = ""  # file the step is written in (a composite action or called workflow may differ)

    @property
    def action(self) -> str:
        """``owner/repo[/path]`` of ``uses:`` in lower case, without the ``@ref``."""
        return self.uses.split("@", 1)[0].strip().lower()

    @property
    def ref(self) -> str:
        """The version after ``@`` in ``uses:`` (a tag, branch or commit SHA), or ''."""
        return self.uses.split("@", 1)[1].strip() if "@" in self.uses else ""

    def input(self, name: str) -> str:
        value = self.with_.get(name)
        return "" if value is None else str(value).strip()

    @property
    def text(self) -> str:
        """What the step does, as one string for recognisers: the command, or the action and inputs."""
        if self.run:
            return self.run
        inputs = " ".join(f"{k}={v}" for k, v in self.with_.items())
        return f"{self.action} {inputs}".strip()


@dataclass(eq=False)
class Job:
    pipeline: "Pipeline"
    key: str
    name: str
    location: Location
    needs: list = field(default_factory=list)
    condition: str = ""
    steps: list = field(default_factory=list)
    continue_on_error: bool = False
    environment: str = ""
    stage: str = ""
    uses: str = ""  # reusable workflow the job calls
    with_: dict = field(default_factory=dict)  # inputs passed to the called workflow
    remote: bool = False  # calls a remote reusable workflow: its steps are unknown
    services: bool = False
    container: str = ""  # GitHub `container:` image the steps run in (a linter image makes its steps lint)
    events: frozenset = frozenset()  # events the job may run on, after its `if:` / `rules:`
    rules_at: Location = None  # GitLab `rules:` that decided ``events``

    @property
    def display(self) -> str:
        return f"job '{self.key}' in {self.pipeline.path}"

    @property
    def runs_on_pr(self) -> bool:
        return bool(self.events & PR_EVENTS)

    @property
    def automated(self) -> bool:
        """Runs on something besides a manual dispatch."""
        return bool(self.events - {"workflow_dispatch", "workflow_call", "web", "manual"})


@dataclass(eq=False)
class Pipeline:
    """One workflow file (GitHub) or the GitLab pipeline (`.gitlab-ci.yml` with its local includes)."""

    path: str
    kind: str  # "github" or "gitlab"
    name: str
    events: frozenset
    default_branch_push: bool
    location: Location
    jobs: list = field(default_factory=list)
    remote: list = field(default_factory=list)  # (Location, description) of opaque includes/workflows
    templates: list = field(default_factory=list)  # (Location, template name) of GitLab template includes
    callable: bool = False  # `on: workflow_call` only: runs as part of its callers
    after: list = field(default_factory=list)  # `on.workflow_run.workflows`: names of the workflows it follows

    def job(self, key):
        return next((j for j in self.jobs if j.key == key), None)

    def ancestors(self, job: Job) -> list[Job]:
        """Jobs that ``job`` waits for, directly or not (``needs:``; GitLab: earlier stages)."""
        seen, todo = [], list(job.needs)
        while todo:
            key = todo.pop()
            other = self.job(key)
            if other is None or other in seen or other is job:
                continue
            seen.append(other)
            todo.extend(other.needs)
        return seen

    def descendants(self, job: Job) -> list[Job]:
        return [j for j in self.jobs if job in self.ancestors(j)]


def tolerated(step: Step) -> str | None:
    """Why a failure of ``step`` is ignored (continue-on-error, `|| true`, allow_failure), or None."""
    if step.continue_on_error or step.job.continue_on_error:
        return "continue-on-error" if step.job.pipeline.kind == "github" else "allow_failure: true"
    if step.run and any(_NON_GATING_TAIL.search(line.strip()) for line in step.run.splitlines() if line.strip()):
        return "its command ends in `|| true`"
    return None


def gating(step: Step) -> str | None:
    """Why ``step`` cannot fail its pipeline or stop a deploy (rules.md 0.10), or None when it gates."""
    reason = tolerated(step)
    if reason:
        return reason
    if not step.job.automated:
        return "it runs only on manual dispatch"
    job = step.job
    if not job.runs_on_pr and not any(_is_deploy_like(d) for d in job.pipeline.descendants(job)):
        if job.events <= {"schedule", "workflow_dispatch", "workflow_call"}:
            return "it runs only on a schedule"
        return "it does not run on pull requests and no deploy job waits for it"
    return None


def _is_deploy_like(job: Job) -> bool:
    return bool(job.environment) or "deploy" in job.key.lower() or "deploy" in job.name.lower()


def pipelines(index) -> list[Pipeline]:
    """Every CI pipeline of the repository, built once per index."""
    cached = getattr(index, "_ci_pipelines", None)
    if cached is None:
        cached = _Builder(index).build()
        index._ci_pipelines = cached
    return cached


def all_jobs(index) -> list[Job]:
    """Jobs of the pipelines that run on their own (reusable-workflow files run inside their callers)."""
    return [job for p in pipelines(index) if not p.callable for job in p.jobs]


def all_steps(index) -> list[Step]:
    return [step for job in all_jobs(index) for step in job.steps]


def has_ci(index) -> bool:
    return bool(index.repo.glob(".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml"))


def main_pipeline(index) -> Pipeline | None:
    """The workflow most likely to be 'the CI': runs on pull requests, has the most jobs."""
    candidates = [p for p in pipelines(index) if not p.callable]
    if not candidates:
        return None
    return sorted(candidates, key=lambda p: (not (p.events & PR_EVENTS), -len(p.jobs), p.path))[0]


_INPUT_EXPR = lazy_re.compile(r"^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$")


def _resolve_inputs(value, given: dict):
    """``${{ inputs.x }}`` replaced by the literal the caller passes, so `push: false` is seen as false."""
    match = _INPUT_EXPR.match(str(value).strip()) if isinstance(value, str) else None
    if match and match.group(1) in given and "${{" not in str(given[match.group(1)]):
        return given[match.group(1)]
    return value


EPHEMERAL_CLUSTER = lazy_re.compile(r"helm/kind-action|engineerd/setup-kind|container-tools/kind-action|"
                               r"medyagh/setup-minikube|AbsaOSS/k3d-action|nolar/setup-k3d-k3s|"
                               r"kind\s+create\s+cluster|minikube\s+start|k3d\s+cluster\s+create|"
                               r"make\s+[\w-]*kind[\w-]*|ctlptl\s+create|get\.k3s\.io|\bk3s\b", re.I)


def ephemeral_cluster(job: Job) -> Step | None:
    """The step that creates a throw-away cluster (kind, minikube, k3d) in the job, or None."""
    return next((s for s in job.steps if EPHEMERAL_CLUSTER.search(s.uses or s.run or "")), None)


# -- building ---------------------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, YSeq):
        return "\n".join(_text(v) for v in value)
    return str(value)


_MATRIX_REF = lazy_re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")


def _expand_matrix(job, strategy) -> None:
    """A step whose command is `${{ matrix.run }}` runs every value of that matrix key (one per line), so the
    recognisers see `make jsonnet-lint` where the workflow only names the key."""
    matrix = strategy.get("matrix") if isinstance(strategy, YMap) else None
    if not isinstance(matrix, YMap):
        return
    values: dict[str, list[str]] = {}
    for key, value in matrix.items():
        if key in ("include", "exclude"):
            continue
        if isinstance(value, YSeq):
            values.setdefault(str(key), []).extend(_text(v) for v in value if not isinstance(v, (YMap, YSeq)))
    for entry in matrix.get("include") or ():
        if isinstance(entry, YMap):
            for key, value in entry.items():
                if not isinstance(value, (YMap, YSeq)) and value is not None:
                    values.setdefault(str(key), []).append(_text(value))
    for step in job.steps:
        if step.run and _MATRIX_REF.search(step.run):
            lines = []
            for line in step.run.splitlines():
                names = [n for n in _MATRIX_REF.findall(line) if values.get(n)]
                if len(names) == 1:  # one key: one line per value; several keys stay as written
                    lines += [_MATRIX_REF.sub(lambda m, v=v: v if m.group(1) == names[0] else m.group(0), line)
                              for v in dict.fromkeys(values[names[0]])]
                else:
                    lines.append(line)
            step.run = "\n".join(lines)


def _truthy(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes"))


def _loc(path, node, key=None) -> Location:
    if isinstance(node, YMap) and key is not None and key in node.kpos:
        line, col, end = node.kpos[key]
        return Location(path, line, col, end)
    return Location(path, getattr(node, "line", 1) or 1, getattr(node, "col", 1) or 1)


def _events(on) -> tuple[frozenset, bool]:
    """Trigger events and whether a push to the default branch runs the workflow."""
    if isinstance(on, str):
        return frozenset({on}), on == "push"
    if isinstance(on, YSeq):
        names = frozenset(str(v) for v in on)
        return names, "push" in names
    if not isinstance(on, YMap):
        return frozenset(), False
    names = frozenset(str(k) for k in on)
    push = on.get("push", False)
    default = False
    if "push" in on:
        if not isinstance(push, YMap):
            default = True
        else:
            branches = push.get("branches")
            if branches is None:
                default = push.get("tags") is None or push.get("branches-ignore") is not None
            else:
                globs = [str(b) for b in branches] if isinstance(branches, YSeq) else [str(branches)]
                default = any(_glob_matches(g, b) for g in globs for b in DEFAULT_BRANCHES)
    return names, default


def _job_events(pipeline: Pipeline) -> None:
    """Each job's events: the workflow's, narrowed by its `if:` and by every job it needs."""
    for job in pipeline.jobs:
        job.events = _filter_events(pipeline.events, job.condition)
    for job in pipeline.jobs:  # a job skipped on pull requests skips the jobs that need it
        for ancestor in pipeline.ancestors(job):
            job.events = job.events & (_filter_events(pipeline.events, ancestor.condition) | {"workflow_call"})


def _glob_matches(glob: str, branch: str) -> bool:
    regex = re.escape(glob).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.fullmatch(regex, branch) is not None


_EXCLUDES_PR = (
    lazy_re.compile(r"github\.event_name\s*==\s*['\"](push|release|schedule|workflow_dispatch)['\"]"),
    lazy_re.compile(r"github\.event_name\s*!=\s*['\"]pull_request['\"]"),
    lazy_re.compile(r"github\.ref\s*==\s*['\"]refs/(heads|tags)/"),
    lazy_re.compile(r"startsWith\(\s*github\.ref\s*,\s*['\"]refs/tags/"),
    lazy_re.compile(r"github\.ref_type\s*==\s*['\"]tag['\"]"),
)
_ONLY_PR = (lazy_re.compile(r"github\.event_name\s*==\s*['\"]pull_request(_target)?['\"]"),
            lazy_re.compile(r"github\.event\.workflow_run\.event\s*==\s*['\"]pull_request['\"]"),
            lazy_re.compile(r"github\.event_name\s*!=\s*['\"]push['\"]"))


def _conjuncts(condition: str) -> list[str]:
    """Top-level `&&` parts of an `if:` expression; one part when a top-level `||` makes it a disjunction."""
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and text.startswith("||", i):
            return [text] if not parts else [condition]
        elif depth == 0 and text.startswith("&&", i):
            parts.append(text[start:i])
            start = i + 2
            i += 1
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _filter_events(events: frozenset, condition: str) -> frozenset:
    """Events left once a job's ``if:`` is applied (only top-level conjuncts of common shapes are read)."""
    if not condition:
        return events
    for part in _conjuncts(condition):
        if "||" in part:
            continue
        if any(p.search(part) for p in _EXCLUDES_PR):
            events = events - PR_EVENTS
        elif any(p.search(part) for p in _ONLY_PR):
            events = events & (PR_EVENTS | {"workflow_call"})
    return events


class _Builder:
    def __init__(self, index):
        self.index = index
        self.repo = index.repo
        self._by_path: dict[str, Pipeline] = {}

    def build(self) -> list[Pipeline]:
        found = []
        for path in sorted(self.repo.glob(".github/workflows/*.yml", ".github/workflows/*.yaml")):
            pipeline = self._github(path)
            if pipeline is not None:
                found.append(pipeline)
        by_name = {p.name: p for p in found}
        for pipeline in found:  # a workflow_run workflow runs for the events of the workflows it follows
            inherited = {e for name in pipeline.after if name in by_name for e in by_name[name].events}
            if inherited:
                pipeline.events = frozenset((pipeline.events - {"workflow_run"}) | inherited)
                _job_events(pipeline)
        for pipeline in found:
            self._expand_calls(pipeline, set())
        gitlab = self.repo.actual(".gitlab-ci.yml")
        if gitlab:
            pipeline = self._gitlab(gitlab)
            if pipeline is not None:
                found.append(pipeline)
        return found

    def _document(self, path, what="") -> YMap | None:
        """The file's first YAML document as a mapping; any other shape is an RL001 problem when ``what`` names
        the file's role (a file with a YAML syntax error was already reported by the loader)."""
        docs = self.index.documents.get(path) or []
        data = docs[0].data if docs else None
        if not isinstance(data, YMap):
            if what and docs:
                self.repo.problem(path, f"{path} is not a valid {what}: its top level is not a mapping.",
                                  docs[0].line or 1, 1)
            return None
        return data

    # -- GitHub Actions -------------------------------------------------------------------------------------

    def _github(self, path) -> Pipeline | None:
        if path in self._by_path:
            return self._by_path[path]
        data = self._document(path, "GitHub Actions workflow")
        if data is None:
            return None
        on = data.get("on", data.get(True))
        if on is None:
            self.repo.problem(path, f"{path} is not a valid GitHub Actions workflow: it has no `on:` triggers, so "
                                    "GitHub never runs it.", data.line or 1, 1)
        events, default_push = _events(on)
        pipeline = Pipeline(path=path, kind="github", name=str(data.get("name") or path), events=events,
                            default_branch_push=default_push, location=_loc(path, data, "on"),
                            callable=events == frozenset({"workflow_call"}))
        self._by_path[path] = pipeline
        jobs = data.get("jobs")
        if not isinstance(jobs, YMap):
            line = data.kpos["jobs"][0] if "jobs" in data.kpos else data.line or 1
            self.repo.problem(path, f"{path} is not a valid GitHub Actions workflow: `jobs` is missing or not a "
                                    "mapping.", line, 1)
            return pipeline
        for key, body in jobs.items():
            if not isinstance(body, YMap):
                continue
            needs = body.get("needs")
            needs = [str(n) for n in needs] if isinstance(needs, YSeq) else ([str(needs)] if needs else [])
            condition = _text(body.get("if"))
            env = body.get("environment")
            environment = str(env.get("name") or "") if isinstance(env, YMap) else _text(env)
            job = Job(pipeline=pipeline, key=str(key), name=_text(body.get("name")) or str(key),
                      location=_loc(path, jobs, key), needs=needs, condition=condition,
                      continue_on_error=_truthy(body.get("continue-on-error")), environment=environment,
                      uses=_text(body.get("uses")), services=isinstance(body.get("services"), YMap),
                      container=_text(body["container"].get("image") if isinstance(body.get("container"), YMap)
                                      else body.get("container")),
                      with_=dict(body.get("with")) if isinstance(body.get("with"), YMap) else {})
            if job.uses and not job.uses.startswith("./"):
                job.remote = True
                pipeline.remote.append((_loc(path, body, "uses"), f"{job.display} calls {job.uses}"))
            for step in body.get("steps") or ():
                if isinstance(step, YMap):
                    job.steps.extend(self._steps(job, path, step, set()))
            _expand_matrix(job, body.get("strategy"))
            pipeline.jobs.append(job)
        run_after = on.get("workflow_run") if isinstance(on, YMap) else None
        if isinstance(run_after, YMap) and isinstance(run_after.get("workflows"), YSeq):
            pipeline.after = [str(w) for w in run_after["workflows"]]
        _job_events(pipeline)
        return pipeline

    def _steps(self, job, path, node: YMap, seen) -> list[Step]:
        uses, run = _text(node.get("uses")), _text(node.get("run"))
        with_ = node.get("with") if isinstance(node.get("with"), YMap) else {}
        env = node.get("env") if isinstance(node.get("env"), YMap) else {}
        key = "uses" if uses else "run"
        first = run.strip().splitlines()[0] if run.strip() else ""
        step = Step(job=job, name=_text(node.get("name")) or uses or first,
                    uses=uses, run=run, with_=dict(with_), env=dict(env),
                    continue_on_error=_truthy(node.get("continue-on-error")), condition=_text(node.get("if")),
                    location=_loc(path, node, key), origin=path)
        if uses.startswith("./") and not uses.endswith((".yml", ".yaml")):
            inner = self._composite(job, uses, seen)
            if inner is not None:
                return [step] + inner
        return [step]

    def _composite(self, job, uses, seen) -> list[Step] | None:
        folder = posixpath.normpath(uses[2:])
        for name in ("action.yml", "action.yaml"):
            path = self.repo.actual(f"{folder}/{name}")
            if path and path not in seen:
                data = self._document(path)
                runs = data.get("runs") if data else None
                if not isinstance(runs, YMap) or not isinstance(runs.get("steps"), YSeq):
                    return None
                steps = []
                for node in runs["steps"]:
                    if isinstance(node, YMap):
                        steps.extend(self._steps(job, path, node, seen | {path}))
                return steps
        return None

    def _expand_calls(self, pipeline, seen) -> None:
        """A job calling a local reusable workflow gets the called jobs' steps (in their own file)."""
        for job in pipeline.jobs:
            if not job.uses.startswith("./") or job.steps:
                continue
            path = self.repo.actual(posixpath.normpath(job.uses[2:].split("@", 1)[0]))
            called = self._github(path) if path else None
            if called is None or path in seen:
                continue
            self._expand_calls(called, seen | {pipeline.path})
            for inner in called.jobs:
                if inner.remote:
                    job.remote = True
                    pipeline.remote.append((job.location, f"{job.display} reaches {inner.uses} through "
                                            f"{called.path}"))
                for step in inner.steps:
                    copy = Step(**{**step.__dict__, "job": job})
                    copy.with_ = {k: _resolve_inputs(v, job.with_) for k, v in step.with_.items()}
                    copy.continue_on_error = step.continue_on_error or inner.continue_on_error
                    job.steps.append(copy)
                if inner.environment and not job.environment:
                    job.environment = inner.environment

    # -- GitLab CI ------------------------------------------------------------------------------------------

    def _gitlab(self, path) -> Pipeline | None:
        data = self._document(path, "GitLab CI configuration")
        if data is None:
            return None
        pipeline = Pipeline(path=path, kind="gitlab", name="GitLab CI", events=frozenset(),
                            default_branch_push=True, location=Location(path, 1, 1))
        documents = [(path, data)]
        include = data.get("include")
        items = include if isinstance(include, YSeq) else ([include] if include is not None else [])
        for pos, item in enumerate(items):
            at = (Location(path, *include.ipos[pos][:2]) if isinstance(include, YSeq)
                  else _loc(path, data, "include"))
            if isinstance(item, str):
                item = {"local": item} if not item.startswith(("http://", "https://")) else {"remote": item}
            if not isinstance(item, dict):
                continue
            if item.get("local"):
                local = self.repo.actual(str(item["local"]).lstrip("/"))
                local_data = self._document(local) if local else None
                if local_data is not None:
                    documents.append((local, local_data))
            elif item.get("template"):
                pipeline.templates.append((at, str(item["template"])))
            else:
                what = item.get("project") or item.get("remote") or item.get("component") or "an include"
                pipeline.remote.append((at, f"{path} includes {what}"))
        stages = data.get("stages")
        order = [str(s) for s in stages] if isinstance(stages, YSeq) else ["build", "test", "deploy"]
        workflow = data.get("workflow")
        events = {"push", "merge_request"}
        if isinstance(workflow, YMap) and isinstance(workflow.get("rules"), YSeq):
            events = _rule_events(workflow["rules"], "always") - {"manual"}
            pipeline.default_branch_push = "push" in events
            pipeline.location = rules_location(path, workflow)
        for file_path, doc in documents:
            for key, body in doc.items():
                if not isinstance(body, YMap) or str(key) in GITLAB_RESERVED or str(key).startswith("."):
                    continue
                if not any(k in body for k in ("script", "trigger", "extends", "stage")):
                    continue
                pipeline.jobs.append(self._gitlab_job(pipeline, file_path, doc, str(key), body, events))
        pipeline.events = frozenset(events) | {e for j in pipeline.jobs for e in j.events}
        by_stage = {s: i for i, s in enumerate(order)}
        for job in pipeline.jobs:
            if not job.needs:
                rank = by_stage.get(job.stage, 1)
                job.needs = [o.key for o in pipeline.jobs if by_stage.get(o.stage, 1) < rank]
        return pipeline

    def _gitlab_job(self, pipeline, path, doc, key, body, events) -> Job:
        rules = _text(body.get("rules")) + _text(body.get("only")) + _text(body.get("except"))
        job_events = set(events)
        if "merge_request" in _text(body.get("except")) or ("CI_COMMIT_BRANCH" in rules and "merge" not in rules) \
                or "CI_COMMIT_TAG" in rules:
            job_events.discard("merge_request")
        if "schedules" in _text(body.get("only")) or "\"schedule\"" in rules:
            job_events = {"schedule"}
        if "when: manual" in rules or _text(body.get("when")) == "manual":
            job_events = {"manual"}
        needs = body.get("needs")
        needs = [str(n.get("job")) if isinstance(n, YMap) else str(n) for n in needs] \
            if isinstance(needs, YSeq) else []
        env = body.get("environment")
        job = Job(pipeline=pipeline, key=key, name=key, location=_loc(path, doc, key), needs=needs,
                  continue_on_error=_truthy(body.get("allow_failure")) or isinstance(body.get("allow_failure"), YMap),
                  environment=str(env.get("name") or "") if isinstance(env, YMap) else _text(env),
                  stage=_text(body.get("stage")) or "test", services=body.get("services") is not None)
        if isinstance(body.get("rules"), YSeq):
            computed = {e for e in _rule_events(body["rules"]) if e in events or e == "manual"}
            if computed or not job_events & {"schedule", "manual"}:
                job_events = computed
            job.rules_at = rules_location(path, body)
        job.events = frozenset(job_events)
        image = body.get("image")
        image = _text(image.get("name")) if isinstance(image, YMap) else _text(image)
        for field_name in ("before_script", "script"):
            script = body.get(field_name)
            lines = script if isinstance(script, YSeq) else ([script] if script is not None else [])
            for pos, line in enumerate(lines):
                at = (Location(path, *script.ipos[pos][:2]) if isinstance(script, YSeq)
                      else _loc(path, body, field_name))
                job.steps.append(Step(job=job, name=key, run=_text(line), location=at, origin=path,
                                      env={"image": image}))
        if not job.steps:
            job.steps.append(Step(job=job, name=key, run="", location=job.location, origin=path,
                                  env={"image": image}))
        return job


def _rule_events(rules, default_when="on_success") -> set:
    """Events a GitLab `rules:` list lets run: merge_request (an MR or feature-branch pipeline), push (the
    default branch), manual (only a manual job there)."""
    found = set()
    for name, context in CONTEXTS.items():
        possible = outcomes(rules, context, default_when)
        event = "push" if name == "default" else "merge_request"
        if "run" in possible:
            found.add(event)
        elif "manual" in possible:
            found.add("manual")
    return found


# -- repository facts the CI rules share ----------------------------------------------------------------------

APP_MANIFESTS = ("go.mod", "package.json", "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "pom.xml",
                 "build.gradle", "build.gradle.kts", "Cargo.toml", "Gemfile", "composer.json", "*.csproj", "*.sln",
                 "mix.exs")
APP_SUFFIXES = (".go", ".py", ".js", ".ts", ".tsx", ".java", ".kt", ".cs", ".rb", ".rs", ".php", ".scala", ".ex")


def no_repository(index) -> tuple | None:
    """(N/A reason, why) when the run does not cover the repository (standard input, a sub-folder), else None.

    Repository-level rules are not even run then (api.selection_gap); rules of another scope that also read
    CI, such as OPS004, ask here."""
    return index.settings.get("selection_gap")


def project_type(index) -> str:
    return str((index.settings.get("project") or {}).get("type") or "service")


def has_app_code(index) -> bool:
    """Application code in the repository (dependency manifests or sources outside docs and examples)."""
    if index.repo.glob(*(f"**/{name}" for name in APP_MANIFESTS)):
        return True
    return any(p.endswith(APP_SUFFIXES) and not p.startswith(("docs/", "examples/", ".github/")) for p in index.files)


def app_files(index) -> list[str]:
    """Application sources and dependency manifests (outside docs, examples and CI files)."""
    manifests = set(index.repo.glob(*(f"**/{name}" for name in APP_MANIFESTS)))
    return [p for p in index.files if p in manifests or p.endswith(APP_SUFFIXES)
            and not p.startswith(("docs/", "examples/", ".github/"))]


def builds_code(index) -> bool:
    """Application code in the repository, or CI that builds or unit-tests code (partial checkouts)."""
    from .ci_tools import BUILD, UNIT, hits

    return has_app_code(index) or bool(hits(index, UNIT)) or any(h.tool != "helm package" and
                                                                 h.tool != "manifest generation"
                                                                 for h in hits(index, BUILD))


def dockerfiles(index) -> list[str]:
    return index.repo.glob("**/Dockerfile", "**/*.Dockerfile", "**/Dockerfile.*", "**/Containerfile")


def ci_anchor(index) -> Location:
    """Where a missing CI capability is reported: the main pull-request workflow, else README (rules.md)."""
    main = main_pipeline(index)
    return Location(main.path, 1, 1) if main is not None else index.repo.anchor()
