"""Per-rule fixtures: `pass/` gives no finding of the rule; each `fail*/` matches its expected.txt.

Fixture folders live in tests/fixtures/rules/<CODE>-<slug>/. Run pytest with --update-snapshots to
rewrite expected.txt, then review the diff.
"""
from __future__ import annotations

import pytest

from readylint.registry import all_rules

from .conftest import FIXTURES
from .helpers import lint, normalise

RULE_DIR = FIXTURES / "rules"


def _cases():
    for meta in all_rules():
        folder = RULE_DIR / f"{meta.code}-{meta.slug}"
        if not folder.is_dir():
            continue
        for case in sorted(p for p in folder.iterdir() if p.is_dir()):
            yield pytest.param(meta.code, case, id=f"{meta.code}/{case.name}")


@pytest.mark.parametrize(("code", "case"), list(_cases()))
def test_rule_fixture(code, case, update_snapshots):
    report = lint(case, select=[code])
    own = [f for f in report.active if f.code == code]
    assert not report.errors, report.errors
    if case.name.startswith("pass") or case.name.startswith("na-"):
        assert normalise(own) == "", f"{case} must give no {code} finding"
        return
    expected_file = case / "expected.txt"
    actual = normalise(own)
    if update_snapshots:
        expected_file.write_text(actual, encoding="utf-8")
    assert actual, f"{case} must give at least one {code} finding"
    assert actual == expected_file.read_text(encoding="utf-8")


def test_every_rule_has_pass_and_fail_fixtures():
    missing = []
    for meta in all_rules():
        if meta.code.startswith("RL"):
            continue
        folder = RULE_DIR / f"{meta.code}-{meta.slug}"
        names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
        if "pass" not in names or not any(n.startswith("fail") for n in names):
            missing.append(meta.code)
    assert missing == []


def test_no_orphan_fixture_folders():
    known = {f"{m.code}-{m.slug}" for m in all_rules()}
    orphans = [p.name for p in RULE_DIR.iterdir() if p.is_dir() and p.name not in known]
    assert orphans == []
