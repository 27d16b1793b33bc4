"""Hostile and broken input: every case ends within seconds, in bounded memory, with an RL001 finding or a
clear message, and the good manifest beside it is still linted.

Each case builds a small repository in tmp_path (nothing big is committed) and runs the whole `readylint
check` (all rules, so the docs, CI and JSON readers see the input too) in a subprocess with a timeout and an
address-space cap. A hang, a traceback, an exit 2 or a lost finding fails the case.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest

from readylint.inputs.files import list_files
from readylint.model.repository import RepositoryFiles

TIMEOUT_S = 60  # a case takes 1-3 s; the bound only catches hangs on a busy machine
MEMORY_CAP = 1024 * 1024 * 1024  # RLIMIT_AS: an expanded alias bomb or a slurped huge file would pass it

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
"""


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def check(root, *extra) -> dict:
    """The JSON report of `readylint check` on ``root``; fails on a hang, a traceback or exit 2."""
    (root / "good.yaml").write_text(GOOD, encoding="utf-8")
    out = root.parent / f"{root.name}-report.json"
    try:
        proc = subprocess.run([sys.executable, "-m", "readylint", "check", ".", "--format", "json", "--output",
                               str(out), "--no-render", "--exit-zero", *extra], cwd=root, capture_output=True,
                              text=True, timeout=TIMEOUT_S, preexec_fn=_cap_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"readylint check did not finish within {TIMEOUT_S} s")
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["errors"] == []
    good = [f for f in report["findings"] if f["location"]["path"] == "good.yaml" and f["code"] == "HA001"]
    assert [(f["location"]["line"], f["location"]["column"]) for f in good] == [(7, 3)], "good.yaml not linted"
    return report


def rl001(report) -> dict[str, tuple[int, int, str]]:
    """RL001 findings by path: (line, column, message)."""
    return {f["location"]["path"]: (f["location"]["line"], f["location"]["column"], f["message"])
            for f in report["findings"] if f["code"] == "RL001"}


def billion_laughs(levels: int = 12) -> str:
    lines = ["  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n" + "\n".join(lines) + "\n"


def test_alias_bomb_stops_at_the_alias_budget(tmp_path):
    (tmp_path / "bomb.yaml").write_text(billion_laughs(), encoding="utf-8")
    line, col, message = rl001(check(tmp_path))["bomb.yaml"]
    assert (line, col) == (9, 47)  # the eighth *a3 of a4 passes 100,000
    assert "aliases expand to more than 100,000 nodes" in message


def test_alias_bomb_inside_a_pod_spec_never_reaches_the_rules(tmp_path):
    mapping = ["    c0: &c0 {name: app, image: 'x:1', env: [{name: A, value: b}]}"]
    mapping += [f"    c{i}: &c{i} {{" + ", ".join(f"k{j}: *c{i - 1}" for j in range(10)) + "}"
                for i in range(1, 12)]
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bomb, namespace: shop}\nspec:\n  defs:\n"
            + "\n".join(mapping) + "\n  template:\n    spec:\n      containers: [*c11, *c11, *c11]\n")
    (tmp_path / "bomb.yaml").write_text(text, encoding="utf-8")
    assert "aliases expand" in rl001(check(tmp_path))["bomb.yaml"][2]


def test_shared_aliases_under_the_budget_are_linted_as_copies(tmp_path):
    env = ", ".join(f"{{name: V{i}, value: '{i}'}}" for i in range(200))
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: wide, namespace: shop}\nspec:\n"
            "  replicas: 3\n  selector: {matchLabels: {app: wide}}\n  template:\n    metadata: {labels: {app: wide}}\n"
            f"    spec:\n      x-base: &c {{name: app, image: 'r.example.com/a:1', env: [{env}]}}\n"
            "      containers: [" + ", ".join(["*c"] * 150) + "]\n")
    (tmp_path / "wide.yaml").write_text(text, encoding="utf-8")
    report = check(tmp_path)
    assert "wide.yaml" not in rl001(report)
    assert any(f["location"]["path"] == "wide.yaml" for f in report["findings"])


