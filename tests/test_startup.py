"""Cheap start-up: the CLI module and `--version` do not import libraries they do not use."""
from __future__ import annotations

import subprocess
import sys

HEAVY = ("github", "git", "jinja2", "jsonschema")


def test_cli_import_leaves_heavy_libraries_unloaded():
    code = ("import sys, readylint.cli; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_check_without_config_does_not_load_jsonschema_jinja_or_pygithub(tmp_path):
    (tmp_path / "d.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", encoding="utf-8")
    code = ("import sys, runpy\n"
            "sys.argv = ['readylint', 'check', '.', '--format', 'text']\n"
            "try:\n    runpy.run_module('readylint', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            f"print('LOADED=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED="


def _top_level_modules_after(args, cwd) -> set[str]:
    """Top-level packages in sys.modules once `readylint ARGS` has run in a fresh interpreter."""
    code = ("import sys, runpy\n"
            f"sys.argv = ['readylint', *{list(args)!r}]\n"
            "try:\n    runpy.run_module('readylint', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print('LOADED=' + ','.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=True)
    return set(out.stdout.strip().splitlines()[-1].removeprefix("LOADED=").split(","))


def test_version_loads_click_and_nothing_heavier(tmp_path):
    loaded = _top_level_modules_after(["--version"], tmp_path)
    assert "click" in loaded
    assert loaded.isdisjoint({"ruamel", "_ruamel_yaml", "jinja2", "jsonschema", "git", "github", "xml", "tomllib",
                              "concurrent"})


def test_check_of_one_small_manifest_leaves_optional_libraries_unloaded(tmp_path):
    (tmp_path / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
                                          encoding="utf-8")
    loaded = _top_level_modules_after(["check", "deploy.yaml", "--format", "sarif", "--no-render"], tmp_path)
    assert {"ruamel", "click"} <= loaded
    assert loaded.isdisjoint({"jinja2", "jsonschema", "git", "github", "concurrent"})  # no pool below --jobs' threshold


def _modules_after(args, cwd, prefix: str) -> set[str]:
    """Modules under ``prefix`` in sys.modules once `readylint ARGS` has run in a fresh interpreter."""
    code = ("import sys, runpy\n"
            f"sys.argv = ['readylint', *{list(args)!r}]\n"
            "try:\n    runpy.run_module('readylint', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            f"print('LOADED=' + ','.join(sorted(m for m in sys.modules if m.startswith({prefix!r}))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=True)
    return set(out.stdout.strip().splitlines()[-1].removeprefix("LOADED=").split(",")) - {""}


def test_check_of_one_file_imports_only_the_rules_it_runs(tmp_path):
    """Repository-level rules are not judged for a single file (their items are "unknown"), so their modules
    and the CI and documentation models behind them are never imported."""
    (tmp_path / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
                                          encoding="utf-8")
    loaded = _modules_after(["check", "deploy.yaml", "--format", "text", "--no-render"], tmp_path, "readylint.")
    assert "readylint.rules.sec.sec002_pod_security_context" in loaded  # a manifest rule ran
    assert loaded.isdisjoint({"readylint.rules.cd.cd004_ci_pipeline", "readylint.rules.test.test001_unit_coverage",
                              "readylint.model.ci_tools", "readylint.model.coverage", "readylint.model.licences",
                              "readylint.helm.argocd", "readylint.helm.render", "readylint.helm.locate"})
    # the rules that did run have nothing for these to read: no docs, no settings snapshot, no dependency
    assert loaded.isdisjoint({"readylint.model.docs", "readylint.inputs.markup", "readylint.model.github_settings",
                              "readylint.rules.dep._inventory"})


def test_every_rule_is_loaded_when_the_whole_repository_is_checked(tmp_path):
    (tmp_path / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
                                          encoding="utf-8")
    loaded = _modules_after(["check", ".", "--format", "text", "--no-render"], tmp_path, "readylint.rules.")
    assert {"readylint.rules.cd.cd004_ci_pipeline", "readylint.rules.test.test001_unit_coverage"} <= loaded
