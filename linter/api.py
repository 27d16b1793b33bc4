"""run(options) -> Report: what the CLI, the tests and the Action call.

Loads the repository once (files, YAML documents, Kubernetes objects), builds the index, runs the
selected rules, applies suppressions and computes the exit code. Nothing here prints.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import os
import posixpath
from dataclasses import dataclass, field

from . import __version__
from .config import Config, ConfigError, load_config
from .findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Finding, Location
from .inputs.files import MANIFEST_SUFFIXES, decode, find_root, list_files, read_text
from .helm.stage import HelmStage
from .inputs.yaml_docs import YMap, YSeq, load_stream
from .merge import merge
from .model.context_folders import in_context_folder
from .model.index import RepoIndex
from .model.objects import K8sObject
from .parallel import load_files
from .registry import all_rules, custom_catalogue, find_rule, resolve_selector
from .report import Note, Report, exit_code, rule_status
from .runner import needs_whole_repository, not_run, run_rule
from .suppressions import Suppressor, read_baseline

DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
STDIN_PATH = "<stdin>"


@dataclass
class RunOptions:
    paths: list = field(default_factory=lambda: ["."])
    config: str | None = None
    select: list = field(default_factory=list)
    ignore: list = field(default_factory=list)
    excludes: list = field(default_factory=list)
    baseline: str | None = None
    fail_on: str | None = None
    exit_zero: bool = False
    stdin_text: str | None = None
    today: _dt.date | None = None
    cwd: str | None = None
    root: str | None = None  # force the repository root (tests); default: found from the first path
    changed_since: str | None = None  # git REF: human-facing outputs keep findings in files changed since
    progress: object = None  # callable(done, total) while files load (a terminal indicator), or None
    github_settings: str | None = None  # --github-settings FILE; default .readylint/github-settings.json at ROOT
    helm_chart: str | None = None  # --helm-chart DIR: render this chart (with the options below)
    values: list = field(default_factory=list)  # --values FILE for --helm-chart or a chart folder path
    set_values: list = field(default_factory=list)  # --set key=value
    release: str | None = None
    namespace: str | None = None
    helm_bin: str | None = None
    no_render: bool = False  # never run helm or kustomize
    jobs: int | None = None  # --jobs N: processes that parse a big repository's manifests (None: the CPUs)
    profile: str | None = None  # --profile NAME (profiles.py); default: the config's `profile`, else production


def _selected(config: Config, options: RunOptions) -> list:
    """Rules chosen by config and command line: `select` narrows (default all), `ignore` removes."""
    def codes(tokens, source):
        out = set()
        for token in tokens:
            for part in str(token).split(","):
                if not part.strip():
                    continue
                named = resolve_selector(part)
                if named is None:
                    raise ConfigError(f"{source}: unknown rule code, slug or family '{part.strip()}'")
                out |= named
        return out

    where = config.path or ".readylint.yaml"
    select = codes(config.rules.get("select", []), f"{where}: rules.select") | codes(options.select, "--select")
    ignore = codes(config.rules.get("ignore", []), f"{where}: rules.ignore") | codes(options.ignore, "--ignore")
    from .profiles import UnknownProfile, codes as profile_codes

    profile = options.profile or config.data.get("profile") or "production"
    try:  # the profile bounds the checklist items; custom rules and rules.extend_select come on top
        base = profile_codes(profile)
    except UnknownProfile as exc:
        raise ConfigError(f"--profile: {exc}") from None
    base |= codes(config.rules.get("extend_select", []), f"{where}: rules.extend_select")
    chosen = []
    for meta in all_rules():
        tool_rule = meta.code.startswith("RL")
        if not (tool_rule or meta.is_custom or meta.code in base):
            continue
        if select and meta.code not in select and not tool_rule:
            continue
        if meta.code in ignore:
            continue
        chosen.append(meta)
    if select and not any(m.code in select for m in chosen) and any(m.code in select for m in all_rules()):
        raise ConfigError(f"the selected rules are outside profile '{profile}': choose a larger profile "
                          "(--profile production) or add them with rules.extend_select")
    return chosen


def _check_rule_options(config: Config) -> None:
    """`rules.options.<CODE>.<name>` must name a rule option and keep its default's type."""
    where = config.path or ".readylint.yaml"
    for code, values in config.rules.get("options", {}).items():
        meta = find_rule(code)
        if meta is None:
            raise ConfigError(f"{where}: rules.options: unknown rule '{code}'")
        for name, value in (values or {}).items():
            if name not in meta.options:
                known = ", ".join(sorted(meta.options)) or "none"
                raise ConfigError(f"{where}: rules.options.{code}: unknown option '{name}' (options: {known})")
            default = meta.options[name]
            numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
            if (isinstance(default, bool) and not isinstance(value, bool)) or (
                    numeric and (isinstance(value, bool) or not isinstance(value, (int, float)))) or (
                    isinstance(default, str) and not isinstance(value, str)):
                raise ConfigError(f"{where}: rules.options.{code}.{name}: expected a value like "
                                  f"{default!r}, got {value!r}")


