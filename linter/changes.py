"""Pull-request mode (`--changed-since REF`): which files changed, and which findings that puts in scope.

Changed files are those of ``git diff --name-only REF...HEAD`` (three dots: from the merge base of REF and
HEAD, so commits that landed on the base branch after the branch point do not count, as in a pull request's
"Files changed") plus uncommitted changes (staged, unstaged and untracked files). Renames count under both
names. GitPython is imported here only, on use: a plain `check` never pays for it.

A finding is in scope when its primary or one of its related files changed. A repository-level finding
(subject ``repo:…``, anchored at the README) is also in scope when any changed file is of an evidence kind its
rule reads (rules.md 0.1) or the configuration changed: kept coarse on purpose, so a change that could have
caused it always shows it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .config import ConfigError

CONFIG_FILES = (".readylint.yaml", ".readylint.yml")
SETTINGS_FILES = (".readylint/github-settings.json", "codeowners", ".github/codeowners", "docs/codeowners")
REPORT_SUFFIXES = (".xml", ".lcov", ".info", ".out", ".sarif")


@dataclass(frozen=True)
class ChangedFiles:
    """The outcome of asking git: the changed paths (repository-relative), or why there are none."""

    paths: frozenset | None  # None: no usable history, report everything
    warning: str | None = None


def changed_since(root: str, ref: str) -> ChangedFiles:
    """Files under ``root`` changed since ``ref``. Unknown ref in a full clone: ConfigError (exit 2).
    No git, no commits, a shallow clone without the ref or without a merge base: a warning, no filter."""
    try:
        import git
    except ImportError as exc:  # GitPython needs the git binary at import time
        return ChangedFiles(None, f"--changed-since {ref}: git is unavailable ({exc}); reporting every finding")
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return ChangedFiles(None, f"--changed-since {ref}: {_shown(root)} is not a git repository; "
                                  "reporting every finding")
    with repo:
        return _diff(repo, root, ref, git)


def _diff(repo, root: str, ref: str, git) -> ChangedFiles:
    shallow = os.path.exists(os.path.join(repo.git_dir, "shallow"))
    hint = ("the clone is shallow: fetch the base commit (actions/checkout with fetch-depth: 0) "
            "to report only changed files; reporting every finding")
    try:
        repo.git.rev_parse("--verify", "--quiet", "HEAD^{commit}")
    except git.GitCommandError:
        return ChangedFiles(None, f"--changed-since {ref}: the repository has no commits yet; "
                                  "reporting every finding")
    try:
        repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except git.GitCommandError:
        if shallow:
            return ChangedFiles(None, f"--changed-since {ref}: {ref} is not in this clone; {hint}")
        raise ConfigError(f"--changed-since: unknown git revision '{ref}'") from None
    try:
        base = repo.git.merge_base(ref, "HEAD").strip()
    except git.GitCommandError:
        why = hint if shallow else "it shares no history with HEAD; reporting every finding"
        return ChangedFiles(None, f"--changed-since {ref}: no merge base with HEAD: {why}")
    names = set(_names(repo.git.diff("--name-only", "--no-renames", "-z", base, "HEAD")))
    names |= set(_names(repo.git.diff("--name-only", "--no-renames", "-z", "HEAD")))  # staged and unstaged
    names |= set(_names(repo.git.ls_files("--others", "--exclude-standard", "-z")))
    top = os.path.realpath(repo.working_tree_dir)
    here = os.path.realpath(root)
    paths = set()
    for name in names:
        relative = os.path.relpath(os.path.join(top, name), here).replace(os.sep, "/")
        if not relative.startswith("../"):
            paths.add(relative)
    return ChangedFiles(frozenset(paths))


def _names(output: str) -> list[str]:
    return [name for name in output.split("\0") if name]


def _shown(root: str) -> str:
    return os.path.basename(root.rstrip(os.sep)) or root


def evidence_kinds(path: str) -> set[str]:
    """Evidence letters (rules.md 0.1) a changed file can feed: YAML and JSON are manifests (M, A), CI files
    are C, other files (docs, Dockerfiles, dependency manifests) are R; any commit is history (G)."""
    lower = path.lower()
    name = lower.rsplit("/", 1)[-1]
    kinds = {"G"}
    if lower.startswith((".github/workflows/", ".github/actions/")) or name.endswith(".gitlab-ci.yml"):
        kinds.add("C")
    elif lower.endswith((".yaml", ".yml", ".json")):
        kinds |= {"M", "A"}
        if name.startswith("catalog-info."):
            kinds.add("R")
    else:
        kinds.add("R")
    if lower in SETTINGS_FILES:
        kinds.add("S")
    if lower.endswith(REPORT_SUFFIXES) or "coverage" in name or "junit" in name:
        kinds.add("T")
    return kinds


def rule_kinds(evidence: str) -> set[str]:
    return set(re.findall(r"[MARCTGS]", evidence or ""))


def in_scope(finding, changed, rules) -> bool:
    """Whether a finding is shown in pull-request mode (see the module docstring)."""
    if changed is None or finding.location.path in changed:
        return True
    if any(r.location.path in changed for r in finding.related):
        return True
    if not finding.subject.startswith("repo:"):
        return False
    if any(path in CONFIG_FILES for path in changed):
        return True
    meta = next((m for m in rules if m.code == finding.code), None)
    wanted = rule_kinds(meta.evidence) if meta is not None else set()
    return any(wanted & evidence_kinds(path) for path in changed)
