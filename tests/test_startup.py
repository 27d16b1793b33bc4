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