def _input_for(path: str, inputs: list) -> dict | None:
    for entry in inputs:
        pattern = str(entry["path"]).rstrip("/")
        if path == pattern or path.startswith(pattern + "/") or fnmatch.fnmatchcase(path, pattern):
            return entry
    return None


def _is_template_path(path: str) -> bool:
    return path.startswith("templates/") or "/templates/" in path


class _Loader:
    """Reads every candidate file once and turns YAML documents into objects, findings and notes."""

    def __init__(self, root: str, config: Config):
        self.root = root
        self.config = config
        self.inputs = config.manifest_inputs
        self.max_bytes = int(config.thresholds.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES))
        self.objects: list[K8sObject] = []
        self.findings: list[Finding] = []
        self.notes: list[Note] = []
        self.texts: dict[str, str] = {}  # linted files that hold `readylint:` comments
        self.documents: dict[str, list] = {}  # non-Kubernetes YAML documents by path, for later rules

    def rl001(self, path, message, line=1, col=1):
        meta = find_rule("RL001")
        self.findings.append(Finding(code="RL001", slug=meta.slug, level=meta.severity, message=message,
                                     location=Location(path, line, col), subject=f"file:{path}",
                                     key_path=f"line-{line}"))

    def load_file(self, path: str, text: str | None = None, entry: dict | None = None) -> None:
        if text is None:
            text, problem = read_text(os.path.join(self.root, path), self.max_bytes)
            if problem is not None:
                self.rl001(path, f"{path} cannot be linted: {problem.message}.", problem.line, problem.col)
                return
        if path.endswith(".json") and not ('"apiVersion"' in text and '"kind"' in text):
            return  # JSON that is not a manifest (package.json, dashboards) is read by the rules that need it
        if _is_template_path(path) and "{{" in text:
            self.notes.append(Note("unrendered Helm template skipped (render the chart to lint it)", path,
                                   kind="template"))
            return
        stream = load_stream(text)
        fatal = [issue for issue in stream.issues if issue.fatal]
        if stream.placeholder_line is not None or (fatal and "{{" in _line(text, fatal[0].line, around=1)):
            line = stream.placeholder_line or fatal[0].line
            self.notes.append(Note(f"unquoted template placeholder at line {line}: read as an unrendered "
                                   "template and skipped", path, kind="template"))
            return
        if "readylint:" in text:  # only linted files can hold suppression comments that matter
            self.texts[path] = text
        for issue in stream.issues:
            self.rl001(path, f"invalid YAML in {path}: {issue.message}.", issue.line, issue.col)
        entry = entry or (_input_for(path, self.inputs) if self.inputs else None)
        is_manifest = entry is not None or not self.inputs
        for doc in stream.documents:
            self._add_document(path, doc, entry, is_manifest)

    def _add_document(self, path, doc, entry, is_manifest):
        data = doc.data
        if data is None:
            return
        if not (isinstance(data, YMap) and "apiVersion" in data and "kind" in data):
            self.documents.setdefault(path, []).append(doc)
            return
        production = bool(entry.get("production", True)) if entry else True
        production = production and is_manifest
        environment = entry.get("name", "") if entry else ""
        namespace = entry.get("namespace") if entry else None
        items = data.get("items")
        if str(data.get("kind")).endswith("List") and isinstance(items, YSeq):
            for item in items:
                if isinstance(item, YMap) and "apiVersion" in item and "kind" in item:
                    self.objects.append(K8sObject(path, doc.index, item, doc.source, environment, production,
                                                  namespace, item.line))
            return
        self.objects.append(K8sObject(path, doc.index, data, doc.source, environment, production, namespace,
                                      doc.line))


def _line(text: str, number: int, around: int = 0) -> str:
    lines = text.splitlines()
    return "\n".join(lines[max(0, number - 1 - around): number + around])


