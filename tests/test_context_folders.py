"""Without inputs.manifests, manifests in test, example and docs folders are context: read, not judged."""
from __future__ import annotations

from .helpers import lint

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
"""


def _write(root, path, name):
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(DEPLOYMENT.format(name=name), encoding="utf-8")


def test_example_and_test_manifests_are_context_beside_real_ones(tmp_path):
    _write(tmp_path, "deploy/api.yaml", "api")
    _write(tmp_path, "examples/demo.yaml", "demo")
    _write(tmp_path, "test/e2e/testdata/fixture.yaml", "fixture")
    report = lint(tmp_path, select=["HA001"])
    assert [f.location.path for f in report.active] == ["deploy/api.yaml"]
    [note] = [n.message for n in report.notes if "read as context" in n.message]
    assert note.startswith("2 objects in 2 files under test, example and docs folders (examples/demo.yaml, "
                           "test/e2e/testdata/fixture.yaml) were read as context, not judged")


def test_a_repository_of_examples_only_is_judged(tmp_path):
    _write(tmp_path, "examples/demo.yaml", "demo")
    report = lint(tmp_path, select=["HA001"])
    assert [f.location.path for f in report.active] == ["examples/demo.yaml"]


def test_inputs_manifests_decide_when_configured(tmp_path):
    _write(tmp_path, "deploy/api.yaml", "api")
    _write(tmp_path, "examples/demo.yaml", "demo")
    (tmp_path / ".readylint.yaml").write_text("inputs:\n  manifests:\n    - path: examples\n", encoding="utf-8")
    report = lint(tmp_path, select=["HA001"])
    assert [f.location.path for f in report.active] == ["examples/demo.yaml"]


RULE_FILE = """groups:
  - name: example
    rules:
      - alert: ExampleDown
        expr: up == 0
        for: 5m
        labels: {severity: critical}
"""


def test_example_alert_rule_files_are_context_beside_real_manifests(tmp_path):
    _write(tmp_path, "deploy/api.yaml", "api")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "alerts.yml").write_text(RULE_FILE, encoding="utf-8")
    report = lint(tmp_path, select=["DOC002"])
    assert [f for f in report.active if f.location.path.startswith("examples/")] == []
    (tmp_path / "deploy" / "api.yaml").unlink()
    report = lint(tmp_path, select=["DOC002"])  # nothing else to judge: the examples are the repository
    assert [f.location.path for f in report.active] == ["examples/alerts.yml"]
