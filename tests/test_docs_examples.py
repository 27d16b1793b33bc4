"""Every rule's documented Example runs: its `yaml fail` block gives a finding, its `yaml pass` none."""
from __future__ import annotations

import re

import pytest

from readylint.registry import all_rules

from .helpers import lint

BLOCK = re.compile(r"```yaml (fail|pass)\n(.*?)```", re.S)


def _examples():
    for meta in all_rules():
        if meta.code.startswith("RL"):
            continue
        for kind, body in BLOCK.findall(meta.doc.get("Example", "")):
            yield pytest.param(meta.code, kind, body, id=f"{meta.code}-{kind}")


def test_every_rule_documents_both_examples():
    for meta in all_rules():
        if meta.code.startswith("RL"):
            continue
        kinds = {kind for kind, _ in BLOCK.findall(meta.doc.get("Example", ""))}
        assert kinds == {"fail", "pass"}, f"{meta.code} needs a yaml fail and a yaml pass example"


@pytest.mark.parametrize(("code", "kind", "body"), list(_examples()))
def test_documented_example(tmp_path, code, kind, body):
    (tmp_path / "example.yaml").write_text(body, encoding="utf-8")
    report = lint(tmp_path, select=[code])
    own = [f for f in report.active if f.code == code]
    if kind == "fail":
        assert own, f"the fail example of {code} gives no finding"
    else:
        assert own == [], f"the pass example of {code} gives {[f.message for f in own]}"


def test_docstrings_have_the_fixed_sections():
    for meta in all_rules():
        for section in ("What it does", "Why it matters", "How to fix", "Example"):
            assert meta.doc.get(section), f"{meta.code} lacks the '{section}' section"
