"""Kyverno mutate policies: which securityContext values a workload's pods receive at admission."""
from __future__ import annotations

import pathlib

import pytest

from readylint.model.admission_mutation import admitted

from .helpers import lint
from .test_model import index_of

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "rules"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {team: web}}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      securityContext: {runAsNonRoot: false}
      initContainers:
        - name: setup
          image: registry.example.com/setup:1.0.0
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
          securityContext: {readOnlyRootFilesystem: false}
        - name: proxy
          image: docker.io/envoyproxy/envoy:v1.30.1
"""


def policy(patch: str, match="{any: [{resources: {kinds: [Pod]}}]}", extra="", kind="ClusterPolicy", ns=""):
    body = "\n".join("          " + line for line in patch.strip("\n").splitlines())
    namespace = f", namespace: {ns}" if ns else ""
    return (f"apiVersion: kyverno.io/v1\nkind: {kind}\nmetadata: {{name: harden{namespace}}}\nspec:\n  rules:\n"
            f"    - name: harden-pods\n      match: {match}\n{extra}      mutate:\n        patchStrategicMerge:\n"
            f"{body}\n---\n")


def value(text: str, field: str, container="api"):
    index = index_of(text + DEPLOYMENT)
    wl = index.workloads[0]
    c = next(c for c in wl.containers() if c.name == container)
    found = admitted(index, wl, c, field)
    return None if found is None else found.value


ALL_CONTAINERS = """\
spec:
  containers:
    - (name): "*"
      securityContext:
        +(allowPrivilegeEscalation): false
        +(readOnlyRootFilesystem): true
        capabilities: {drop: [ALL]}
"""


def test_add_if_absent_fills_only_missing_fields():
    text = policy(ALL_CONTAINERS)
    assert value(text, "allowPrivilegeEscalation") is False
    assert value(text, "capabilities.drop") == ["ALL"]
    assert value(text, "readOnlyRootFilesystem") is None  # the manifest's own false stands
    assert value(text, "allowPrivilegeEscalation", "proxy") is False
    assert value(text, "allowPrivilegeEscalation", "setup") is None  # initContainers were not patched


def test_plain_key_overrides_the_manifest():
    text = policy('spec:\n  containers:\n    - (name): "*"\n      securityContext: {readOnlyRootFilesystem: true}\n')
    assert value(text, "readOnlyRootFilesystem") is True


def test_pod_level_patch_counts_unless_the_container_sets_the_field():
    text = policy("spec:\n  securityContext:\n    runAsNonRoot: true\n    +(runAsUser): 10001\n"
                  "    seccompProfile: {type: RuntimeDefault}\n")
    assert value(text, "runAsNonRoot") is True  # plain key replaces the pod's false
    assert value(text, "runAsUser") == 10001
    assert value(text, "seccompProfile.type") == "RuntimeDefault"
    assert value(text, "readOnlyRootFilesystem") is None  # container-only field
    kept = policy("spec:\n  securityContext:\n    +(runAsNonRoot): true\n")
    assert value(kept, "runAsNonRoot") is None


@pytest.mark.parametrize(("condition", "api", "proxy"), [
    ('(name): "ap*"', True, None),  # conditional anchor on the name
    ("name: proxy", None, True),  # the strategic-merge key selects one container
    ('=(image): "registry.example.com/*"', True, None),  # equality anchor: present and matching
    ("X(securityContext): null", None, True),  # negation anchor: only where the key is absent
    ('(image): "{{ images.allowed }}"', None, None),  # variables are not evaluated offline
])
def test_item_anchors_select_containers(condition, api, proxy):
    text = policy(f"spec:\n  containers:\n    - {condition}\n      securityContext:\n"
                  f"        allowPrivilegeEscalation: false\n")
    expected = {True: False, None: None}
    assert value(text, "allowPrivilegeEscalation") is expected[api]
    assert value(text, "allowPrivilegeEscalation", "proxy") is expected[proxy]


def test_failed_condition_at_the_pod_level_skips_the_patch():
    text = policy('spec:\n  (serviceAccountName): "batch-*"\n  securityContext: {runAsNonRoot: true}\n')
    assert value(text, "runAsNonRoot") is None


@pytest.mark.parametrize(("match", "extra", "applies"), [
    ("{any: [{resources: {kinds: [Pod], namespaces: [shop]}}]}", "", True),
    ("{any: [{resources: {kinds: [v1/Pod], namespaces: [other]}}]}", "", False),
    ("{any: [{resources: {kinds: [Pod], selector: {matchLabels: {app: api}}}}]}", "", True),
    ("{any: [{resources: {kinds: [Pod], selector: {matchLabels: {app: web}}}}]}", "", False),
    ("{any: [{resources: {kinds: [Service]}}]}", "", False),
    ("{any: [{resources: {kinds: [Pod], operations: [UPDATE]}}]}", "", False),
    ("{any: [{resources: {kinds: [Pod], namespaceSelector: {matchLabels: {env: prod}}}}]}", "", False),
    ("{any: [{subjects: [{kind: User, name: ci}]}]}", "", False),
    ("{all: [{resources: {kinds: [Pod]}}, {resources: {kinds: [Pod], namespaces: [shop]}}]}", "", True),
    ("{all: [{resources: {kinds: [Pod]}}, {resources: {kinds: [Pod], namespaces: [web]}}]}", "", False),
    ("{resources: {kinds: [Pod]}}", "      exclude: {any: [{resources: {namespaces: [shop]}}]}\n", False),
    ("{resources: {kinds: [Pod]}}", "      exclude: {any: [{clusterRoles: [cluster-admin]}]}\n", False),
    ("{resources: {kinds: [Pod]}}", "      exclude: {any: [{resources: {namespaces: [kube-system]}}]}\n", True),
    ("{any: [{resources: {kinds: [Pod]}}]}", "      preconditions:\n        all:\n"
     "          - {key: '{{ request.operation }}', operator: AnyIn, value: [CREATE, UPDATE]}\n", True),
    ("{any: [{resources: {kinds: [Pod]}}]}", "      preconditions:\n        all:\n"
     "          - {key: '{{ request.object.metadata.name }}', operator: Equals, value: api}\n", False),
])
def test_match_and_exclude(match, extra, applies):
    text = policy("spec:\n  securityContext: {runAsNonRoot: true}\n", match=match, extra=extra)
    assert (value(text, "runAsNonRoot") is True) is applies


def test_namespaced_policy_covers_only_its_namespace():
    patch = "spec:\n  securityContext: {runAsNonRoot: true}\n"
    assert value(policy(patch, kind="Policy", ns="shop"), "runAsNonRoot") is True
    assert value(policy(patch, kind="Policy", ns="billing"), "runAsNonRoot") is None


def test_rule_on_the_workload_kind_patches_its_template():
    text = policy("spec:\n  template:\n    spec:\n      securityContext: {runAsUser: 10001}\n",
                  match="{any: [{resources: {kinds: [apps/v1/Deployment], names: [api]}}]}")
    assert value(text, "runAsUser") == 10001
    other = policy("spec:\n  template:\n    spec:\n      securityContext: {runAsUser: 10001}\n",
                   match="{any: [{resources: {kinds: [Deployment], names: [worker]}}]}")
    assert value(other, "runAsUser") is None


def test_simple_foreach_over_containers():
    text = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: drop-all}
spec:
  rules:
    - name: drop-all
      match: {any: [{resources: {kinds: [Pod]}}]}
      mutate:
        foreach:
          - list: request.object.spec.containers
            patchStrategicMerge:
              spec:
                containers:
                  - name: "{{ element.name }}"
                    securityContext:
                      capabilities: {drop: [ALL]}
---
"""
    assert value(text, "capabilities.drop") == ["ALL"]
    assert value(text, "capabilities.drop", "setup") is None
    guarded = text.replace("            patchStrategicMerge:",
                           "            preconditions: {all: [{key: '{{ element.image }}', operator: Equals, "
                           "value: x}]}\n            patchStrategicMerge:")
    assert value(guarded, "capabilities.drop") is None


