"""Every rule's documented Example runs: its `fail` blocks give a finding, its `pass` blocks none.

A block is a fenced code block whose info string is `<language> fail` or `<language> pass`, optionally
followed by `file=<repo-relative path>` (default `example.yaml`). The blocks of one kind together form
one small repository, so a documentation or CI rule can show a README beside a workflow.
"""
from __future__ import annotations

import re

import pytest

from readylint.registry import all_rules

from .helpers import lint

BLOCK = re.compile(r"^```[\w+-]* (fail|pass)(?: file=(\S+))?\n(.*?)^```", re.S | re.M)


def _examples():
    for meta in all_rules():
        if meta.code.startswith("RL"):
            continue
        blocks = BLOCK.findall(meta.doc.get("Example", ""))
        for kind in ("fail", "pass"):
            files = [(path or "example.yaml", body) for k, path, body in blocks if k == kind]
            if files:
                yield pytest.param(meta.code, kind, files, id=f"{meta.code}-{kind}")


def test_every_rule_documents_both_examples():
    for meta in all_rules():
        if meta.code.startswith("RL"):
            continue
        kinds = {kind for kind, _, _ in BLOCK.findall(meta.doc.get("Example", ""))}
        assert kinds == {"fail", "pass"}, f"{meta.code} needs a fail and a pass example"


@pytest.mark.parametrize(("code", "kind", "files"), list(_examples()))
def test_documented_example(tmp_path, code, kind, files):
    for path, body in files:
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
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
