"""The generated rule catalogue (linter/data/catalogue*.json) says exactly what the rule modules say.

Runs read the catalogue instead of importing every rule module; `readylint docs` regenerates it and
`readylint docs --check` (CI) fails when a rule changed without it.
"""
from __future__ import annotations

import dataclasses

from readylint.registry import LazyCheck, builtin_rules, discover_rules


def test_catalogue_matches_the_rule_modules():
    shipped, discovered = builtin_rules(), discover_rules()
    assert [m.code for m in shipped] == [m.code for m in discovered]
    for lazy, real in zip(shipped, discovered):
        for field in dataclasses.fields(real):
            if field.name == "check":
                assert lazy.check.module == real.check.__module__, real.code
            elif field.name == "doc":
                assert dict(lazy.doc) == real.doc, real.code
            else:
                assert getattr(lazy, field.name) == getattr(real, field.name), (real.code, field.name)


def test_a_shipped_rule_imports_its_module_on_first_call_and_runs_it(tmp_path):
    from tests.helpers import lint

    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  replicas: 1\n",
        encoding="utf-8")
    meta = next(m for m in builtin_rules() if m.code == "HA001")
    assert isinstance(meta.check, LazyCheck)
    report = lint(tmp_path, select=["HA001"])
    assert [(f.code, f.location.path, f.location.line) for f in report.active] == [("HA001", "deploy.yaml", 5)]