def project_base(root: str, rel_paths) -> str:
    """The project folder of a monorepo run: the one linted folder below the root that holds its own
    .readylint.yaml; repository-level items are then judged inside it. "" otherwise."""
    if rel_paths and len(rel_paths) == 1 and rel_paths[0] not in (".", "") and \
            os.path.isfile(os.path.join(root, rel_paths[0], ".readylint.yaml")):
        return rel_paths[0]
    return ""


def selection_gap(rel_paths, base: str = "", files=()) -> tuple | None:
    """(N/A reason, why) when the run does not cover the repository root (or a project folder), so
    repository-level items (docs, CI, reports, history) are not judged: standard input or an empty folder
    has no repository at all, and a selection below the root (`readylint check deploy/`) asks about those
    files only."""
    if rel_paths is None:
        return NOT_RELEVANT, "standard input has no repository around it"
    if not files:
        return NOT_RELEVANT, "no repository files were linted (an empty selection)"
    if base or any(p in (".", "") for p in rel_paths):
        return None
    shown = ", ".join(sorted(rel_paths)[:3]) + (", ..." if len(rel_paths) > 3 else "")
    return EVIDENCE_UNAVAILABLE, (f"only part of the repository was linted ({shown}); lint the repository root to "
                                  "judge repository-level items")


def _service_assumed(index: RepoIndex) -> list:
    """A note when the repository deploys nothing readylint can see: it is judged as a service all the same
    (``project.type`` defaults to service), so its documentation and CI items fail like a service's would."""
    from .model.deploy_units import deploys_something

    if deploys_something(index):
        return []
    return [Note("This repository deploys nothing readylint can see (no Kubernetes manifests, Helm chart, "
                 "kustomization, Dockerfile or infrastructure code), yet it is judged as a service (project.type "
                 "defaults to service). If it is a library or a batch job, set project.type in .readylint.yaml; if "
                 "the service it serves is deployed from another repository, lint that repository.")]


def _waivers_of_all_objects(index: RepoIndex):
    """Every ignore annotation in the render, with the subject key it belongs to."""
    owners = {id(wl.pod_obj): wl for wl in index.workloads}
    for obj in index.objects:
        wl = owners.get(id(obj))
        subject = wl.subject() if wl is not None else obj.subject()
        for code, reason, location in subject.waivers:
            yield subject.key, code, reason, location


def run(options: RunOptions) -> Report:
    """Lint the repository the options name; raises ConfigError for usage and configuration errors."""
    with custom_catalogue() as add_custom_rules:  # the config's custom rules are rules for this run only
        return _lint(options, add_custom_rules)


