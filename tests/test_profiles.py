"""Profiles (minimal < standard < production) and `extends:` (shared configuration files, merge rules, cycles)."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from readylint import cli, profiles
from readylint.cli import main
from readylint.registry import checklist

from .conftest import REPO
from .helpers import lint

DEMO = REPO / "examples" / "demo-service"


def test_profiles_grow_to_the_whole_checklist():
    minimal, standard, production = (profiles.codes(n) for n in profiles.NAMES)
    assert minimal < standard < production
    assert production == {item["code"] for item in checklist()} and len(production) == 67
    added = [code for step in profiles.STEPS for code in step.adds]
    assert len(added) == len(set(added)) == 67  # each item is added by exactly one profile
    assert cli.PROFILES == profiles.NAMES


def test_readme_lists_each_profile_as_profiles_py_does():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Profiles", 1)[1].split("\n## ", 1)[0]
    for step in profiles.STEPS:
        line = next(line for line in section.splitlines() if line.startswith(f"| `{step.name}`"))
        assert set(re.findall(r"\b[A-Z]+[0-9]{3}\b", line)) == set(step.adds), step.name


def _keys(report):
    return {(f.code, f.location.path, f.location.line, f.location.col, f.message) for f in report.active}


def test_minimal_reports_a_strict_subset_of_production_on_the_demo():
    minimal = lint(DEMO, profile="minimal", no_render=True)
    production = lint(DEMO, profile="production", no_render=True)
    assert _keys(minimal) < _keys(production)
    assert {f.code for f in minimal.active} <= profiles.codes("minimal") | {"RL001", "RL002", "RL003"}
    assert {m.code for m in minimal.rules if not m.code.startswith("RL")} <= profiles.codes("minimal")


def test_profile_on_the_command_line(monkeypatch):
    monkeypatch.chdir(DEMO)
    runner = CliRunner()
    out = {}
    for name in ("minimal", "production"):
        result = runner.invoke(main, ["check", ".", "--profile", name, "--format", "json", "--no-render"])
        assert result.exit_code == 1
        out[name] = {(f["code"], f["location"]["path"], f["location"]["line"])
                     for f in json.loads(result.output)["findings"]}
    assert out["minimal"] < out["production"]
    listed = json.loads(runner.invoke(main, ["rules", "--profile", "minimal", "--format", "json"]).output)
    assert {r["code"] for r in listed} - {"RL001", "RL002", "RL003"} <= profiles.codes("minimal")
    assert all(r["profile"] == "minimal" for r in listed if not r["code"].startswith("RL"))


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1
"""


def test_config_profile_command_line_wins_and_extend_select_adds(tmp_path):
    _write(tmp_path / "d.yaml", DEPLOY)
    _write(tmp_path / ".readylint.yaml", "profile: minimal\nrules:\n  extend_select: [HA002]\n")
    chosen = {m.code for m in lint(tmp_path).rules}
    assert "HA002" in chosen and "HA005" not in chosen and "HA001" in chosen
    everything = {m.code for m in lint(tmp_path, profile="production").rules}
    assert "HA005" in everything


def test_unknown_profile_in_config_is_a_configuration_error(tmp_path, monkeypatch):
    _write(tmp_path / ".readylint.yaml", "profile: strict\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", ".", "--no-render"])
    assert result.exit_code == 2
    assert ".readylint.yaml:1: invalid configuration at /profile" in result.output


ORG = """\
profile: standard
thresholds: {min_replicas: 2, expected_zones: 3}
exclude: {paths: [vendor/**]}
rules:
  ignore: [HA005]
custom_rules:
  - code: X-TEAM-LABEL
    level: error
    message: Workloads carry a team label
    help: Add metadata.labels.team.
    match: {kinds: [Deployment]}
    schema: {required: [metadata], properties: {metadata: {required: [labels]}}}
  - code: X-ORG-ONLY
    level: note
    message: Workloads name their image registry
    help: Use registry.example.com.
    match: {kinds: [Deployment], each: spec.template.spec.containers}
    schema: {properties: {image: {pattern: "^registry\\\\.example\\\\.com/"}}}
ignores:
  - rules: [HA003]
    paths: [nowhere/**]
    reason: org-wide exception that matches nothing here
"""