@pytest.mark.parametrize("name, text, where", [
    ("flow.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * 100_000 + "]" * 100_000 + "\n", (3, 206)),
    ("block.yaml", "".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v\n", (201, 201)),
    ("deep.json", '{"apiVersion": "v1", "kind": "ConfigMap", "data": ' + '{"a": ' * 100_000 + "1"
     + "}" * 100_001, (1, 51 + 6 * 199)),  # the bracket that opens level 201
], ids=["flow", "block", "json"])
def test_deep_nesting_is_refused_at_the_level_that_passes_the_limit(tmp_path, name, text, where):
    (tmp_path / name).write_text(text, encoding="utf-8")
    line, col, message = rl001(check(tmp_path))[name]
    assert (line, col) == where
    assert "nesting deeper than 200 levels" in message


@pytest.mark.parametrize("path", ["dashboards/api.json", "docs/openapi.json", "coverage.json",
                                  ".readylint/github-settings.json", "package.json", "renovate.json"])
def test_deep_json_read_by_rules_is_an_rl001_or_ignored_never_a_crash(tmp_path, path):
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text('{"a": ' * 100_000 + "1" + "}" * 100_000, encoding="utf-8")
    found = rl001(check(tmp_path))
    if path in found:
        assert "nesting deeper than 200 levels" in found[path][2]


def test_file_over_the_configured_size_is_refused(tmp_path):
    (tmp_path / ".readylint.yaml").write_text("thresholds:\n  max_file_bytes: 100000\n", encoding="utf-8")
    (tmp_path / "big.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n"
                                       + "".join(f"  k{i}: v\n" for i in range(20_000)), encoding="utf-8")
    (tmp_path / "README.md").write_text("# Service\n\n" + "word " * 50_000 + "\n", encoding="utf-8")
    found = rl001(check(tmp_path))
    assert found["big.yaml"][:2] == (1, 1)
    assert "over the 100,000-byte limit; not read" in found["big.yaml"][2]


def test_huge_sparse_file_is_refused_without_reading_it(tmp_path):
    with open(tmp_path / "huge.yaml", "wb") as handle:
        handle.truncate(512 * 1024 * 1024)  # sparse: no disk, but a reader that slurps it passes the cap
    assert "67,108,864-byte limit" in rl001(check(tmp_path))["huge.yaml"][2]


def test_very_long_lines_are_read(tmp_path):
    (tmp_path / "long.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: long}\ndata:\n  x: "
                                        + "a" * 5_000_000 + "\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Service\n\n" + "[" * 2_000_000 + "\n" + "<a " * 500_000 + "\n",
                                        encoding="utf-8")
    assert rl001(check(tmp_path)) == {}


def test_binary_and_non_utf8_files_with_yaml_names(tmp_path):
    (tmp_path / "binary.yaml").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "latin1.yml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (tmp_path / "middle.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \xc3\x28x\n")
    (tmp_path / "utf16.yaml").write_bytes(b"\xff\xfe" + b"\x00\xd8")  # a BOM, then a lone surrogate
    found = rl001(check(tmp_path))
    assert found["binary.yaml"][2] == "binary.yaml cannot be linted: binary file (it contains NUL bytes); not read."
    assert found["latin1.yml"][:2] == (1, 10) and "not valid UTF-8 (byte 0xe9)" in found["latin1.yml"][2]
    assert found["middle.yaml"][:2] == (4, 9) and "not valid UTF-8 (byte 0xc3)" in found["middle.yaml"][2]
    assert "not valid UTF-16" in found["utf16.yaml"][2]


def _links(root):
    outside = root.parent / f"{root.name}-outside"
    (outside / "docs").mkdir(parents=True)
    (outside / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: OUTSIDE-SECRET}\n",
                                         encoding="utf-8")
    (outside / "docs" / "runbook.md").write_text("# OUTSIDE-SECRET runbook\n", encoding="utf-8")
    os.symlink("loop-b.yaml", root / "loop-a.yaml")
    os.symlink("loop-a.yaml", root / "loop-b.yaml")
    os.symlink(outside / "secret.yaml", root / "out.yaml")
    os.symlink(outside / "docs" / "runbook.md", root / "RUNBOOK.md")
    os.symlink(outside, root / "outdir")
    os.symlink(outside / "docs", root / "docs")
    os.symlink(".", root / "self")
    os.mkfifo(root / "pipe.yaml")  # opening it would block forever
    (root / "inside.yaml").symlink_to("good.yaml")
    return outside