def _lint(options: RunOptions, add_custom_rules) -> Report:
    cwd = options.cwd or os.getcwd()
    paths = options.paths or ["."]
    reading_stdin = paths == ["-"]
    first = cwd if reading_stdin else os.path.join(cwd, paths[0])
    for path in paths:
        if path != "-" and not os.path.exists(os.path.join(cwd, path)):
            raise ConfigError(f"{path}: no such file or directory")
    root = os.path.realpath(options.root) if options.root else find_root(first)
    config = load_config(root, os.path.join(cwd, options.config) if options.config else None,
                         start=first if os.path.isdir(first) else os.path.dirname(first))
    if config.custom:
        from .custom_rules import build

        add_custom_rules(build(config.custom))
    selected = _selected(config, options)
    _check_rule_options(config)
    snapshot_path = _settings_snapshot(options, cwd)
    changed = None
    if options.changed_since:  # asked before linting, so an unknown REF stops the run at once
        from .changes import changed_since

        changed = changed_since(root, options.changed_since)

    loader = _Loader(root, config)
    rel_paths = None if reading_stdin else [
        os.path.relpath(os.path.realpath(os.path.join(cwd, p)), root).replace(os.sep, "/") for p in paths]
    files = _load_inputs(loader, options, rel_paths, config)
    base = "" if reading_stdin else project_base(root, rel_paths)
    if not config.manifest_inputs:
        loader.notes += _read_examples_as_context(loader.objects, base)
    loader.notes += _kustomize_patches_as_context(loader.objects, root)
    helm = HelmStage(root, config, options, files, config.exclude_paths + list(options.excludes))
    helm.render_into(loader, helm.plan(loader.objects, rel_paths or []))
    settings = {"exclude_namespaces": config.exclude_namespaces,
                "exclude_helm_hooks": config.exclude_helm_hooks,
                "project": config.section("project"), "platform": config.section("platform"),
                "max_file_bytes": loader.max_bytes, "config": config,
                "today": options.today or _dt.date.today(),  # freshness rules age documents against it
                "github_settings": snapshot_path, "github_settings_shown": options.github_settings,
                "project_base": base, "selection_gap": selection_gap(rel_paths, base, files)}
    index = RepoIndex(loader.objects, root, files, settings)
    index.documents = loader.documents

    if not settings["selection_gap"] and not config.section("project").get("type"):
        loader.notes += _service_assumed(index)
    runs = _evaluate(selected, index, config, settings["selection_gap"])
    for r in runs:
        r.outcomes += helm.unavailable(r.meta)
    selected_codes = {m.code for m in selected}
    github = vars(index).get("github_settings")  # set only when a settings rule read the snapshot
    if github is not None and github.note:
        loader.notes.append(Note(github.note, github.path))
    for path, message, line, col in index.repo.problems:  # files the rules read beyond the manifests
        loader.rl001(path, message, line, col)
    findings = [f for r in runs for f in r.findings] + [f for f in loader.findings if f.code in selected_codes]
    # rendered Helm output: findings, waivers and comments move to the templates that caused them
    helm.mapper(loader.objects, lambda path: (_input_for(path, loader.inputs) or {}).get("chart"))
    findings = helm.remap(findings)
    findings = _apply_suppressions(findings, runs, selected_codes, index, loader, helm, config, options, cwd, root)

    outcomes = helm.remap_outcomes({r.meta.code: r.outcomes for r in runs})
    statuses = {meta.code: rule_status(outcomes.get(meta.code, []), [f for f in findings if f.code == meta.code])
                for meta in selected}
    report = Report(root=root, version=__version__, rules=selected, findings=findings, statuses=statuses,
                    outcomes=outcomes, notes=sorted(loader.notes, key=lambda n: (n.path or "", n.message)),
                    errors=[r.error for r in runs if r.error], files_read=len(files), objects=len(index.objects))
    report.cwd, report.failed_charts = cwd, frozenset(job.chart_dir for job, _ in helm.failed)
    if changed is not None:  # pull-request mode: SARIF keeps everything, the exit code follows what is shown
        report.changed_files = changed.paths
        report.changed_since = options.changed_since if changed.paths is not None else None
        report.warnings += [changed.warning] if changed.warning else []
    fail_on = options.fail_on or config.data.get("fail_on") or "error"
    report.exit_code = exit_code([f for f in findings if report.in_scope(f)], fail_on, options.exit_zero,
                                 report.errors)
    return report


def _read_examples_as_context(objects, base: str) -> list[Note]:
    """Without `inputs.manifests`, manifests in test, example and docs folders are read as context (selectors
    and cross-references still see them) but not judged, unless nothing else is there to judge."""
    context = [o for o in objects if in_context_folder(o.path, base)]
    if not context or len(context) == len(objects):
        return []
    for obj in context:
        obj.production = False
    paths = sorted({o.path for o in context})
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return [Note(f"{len(context)} objects in {len(paths)} files under test, example and docs folders ({shown}) "
                 "were read as context, not judged; list the manifests to judge under inputs.manifests to change "
                 "this")]


def _kustomize_patches_as_context(objects, root: str) -> list[Note]:
    """Files a kustomization names as patches hold pieces merged into other objects (a Deployment with only
    its replicas), never objects of their own: they are read as context, not judged. kustomize loads a patch
    only from inside its kustomization's folder, so the kustomizations to read are in the manifests' folders
    and above them, linted or not (a pre-commit run passes the changed patch alone)."""
    from .helm.sources import KUSTOMIZATION_FILES

    folders = {posixpath.dirname(o.path) for o in objects if o.production and not o.path.startswith("<")}
    for folder in list(folders):
        while folder:
            folder = posixpath.dirname(folder)
            folders.add(folder)
    kustomizations = [posixpath.join(folder, name) for folder in sorted(folders) for name in KUSTOMIZATION_FILES
                      if os.path.isfile(os.path.join(root, folder, name))]
    if not kustomizations:
        return []
    from .helm.kustomize_tree import patch_files

    patches = patch_files(root, kustomizations)
    pieces = [o for o in objects if o.path in patches and o.production]
    for obj in pieces:
        obj.production = False
    paths = sorted({o.path for o in pieces})
    if not paths:
        return []
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    objects_in = f"{len(pieces)} object{'s' if len(pieces) != 1 else ''} in {len(paths)} kustomize patch " \
                 f"file{'s' if len(paths) != 1 else ''} ({shown}) {'were' if len(pieces) != 1 else 'was'}"
    return [Note(f"{objects_in} read as context, not judged: a patch is merged into the object it patches")]