def test_extends_merges_maps_appends_lists_and_local_wins(tmp_path):
    _write(tmp_path / "org" / "readylint.yaml", ORG)
    _write(tmp_path / "d.yaml", DEPLOY)
    _write(tmp_path / ".readylint.yaml", """\
extends: org/readylint.yaml
thresholds: {min_replicas: 1}
rules:
  ignore: [HA002]
custom_rules:
  - code: X-TEAM-LABEL
    level: warning
    message: Workloads carry a team label
    help: Add metadata.labels.team (team override).
    match: {kinds: [Deployment]}
    schema: {required: [metadata], properties: {metadata: {required: [labels]}}}
""")
    from readylint.config import load_config

    config = load_config(str(tmp_path), None)
    assert config.path == ".readylint.yaml" and config.data["profile"] == "standard"
    assert config.thresholds == {"min_replicas": 1, "expected_zones": 3}    # maps merge, local wins
    assert config.rules["ignore"] == ["HA005", "HA002"]                     # lists append
    assert config.exclude_paths == ["vendor/**"] and "extends" not in config.data
    assert [(e.code, e.source) for e in config.custom] == [("X-ORG-ONLY", "org/readylint.yaml"),
                                                           ("X-TEAM-LABEL", ".readylint.yaml")]
    report = lint(tmp_path)
    chosen = {m.code for m in report.rules}
    assert {"HA005", "HA002", "PERF003"}.isdisjoint(chosen) and "HA001" in chosen  # standard, minus ignores
    levels = {f.code: f.level for f in report.active if f.code.startswith("X-")}
    assert levels == {"X-TEAM-LABEL": "warning"}                            # the team's definition replaced the org's
    unused = [(f.code, f.location.path, f.location.line) for f in report.active if f.code == "RL002"]
    assert unused == [("RL002", "org/readylint.yaml", 20)]                  # an org ignore is reported in the org file


def test_extends_a_list_in_order_relative_to_each_file(tmp_path):
    _write(tmp_path / "shared" / "base.yaml", "fail_on: note\nthresholds: {min_replicas: 5}\n")
    _write(tmp_path / "shared" / "strict.yaml", "extends: base.yaml\nthresholds: {min_replicas: 4}\n")
    _write(tmp_path / "shared" / "team.yaml", "fail_on: warning\n")
    _write(tmp_path / ".readylint.yaml", "extends: [shared/strict.yaml, shared/team.yaml]\n")
    from readylint.config import load_config

    config = load_config(str(tmp_path), None)
    assert config.data["fail_on"] == "warning" and config.thresholds == {"min_replicas": 4}
    assert [path for path, _ in config.layers] == ["shared/base.yaml", "shared/strict.yaml", "shared/team.yaml",
                                                   ".readylint.yaml"]


@pytest.mark.parametrize(("files", "expected"), [
    ({".readylint.yaml": "extends: a.yaml\n", "a.yaml": "extends: [.readylint.yaml]\n"},
     "a.yaml:1: extends: cycle .readylint.yaml -> a.yaml -> .readylint.yaml"),
    ({".readylint.yaml": "fail_on: note\nextends: missing.yaml\n"}, ".readylint.yaml:2: extends: missing.yaml not found"),
    ({".readylint.yaml": "extends: a.yaml\n", "a.yaml": "thresholds: {min_replicas: zero}\n"},
     "a.yaml:1: invalid configuration at /thresholds/min_replicas"),
])
def test_extends_errors_exit_2_with_file_and_line(tmp_path, monkeypatch, files, expected):
    for name, text in files.items():
        _write(tmp_path / name, text)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", ".", "--no-render"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("readylint: error: " + expected), result.output


def test_selecting_only_rules_outside_the_profile_says_so(tmp_path, monkeypatch):
    _write(tmp_path / "d.yaml", DEPLOY)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", ".", "--profile", "minimal", "--select", "HA005", "--no-render"])
    assert result.exit_code == 2
    assert "the selected rules are outside profile 'minimal'" in result.output
    inside = CliRunner().invoke(main, ["check", ".", "--profile", "minimal", "--select", "HA", "--format", "json",
                                       "--no-render"])
    assert {f["code"] for f in json.loads(inside.output)["findings"]} <= {"HA001", "HA003", "HA006"}