def test_symlink_loops_and_links_out_of_the_repository_are_never_followed(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    _links(root)
    report = check(root)
    assert "OUTSIDE-SECRET" not in json.dumps(report)
    assert rl001(report) == {}
    assert {f["location"]["path"] for f in report["findings"]} >= {"good.yaml", "inside.yaml"}


@pytest.mark.parametrize("git", [False, True], ids=["walk", "git"])
def test_list_files_and_the_repository_reader_stay_inside(tmp_path, git):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "good.yaml").write_text(GOOD, encoding="utf-8")
    _links(root)
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    files = list_files(str(root), ["."], [])
    assert files == ["good.yaml", "inside.yaml"]
    repo = RepositoryFiles(str(root), files + ["docs/runbook.md", "outdir/secret.yaml", "pipe.yaml"])
    for path in ("docs/runbook.md", "outdir/secret.yaml", "../repo-outside/secret.yaml", "out.yaml"):
        assert repo.text(path) is None, path
    assert repo.text("pipe.yaml") is None and "not a regular file" in repo.problems[-1][1]
    assert repo.text("inside.yaml") == GOOD


def test_tags_that_construct_objects_are_never_constructed(tmp_path):
    marker = tmp_path / "PWNED"
    (tmp_path / "tags.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tags}\ndata:\n"
        f"  a: !!python/object/apply:os.system ['touch {marker}']\n"
        f"  b: !!python/object/new:subprocess.check_call [['touch', '{marker}']]\n"
        "  c: !!python/name:os.system\n", encoding="utf-8")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(
        f"on: push\njobs:\n  x: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    (tmp_path / ".readylint.yaml").write_text(f"project: !!python/object/apply:os.system ['touch {marker}']\n",
                                              encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "readylint", "check", ".", "--no-render", "--format", "text"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert not marker.exists()
    assert "Traceback" not in proc.stderr
    (tmp_path / ".readylint.yaml").unlink()  # the config is checked against its schema: exit 2, one line
    assert proc.returncode == 2 and ".readylint.yaml" in proc.stderr and len(proc.stderr.splitlines()) == 1
    report = check(tmp_path)
    assert not marker.exists() and "tags.yaml" not in rl001(report)


def test_json_with_duplicate_keys(tmp_path):
    (tmp_path / "dup.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "kind": "Secret", '
                                       '"metadata": {"name": "dup"}}', encoding="utf-8")
    line, col, message = rl001(check(tmp_path))["dup.json"]
    assert (line, col) == (1, 43)
    assert "duplicate mapping key 'kind' (first at line 1); the last value wins" in message


def test_the_slow_pure_parser_retry_is_only_for_small_files(tmp_path):
    tail = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {args: [--url=https://x]}\n"
    (tmp_path / "small.yaml").write_text(tail, encoding="utf-8")  # old libyaml refuses the colon; retried
    (tmp_path / "big.yaml").write_text("# " + "x" * 78 + "\n" * 1 + ("# " + "x" * 78 + "\n") * 60_000 + tail,
                                       encoding="utf-8")
    found = rl001(check(tmp_path))
    assert "small.yaml" not in found
    assert found["big.yaml"][0] == 60_005 and "found unexpected ':'" in found["big.yaml"][2]


def test_a_flood_of_duplicate_keys_is_summarised(tmp_path):
    (tmp_path / "dup.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata:\n"
                                       + "  a: b\n" * 50_000, encoding="utf-8")
    report = check(tmp_path)
    found = [f for f in report["findings"] if f["code"] == "RL001"]
    assert len(found) == 21  # twenty listed, then one summary
    assert (found[-1]["location"]["line"], found[-1]["location"]["column"]) == (26, 3)
    assert "49,979 more duplicate mapping keys from here on" in found[-1]["message"]


def test_markdown_with_pathological_nesting(tmp_path):
    n = 50_000
    doc = ("# Runbook\n\n" + "> " * n + "quote\n" + "- " * n + "item\n" + "[" * n + "\n" + "![" * n + "\n"
           + "[a](" * n + "\n" + "<a " * n + "\n" + '<a href="' * n + "\n" + "{{" * n + "\n" + "`" * n + "\n"
           + "](" * n + "\n" + "*_" * n + "\n" + "".join("#" * (1 + i % 6) + " same\n" for i in range(20_000))
           + "".join(" " * (2 * i % 400) + "- nested\n" for i in range(20_000)))
    (tmp_path / "README.md").write_text(doc, encoding="utf-8")
    (tmp_path / "docs" / "runbooks").mkdir(parents=True)
    (tmp_path / "docs" / "runbooks" / "api.md").write_text(doc, encoding="utf-8")
    (tmp_path / "docs" / "design.adoc").write_text("= T\n" + "<<" * n + "\n" + "[[" + "a" * n + "\n"
                                                   + "link:a[" * n + "\n", encoding="utf-8")
    (tmp_path / "docs" / "ops.rst").write_text("T\n=\n\n" + "`a<" * n + "\n" + ":doc:`" * n + "\n",
                                               encoding="utf-8")
    front = "---\n" + "a: " + "[" * n + "\n---\n# Doc\n"
    (tmp_path / "docs" / "front.md").write_text(front, encoding="utf-8")
    assert set(rl001(check(tmp_path))) <= {"docs/front.md"}


def test_deeply_nested_folders_are_walked_without_recursion(tmp_path):
    deep = tmp_path
    for _ in range(1100):  # deeper than the recursion limit, within PATH_MAX
        deep = deep / "d"
        deep.mkdir()
    (deep / "broken.yaml").write_text("a: [\n", encoding="utf-8")
    try:
        found = rl001(check(tmp_path))
    finally:  # bottom-up: shutil.rmtree (and pytest's clean-up of old tmp folders) recurse per level
        (deep / "broken.yaml").unlink()
        while deep != tmp_path:
            deep.rmdir()
            deep = deep.parent
    [(path, (line, col, _message))] = found.items()
    assert path == "d/" * 1100 + "broken.yaml" and (line, col) == (1, 5)


XML_BOMB = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
            + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
                      for i in range(1, 10))
            + ']>\n<testsuite name="x" tests="1"><testcase name="&lol9;"/></testsuite>\n')


@pytest.mark.parametrize("path", ["reports/junit.xml", "coverage.xml", "build/jacocoTestReport.xml",
                                  "reports/integration-TEST-x.xml"])
def test_xml_entity_bombs_and_external_entities_are_not_expanded(tmp_path, path):
    outside = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    outside.write_text("OUTSIDE-SECRET", encoding="utf-8")
    root = tmp_path / "repo"
    (root / path).parent.mkdir(parents=True)
    (root / path).write_text(XML_BOMB, encoding="utf-8")
    (root / "reports").mkdir(exist_ok=True)
    (root / "reports" / "TEST-xxe.xml").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY xxe SYSTEM "file://{outside}">]>\n'
        '<testsuite name="&xxe;" tests="1"><testcase name="&xxe;"/></testsuite>\n', encoding="utf-8")
    report = check(root)
    assert "OUTSIDE-SECRET" not in json.dumps(report)