def _settings_snapshot(options: RunOptions, cwd: str) -> str | None:
    """The snapshot named with --github-settings: it must exist and validate (C3, issue 6); None if not named."""
    if not options.github_settings:
        return None
    snapshot_path = os.path.join(cwd, options.github_settings)
    if not os.path.isfile(snapshot_path):
        raise ConfigError(f"{options.github_settings}: GitHub settings snapshot not found (write one with "
                          "`readylint snapshot github OWNER/REPO`)")
    from .model.github_snapshot import check_snapshot_file

    problem = check_snapshot_file(snapshot_path)
    if problem:
        raise ConfigError(f"{options.github_settings}: {problem}")
    return snapshot_path


def _load_inputs(loader: _Loader, options: RunOptions, rel_paths, config: Config) -> list[str]:
    """Read standard input, or every listed file with a manifest suffix; the repository-relative file list."""
    if rel_paths is None:
        text, problem = decode(options.stdin_text.encode("utf-8", "surrogateescape")
                               if isinstance(options.stdin_text, str) else options.stdin_text or b"")
        if problem is not None:
            loader.rl001(STDIN_PATH, f"standard input cannot be linted: {problem.message}.", problem.line,
                         problem.col)
        else:
            loader.load_file(STDIN_PATH, text)
        return [STDIN_PATH]
    files = list_files(loader.root, rel_paths, config.exclude_paths + list(options.excludes))
    load_files(loader, files, MANIFEST_SUFFIXES, options.jobs, options.progress)  # worker processes when big
    return files


def _evaluate(selected, index: RepoIndex, config: Config, gap) -> list:
    """Run the selected rules; roll-up rules (scope "roll-up", COMP002) run last and read the earlier runs.
    Repository-level rules are not run when the selection does not cover the repository (``gap``)."""
    runs, index.rule_runs = [], {}
    for meta in sorted((m for m in selected if not m.code.startswith("RL")), key=lambda m: m.scope == "roll-up"):
        if gap and needs_whole_repository(meta):
            runs.append(not_run(meta, index.repo.subject().not_applicable(*gap)))
        else:
            runs.append(run_rule(meta, index, config))
        index.rule_runs[meta.code] = runs[-1]
    return runs


def _apply_suppressions(findings, runs, selected_codes, index, loader, helm, config, options, cwd, root):
    """Annotations, inline comments (manifests, templates, docs), config ignores and the baseline; then the
    RL002/RL003 findings about the suppressions themselves, merged and sorted."""
    suppressor = Suppressor({r.meta.code for r in runs if not r.error} | {"RL001"}, options.today)
    for subject_key, code, reason, location in _waivers_of_all_objects(index):
        suppressor.add_annotation(subject_key, code, reason, helm.primary(location))
    for path, text in {**loader.texts, **helm.template_texts()}.items():
        suppressor.add_inline_comments(path, text)
    if "_docset" in vars(index):  # `<!-- readylint: ignore[...] -->` in the docs the rules read
        from .model.docs import suppression_texts

        for path, text in suppression_texts(index):
            suppressor.add_inline_comments(path, text)
    for entries, path, positions in config.ignore_sources():  # each file's ignores (extends.py)
        suppressor.add_config_ignores(entries, path, positions)
    if options.baseline:
        baseline_path = os.path.join(cwd, options.baseline)
        if not os.path.isfile(baseline_path):
            raise ConfigError(f"{options.baseline}: baseline file not found")
        try:
            entries, text = read_baseline(baseline_path)
        except (ValueError, OSError) as exc:
            raise ConfigError(f"{options.baseline}: cannot read the baseline: {exc}") from None
        shown = os.path.relpath(os.path.realpath(baseline_path), root).replace(os.sep, "/")
        suppressor.add_baseline(entries, shown, text)
    findings = suppressor.apply(findings)
    extra = [f for f in suppressor.problems + suppressor.unused() if f.code in selected_codes]
    findings += suppressor.apply(extra)
    findings = merge(findings)
    findings.sort(key=Finding.sort_key)
    return findings
