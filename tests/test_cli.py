"""The command line as a user meets it: exit codes, usage errors and bad input, never a traceback."""
from __future__ import annotations

import json
import textwrap
from dataclasses import replace

import pytest
from click.testing import CliRunner

from readylint import __version__, api
from readylint.cli import main
from readylint.registry import all_rules

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: api}}
  template:
    metadata:
      labels: {{app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
"""


def invoke(tmp_path, monkeypatch, *args, stdin=None):
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


FIXTURES = {
    "clean": (3, None),
    "note": (1, "note"),
    "warning": (1, "warning"),
    "error": (1, None),
}


def make_fixture(tmp_path, kind):
    if kind == "rl001":
        write(tmp_path, "broken.yaml", "a: b\n  c: d\n")
        return
    replicas, level = FIXTURES[kind]
    write(tmp_path, "deploy.yaml", DEPLOYMENT.format(replicas=replicas))
    if level:
        write(tmp_path, ".readylint.yaml", f"rules:\n  severity:\n    HA001: {level}\n")


EXPECTED = {  # fixture -> exit code for fail-on note, warning, error, never
    "clean": (0, 0, 0, 0),
    "note": (1, 0, 0, 0),
    "warning": (1, 1, 0, 0),
    "error": (1, 1, 1, 0),
    "rl001": (1, 1, 1, 0),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("fail_on", ["note", "warning", "error", "never"])
@pytest.mark.parametrize("exit_zero", [False, True])
def test_exit_code_matrix(tmp_path, monkeypatch, kind, fail_on, exit_zero):
    make_fixture(tmp_path, kind)
    args = ["check", ".", "--select", "HA001", "--fail-on", fail_on] + (["--exit-zero"] if exit_zero else [])
    result = invoke(tmp_path, monkeypatch, *args)
    expected = 0 if exit_zero else EXPECTED[kind][("note", "warning", "error", "never").index(fail_on)]
    assert result.exit_code == expected, result.output


def test_default_fail_on_is_error(tmp_path, monkeypatch):
    make_fixture(tmp_path, "warning")
    assert invoke(tmp_path, monkeypatch, "check", ".", "--select", "HA001").exit_code == 0


def test_missing_path_exits_2_naming_it(tmp_path, monkeypatch):
    result = invoke(tmp_path, monkeypatch, "check", "nowhere")
    assert result.exit_code == 2
    assert "nowhere: no such file or directory" in result.output


def test_missing_explicit_config_exits_2(tmp_path, monkeypatch):
    make_fixture(tmp_path, "clean")
    result = invoke(tmp_path, monkeypatch, "check", ".", "--config", "absent.yaml")
    assert result.exit_code == 2 and "absent.yaml: configuration file not found" in result.output


@pytest.mark.parametrize(("config", "expected"), [
    ("thresholds:\n  min_replica: 3\n", ".readylint.yaml:2: invalid configuration at /thresholds/min_replica: "
                                        "unknown key 'min_replica'"),
    ("thresholds:\n  min_replicas: three\n", ".readylint.yaml:2: invalid configuration at "
                                             "/thresholds/min_replicas: 'three' is not of type 'integer'"),
    ("rules:\n  select: [HA999]\n", "rules.select: unknown rule code, slug or family 'HA999'"),
    ("a: b\n  c: d\n", ".readylint.yaml:2:4: invalid YAML"),
    ("- a\n", "the configuration must be a mapping"),
])
def test_invalid_configuration_exits_2_with_key_and_line(tmp_path, monkeypatch, config, expected):
    make_fixture(tmp_path, "clean")
    write(tmp_path, ".readylint.yaml", config)
    result = invoke(tmp_path, monkeypatch, "check", ".")
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_unknown_select_on_the_command_line_exits_2(tmp_path, monkeypatch):
    make_fixture(tmp_path, "clean")
    result = invoke(tmp_path, monkeypatch, "check", ".", "--select", "nope")
    assert result.exit_code == 2 and "--select: unknown rule code, slug or family 'nope'" in result.output


def test_bad_files_are_findings_and_the_rest_is_still_linted(tmp_path, monkeypatch):
    (tmp_path / "binary.yaml").write_bytes(b"\0\1\2")
    (tmp_path / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    (tmp_path / "empty.yaml").write_bytes(b"")
    write(tmp_path, "broken.yaml", "a: [b\n")
    write(tmp_path, "deploy.yaml", DEPLOYMENT.format(replicas=1))
    result = invoke(tmp_path, monkeypatch, "check", ".", "--format", "json", "--select", "HA001")
    assert result.exit_code == 1
    found = {(f["code"], f["location"]["path"]) for f in json.loads(result.output)["findings"]}
    assert found == {("RL001", "binary.yaml"), ("RL001", "latin1.yaml"), ("RL001", "broken.yaml"),
                     ("HA001", "deploy.yaml")}


def test_stdin_is_linted(tmp_path, monkeypatch):
    result = invoke(tmp_path, monkeypatch, "check", "-", "--select", "HA001", stdin=DEPLOYMENT.format(replicas=1))
    assert result.exit_code == 1
    assert "<stdin>:7:3: error HA001 min-replicas" in result.output


def test_write_baseline_needs_a_reason(tmp_path, monkeypatch):
    make_fixture(tmp_path, "error")
    result = invoke(tmp_path, monkeypatch, "check", ".", "--write-baseline", "baseline.json")
    assert result.exit_code == 2 and "--write-baseline needs --reason" in result.output


def test_nothing_to_lint(tmp_path, monkeypatch):
    result = invoke(tmp_path, monkeypatch, "check", ".")
    assert result.exit_code == 0
    assert invoke(tmp_path, monkeypatch, "check", ".", "--fail-if-empty").exit_code == 2


def test_unwritable_output_exits_2(tmp_path, monkeypatch):
    make_fixture(tmp_path, "clean")
    result = invoke(tmp_path, monkeypatch, "check", ".", "--output", "missing-dir/out.txt")
    assert result.exit_code == 2 and "missing-dir/out.txt: cannot write" in result.output


def test_a_rule_that_raises_is_an_internal_error_exit_2(tmp_path, monkeypatch):
    def broken(index, opts):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    metas = list(all_rules())
    metas[0] = replace(metas[0], check=broken)
    monkeypatch.setattr(api, "all_rules", lambda: tuple(metas))
    make_fixture(tmp_path, "error")
    result = invoke(tmp_path, monkeypatch, "check", ".", "--exit-zero")
    assert result.exit_code == 2
    assert f"internal error in rule {metas[0].code}" in result.output


def test_version_rules_and_explain():
    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).output == f"readylint {__version__}\n"
    rows = json.loads(runner.invoke(main, ["rules", "--format", "json"]).output)
    assert {"code", "slug", "section", "level", "summary"} <= set(rows[0])
    assert [r["code"] for r in rows] == [m.code for m in all_rules()]
    by_code = runner.invoke(main, ["explain", "HA001"])
    by_slug = runner.invoke(main, ["explain", "min-replicas"])
    assert by_code.exit_code == 0 and by_code.output == by_slug.output
    assert "## How to fix" in by_code.output
    unknown = runner.invoke(main, ["explain", "nope"])
    assert unknown.exit_code == 2 and "unknown rule 'nope'" in unknown.output


def test_help_on_every_command():
    runner = CliRunner()
    for command in (["--help"], ["check", "--help"], ["rules", "--help"], ["explain", "--help"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_exclude_option_and_config_and_list_items(tmp_path, monkeypatch):
    (tmp_path / "vendor").mkdir()
    write(tmp_path, "vendor/third.yaml", DEPLOYMENT.format(replicas=1))
    write(tmp_path, "legacy.yaml", DEPLOYMENT.format(replicas=1))
    items = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        "  - " + line + "\n" if i == 0 else "    " + line + "\n"
        for i, line in enumerate(DEPLOYMENT.format(replicas=2).splitlines()))
    write(tmp_path, "list.yaml", items)
    write(tmp_path, ".readylint.yaml", "exclude: ['vendor/**']\n")
    result = invoke(tmp_path, monkeypatch, "check", ".", "--select", "HA001", "--exclude", "legacy.yaml",
                    "--format", "json")
    found = [(f["location"]["path"], f["location"]["line"]) for f in json.loads(result.output)["findings"]]
    assert found == [("list.yaml", 10)]


def test_unreadable_file_is_one_clear_finding(tmp_path):
    from readylint.inputs.files import read_text

    (tmp_path / "dir.yaml").mkdir()
    text, problem = read_text(str(tmp_path / "dir.yaml"), 1024 * 1024)
    assert text is None and problem.message.startswith("cannot read the file")


def test_a_reporter_that_raises_is_an_internal_error_exit_2(tmp_path, monkeypatch):
    from readylint.reporters import text

    def broken(report, colour=False):
        raise RuntimeError("reporter bug")

    monkeypatch.setattr(text, "render", broken)
    make_fixture(tmp_path, "clean")
    result = invoke(tmp_path, monkeypatch, "check", ".", "--format", "text", "--exit-zero")
    assert result.exit_code == 2 and "readylint: internal error" in result.output


@pytest.mark.parametrize(("options", "expected"), [
    ("HA999: {x: 1}", "rules.options: unknown rule 'HA999'"),
    ("HA001: {min_replica: 2}", "rules.options.HA001: unknown option 'min_replica' (options: min_replicas)"),
    ("HA001: {min_replicas: many}", "rules.options.HA001.min_replicas: expected a value like 3, got 'many'"),
])
def test_rule_options_are_checked(tmp_path, monkeypatch, options, expected):
    make_fixture(tmp_path, "clean")
    write(tmp_path, ".readylint.yaml", f"rules:\n  options:\n    {options}\n")
    result = invoke(tmp_path, monkeypatch, "check", ".")
    assert result.exit_code == 2 and expected in result.output


def test_rule_option_changes_the_verdict(tmp_path, monkeypatch):
    write(tmp_path, "deploy.yaml", DEPLOYMENT.format(replicas=2))
    write(tmp_path, ".readylint.yaml", "rules:\n  options:\n    HA001: {min_replicas: 2}\n")
    assert invoke(tmp_path, monkeypatch, "check", ".", "--select", "HA001").exit_code == 0
    write(tmp_path, ".readylint.yaml", "thresholds:\n  min_replicas: 4\n")
    write(tmp_path, "deploy.yaml", DEPLOYMENT.format(replicas=3))
    assert invoke(tmp_path, monkeypatch, "check", ".", "--select", "HA001").exit_code == 1