def test_rules_report_notes_with_the_policy_patch_as_related_location():
    report = lint(FIXTURES / "SEC002-pod-security-context" / "fail-kyverno-mutate", select=["SEC002"])
    levels = {(f.message.split("'")[1], f.level) for f in report.active}
    assert levels == {("api", "note"), ("legacy", "error"), ("legacy", "warning"), ("worker", "error"),
                      ("worker", "warning")}
    note = next(f for f in report.active if f.level == "note" and "allowPrivilegeEscalation" in f.message)
    assert note.key_path.endswith("securityContext.allowPrivilegeEscalation")
    (rel,) = note.related
    assert (rel.location.path, rel.location.line) == ("policy.yaml", 28)
    report = lint(FIXTURES / "SEC007-run-as-non-root" / "fail-kyverno-mutate", select=["SEC007"])
    assert [(f.message.split("'")[1], f.level) for f in report.active] == [
        ("api", "note"), ("root", "error"), ("legacy", "error"), ("worker", "error")]
    assert [r.location.line for r in report.active[0].related] == [23, 24]


def test_option_turns_the_downgrade_off(tmp_path):
    config = tmp_path / "c.readylint.yaml"
    config.write_text("rules:\n  options:\n    SEC007: {admission_downgrade: false}\n", encoding="utf-8")
    report = lint(FIXTURES / "SEC007-run-as-non-root" / "fail-kyverno-mutate", select=["SEC007"],
                  config=str(config))
    assert {f.level for f in report.active} == {"error"}


def test_repositories_without_kyverno_policies_never_load_the_module():
    import subprocess
    import sys
    code = ("import sys; from tests.helpers import lint; from pathlib import Path; "
            "lint(Path('tests/fixtures/rules/SEC002-pod-security-context/fail'), select=['SEC002', 'SEC007']); "
            "print('readylint.model.admission_mutation' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=pathlib.Path(__file__).parent.parent)
    assert out.stdout.strip() == "False"
