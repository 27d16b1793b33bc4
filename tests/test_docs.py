"""`readylint docs [--check]`: rule pages generated from the metadata (house-style §8, integrations.md C1)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from readylint import docsgen
from readylint.cli import main
from readylint.registry import all_rules, checklist

ROOT = Path(__file__).resolve().parent.parent


def test_committed_docs_are_up_to_date(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["docs", "--check"])
    assert result.exit_code == 0, f"run `readylint docs` to update docs/rules:\n{result.output}"
    assert docsgen.check(ROOT / "docs" / "rules") == []


def test_generate_writes_one_page_per_rule_and_the_index(tmp_path):
    out = tmp_path / "rules"
    result = CliRunner().invoke(main, ["docs", str(out)])
    assert result.exit_code == 0, result.output
    expected = {f"{m.code}-{m.slug}.md" for m in all_rules()} | {"README.md"}
    assert {p.name for p in out.iterdir()} == expected
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n")
    index = (out / "README.md").read_text(encoding="utf-8")
    implemented = sum(1 for m in all_rules() if not m.code.startswith("RL"))
    assert f"{implemented} of the {len(checklist())} checklist items are implemented" in index
    for meta in all_rules():
        assert f"[{meta.code}]({meta.code}-{meta.slug}.md)" in index
    # deterministic: a second run changes nothing
    assert docsgen.check(out) == []
    assert docsgen.generate(out) == docsgen.generate(out)


def test_check_reports_stale_and_edited_pages(tmp_path):
    out = tmp_path / "rules"
    docsgen.write(out)
    meta = all_rules()[0]
    edited = out / f"{meta.code}-{meta.slug}.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    stale = out / "XX999-removed-rule.md"
    stale.write_text("# gone\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["docs", str(out), "--check"])
    assert result.exit_code == 1
    assert edited.name in result.output and stale.name in result.output
    assert "readylint docs" in result.output
    assert edited.read_text(encoding="utf-8").endswith("hand edit\n")  # --check writes nothing
    assert stale.exists()

    docsgen.write(out)
    assert not stale.exists()
    assert CliRunner().invoke(main, ["docs", str(out), "--check"]).exit_code == 0


def test_check_reports_missing_pages(tmp_path):
    problems = docsgen.check(tmp_path / "nowhere")
    assert len(problems) == len(all_rules()) + 1
    assert all(problem.endswith("missing") for problem in problems)


@pytest.mark.parametrize("meta", all_rules(), ids=lambda m: m.code)
def test_page_is_the_explain_text(meta, tmp_path):
    result = CliRunner().invoke(main, ["explain", meta.code])
    assert result.exit_code == 0, result.output
    page = docsgen.generate(tmp_path)[tmp_path / f"{meta.code}-{meta.slug}.md"]
    assert page == result.output + docsgen.FOOTER
