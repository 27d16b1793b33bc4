"""The object model: workloads, selectors and effective replicas as rules.md 0.2 defines them."""
from __future__ import annotations

import pytest

from readylint.inputs.yaml_docs import load_stream
from readylint.model.index import RepoIndex
from readylint.model.objects import K8sObject, key_path
from readylint.model.selectors import label_selector_matches, service_selector_matches


def index_of(text: str, namespace=None) -> RepoIndex:
    objects = [K8sObject("m.yaml", d.index, d.data, d.source, input_namespace=namespace, doc_line=d.line)
               for d in load_stream(text).documents if d.data]
    return RepoIndex(objects, "/repo")


def data(text):
    return load_stream(text).documents[0].data


LABELS = data("app: api\ntier: backend\nrelease: stable\n")


@pytest.mark.parametrize(("selector", "expected"), [
    ("matchLabels: {app: api}", True),
    ("matchLabels: {app: api, tier: frontend}", False),  # AND, never "shares one label"
    ("{}", True),
    ("matchExpressions: [{key: tier, operator: In, values: [backend, db]}]", True),
    ("matchExpressions: [{key: tier, operator: NotIn, values: [backend]}]", False),
    ("matchExpressions: [{key: canary, operator: DoesNotExist}]", True),
    ("matchExpressions: [{key: canary, operator: Exists}]", False),
    ("matchLabels: {app: api}\nmatchExpressions: [{key: release, operator: In, values: [canary]}]", False),
])
def test_label_selector_semantics(selector, expected):
    assert label_selector_matches(data(selector) if selector != "{}" else data("{}"), LABELS) is expected


def test_absent_selector_matches_nothing_and_empty_service_selector_too():
    assert label_selector_matches(None, LABELS) is False
    assert service_selector_matches(data("{}"), LABELS) is False
    assert service_selector_matches(data("app: api"), LABELS) is True


def test_label_values_compare_as_strings():
    assert label_selector_matches(data("matchLabels: {enabled: 'true'}"), data("enabled: true"))


WORKLOADS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      initContainers:
        - {name: init, image: x}
        - {name: proxy, image: y, restartPolicy: Always}
      containers:
        - {name: api, image: z}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  replicas: 5
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web-template}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-template, namespace: shop}
spec:
  replicas: 0
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: w}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {name: api}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: report, image: r}]
"""


def test_workloads_rollout_workload_ref_and_containers():
    index = index_of(WORKLOADS)
    assert [(w.kind, w.obj.name) for w in index.workloads] == [
        ("Deployment", "api"), ("Rollout", "web"), ("CronJob", "report")]
    api, web, cron = index.workloads
    assert [(c.name, c.init, c.sidecar, c.long_running) for c in api.containers()] == [
        ("init", True, False, False), ("proxy", True, True, True), ("api", False, False, True)]
    assert web.pod_obj.name == "web-template" and web.labels == {"app": "web"}
    assert web.at(*web.containers()[0].path).line == 29
    assert not cron.long_running and cron.containers()[0].name == "report"


def test_effective_replicas_keda_defaults_to_zero_and_namespace_defaults():
    index = index_of(WORKLOADS)
    api, web, cron = index.workloads
    low, high, scaler = index.effective_replicas(api)
    assert (low, high, scaler.kind) == (0, 100, "ScaledObject")
    assert index.effective_replicas(web)[:2] == (5, 5)
    assert cron.obj.namespace == "default" and cron.obj.namespace_defaulted


def test_input_namespace_is_used_when_metadata_has_none():
    index = index_of("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", namespace="prod")
    assert index.of_kind("Service")[0].namespace == "prod"


def test_at_points_to_the_deepest_existing_key_and_list_items_by_name():
    index = index_of(WORKLOADS)
    api = index.workloads[0]
    container = api.containers()[2]
    assert api.at(*container.path, "resources").line == 12  # absent: the container's `- name:` line
    assert api.obj.at("spec", "replicas").line == 4  # absent: nearest parent
    assert key_path(*container.path, "resources") == "spec.template.spec.containers[name=api].resources"


def test_objects_listed_in_one_message_say_an_assumed_namespace_once():
    def obj(name, namespace=""):
        meta = f"{{name: {name}" + (f", namespace: {namespace}" if namespace else "") + "}"
        return K8sObject("d.yaml", 0, data(f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {meta}\n"))

    assert K8sObject.listed([obj("a"), obj("b")]) == "Deployment a, Deployment b; none sets a namespace"
    assert K8sObject.listed([obj("a"), obj("b", "shop")]) == "Deployment a (namespace unset), Deployment shop/b"
    assert K8sObject.listed([obj(n, "shop") for n in "abcdefg"], limit=2) == (
        "Deployment shop/a, Deployment shop/b and 5 more")
