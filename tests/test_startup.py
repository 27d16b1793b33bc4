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
