"""Run the selected rules over the index: stamp each rule's identity on its drafts, catch errors."""
from __future__ import annotations

from dataclasses import dataclass, field

from .findings import FAIL, Finding, Outcome
from .registry import RuleMeta


@dataclass
class RuleRun:
    """What one rule produced: its outcomes and the findings made from their drafts."""

    meta: RuleMeta
    outcomes: list[Outcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None


def rule_options(meta: RuleMeta, config) -> dict:
    """Defaults, overridden by same-named `thresholds`, then by `rules.options.<CODE>`."""
    opts = dict(meta.options)
    thresholds = config.thresholds
    for name in opts:
        if name in thresholds:
            opts[name] = thresholds[name]
    per_rule = config.rules.get("options", {}).get(meta.code, {})
    opts.update(per_rule or {})
    return opts


def finding_from(meta: RuleMeta, outcome: Outcome, level_override: str | None) -> Finding:
    draft = outcome.finding
    level = level_override or draft.level or meta.severity
    subject = outcome.subject
    return Finding(code=meta.code, slug=meta.slug, level=level, message=draft.message, location=draft.at,
                   related=draft.related, subject=subject.key, key_path=draft.key_path,
                   environment=subject.environment, fqn=subject.fqn, properties=dict(draft.properties))


REPOSITORY_EVIDENCE = frozenset("RCTG")  # docs, CI, reports, history: the whole repository's files


def needs_whole_repository(meta: RuleMeta) -> bool:
    """Repository-level rules over repository files: judged only when the run covers the repository root."""
    letters = {part.strip() for part in (meta.evidence or "").split(",")}
    return meta.scope in ("repository", "roll-up") and bool(letters & REPOSITORY_EVIDENCE)


def not_run(meta: RuleMeta, outcome) -> RuleRun:
    """The run of a rule that was not evaluated, with the one outcome that says why."""
    return RuleRun(meta, outcomes=[outcome])


def run_rule(meta: RuleMeta, index, config) -> RuleRun:
    run = RuleRun(meta)
    override = config.rules.get("severity", {}).get(meta.code)
    try:
        for outcome in meta.check(index, rule_options(meta, config)) or ():
            run.outcomes.append(outcome)
            if outcome.status == FAIL and outcome.finding is not None:
                run.findings.append(finding_from(meta, outcome, override))
    except Exception:  # a rule bug: the other rules finish, the run exits 2
        import traceback

        run.error = f"internal error in rule {meta.code} ({meta.slug}):\n{traceback.format_exc()}"
    return run
