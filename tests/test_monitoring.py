"""Monitoring model: PromQL scanning, the alert/SLO API other rules import, dashboards, and the corpus."""
from __future__ import annotations

import textwrap

import pytest

from readylint.inputs.yaml_docs import load_stream
from readylint.model.dashboards import dashboards
from readylint.model.index import RepoIndex
from readylint.model.monitoring import alerts, recording_rules, slos
from readylint.model.objects import K8sObject
from readylint.model.promql import matchers, metric_names, parse_duration, range_windows, syntax_error

from .conftest import CORPUS, needs_shared
from .helpers import judge_everything, lint


def _repo(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return tmp_path


def _index(tmp_path, files):
    """A RepoIndex over a tiny repository: YAML documents with apiVersion/kind become objects."""
    root = _repo(tmp_path, files)
    paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    objects, documents = [], {}
    for path in paths:
        if not path.endswith((".yaml", ".yml")):
            continue
        for doc in load_stream((root / path).read_text(encoding="utf-8")).documents:
            if isinstance(doc.data, dict) and "apiVersion" in doc.data and "kind" in doc.data:
                objects.append(K8sObject(path, doc.index, doc.data, doc_line=doc.line))
            elif doc.data is not None:
                documents.setdefault(path, []).append(doc)
    index = RepoIndex(objects, str(root), paths, {"platform": {}})
    index.documents = documents
    return index


# -- PromQL ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("expr", [
    'sum(rate(http_requests_total{job="api",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="api"}[5m])) > 0.05',
    'up{job="api"} == 0',
    'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) > 0.5',
    'absent(up{job="api"})',
    'max_over_time(x[1h:5m]) > 1  # trailing comment with { brace',
    '{"my.metric", job="api"} > 1',
    'vector(1)',
])
def test_valid_expressions_parse(expr):
    assert syntax_error(expr) is None


@pytest.mark.parametrize(("expr", "why"), [
    ('up{job="api" == 0', "never closed"),
    ('sum(rate(x[5m]) > 1', "never closed"),
    ('rate(x[5]) > 1', "not a range duration"),
    ('up{job=api} == 0', "not a list of label matchers"),
    ('up{job="api"} >', "binary operator"),
    ('', "empty"),
    ('up{job="api}', "not closed"),
])
def test_broken_expressions_are_reported(expr, why):
    assert why in (syntax_error(expr) or "")


def test_matchers_windows_and_metric_names():
    expr = 'sum(rate(grafana_http_total{job="api", code=~"5..", handler!="/x"}[2m])) / on(job) up{namespace="shop"}'
    found = {(m.label, m.op, m.value) for m in matchers(expr)}
    assert ("job", "=", "api") in found and ("code", "=~", "5..") in found and ("handler", "!=", "/x") in found
    assert range_windows(expr) == [120]
    assert metric_names(expr) == {"grafana_http_total", "up"}
    assert parse_duration("1h30m") == 5400 and parse_duration("soon") is None


# -- alert and SLO API (also used by DOC002 and DEP005) ------------------------------------------------------

RULES = """
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api, namespace: shop}
spec:
  groups:
    - name: api
      rules:
        - record: job:up:sum
          expr: sum by (job) (up)
        - alert: ApiDown
          expr: up{job="api"} == 0
          for: 5m
          labels: {severity: critical}
          annotations:
            runbook_url: https://runbooks.example.com/api-down
"""


def test_alert_api_positions_and_fields(tmp_path):
    index = _index(tmp_path, {"rules.yaml": RULES, "plain/rules.yml": """
        groups:
          - name: plain
            rules:
              - alert: DiskFull
                expr: node_filesystem_avail_bytes < 1e9
        """})
    found = {a.name: a for a in alerts(index)}
    assert set(found) == {"ApiDown", "DiskFull"}
    api = found["ApiDown"]
    assert (api.for_, api.severity, api.obj.name) == ("5m", "critical", "api")
    assert api.annotations["runbook_url"].endswith("api-down")
    assert (api.location.path, api.location.line) == ("rules.yaml", 10)
    assert api.at("annotations.runbook_url").line == 15
    assert api.at("labels.severity").line == 13
    assert found["DiskFull"].obj is None and found["DiskFull"].location.path == "plain/rules.yml"
    assert [r.name for r in recording_rules(index)] == ["job:up:sum"]


def test_slos_are_normalised_to_percent(tmp_path):
    index = _index(tmp_path, {"slos.yaml": """
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata: {name: web, namespace: shop}
        spec:
          target: "99.5"
          indicator:
            ratio:
              errors: {metric: 'http_requests_total{job="web",code=~"5.."}'}
              total: {metric: 'http_requests_total{job="web"}'}
        ---
        apiVersion: openslo/v1
        kind: SLO
        metadata: {name: api}
        spec:
          service: api
          objectives:
            - target: 0.999
        """, "sloth.yml": """
        version: prometheus/v1
        service: api
        slos:
          - name: latency
            objective: 99
            alerting:
              page_alert: {disable: true}
        """})
    by_kind = {s.kind: s for s in slos(index)}
    assert by_kind["pyrra"].objective == 99.5 and by_kind["pyrra"].at.line == 5
    assert by_kind["openslo"].objective == pytest.approx(99.9)
    assert by_kind["sloth-cli"].objective == 99 and by_kind["sloth-cli"].alerting == "page-disabled"


def test_dashboards_from_files_and_mounted_config_maps(tmp_path):
    index = _index(tmp_path, {
        "grafana/api.json": '{"title": "API", "uid": "api", "panels": [{"targets": [{"expr": "up"}]}]}',
        "grafana.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: grafana, namespace: monitoring}
        spec:
          template:
            spec:
              containers:
                - name: grafana
                  image: grafana/grafana:11.0.0
              volumes: [{name: boards, configMap: {name: boards}}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: boards, namespace: monitoring}
        data:
          web.json: '{"title": "Web", "uid": "web", "rows": [{"panels": [{"targets": [{"expr": "up"}]}]}]}'
        """})
    found = dashboards(index)
    assert sorted(b.uid for b in found.items) == ["api", "web"]
    assert all(b.panels() for b in found.items)


# -- corpus ------------------------------------------------------------------------------------------------

@needs_shared()
def test_kube_prometheus_monitoring_is_recognised():
    report = lint(CORPUS / "kube-prometheus", select=["OBS001", "OBS002", "OPS004"])
    assert report.statuses["OBS001"] == "pass"  # every workload has a ServiceMonitor on a named port
    assert report.statuses["OBS002"] == "pass"  # 30+ dashboards mounted into the Grafana Deployment
    quality = [f for f in report.active if f.code == "OPS004" and f.location.path.startswith("manifests/")]
    assert len(quality) <= 5, [f.message for f in quality]


@needs_shared()
def test_sloth_examples_are_slos_with_burn_rate_alerts(tmp_path):
    report = lint(CORPUS / "sloth", select=["OBS006", "OPS004"], config=judge_everything(tmp_path))
    passed = [o for o in report.outcomes["OBS006"] if o.status == "pass"]
    assert len(passed) >= 20
    assert report.statuses["OPS004"] == "pass"  # generated burn-rate alerts are calibrated by construction
    disabled = [f for f in report.active if f.code == "OBS006"]
    assert [f.location.path for f in disabled] == ["examples/no-alerts.yml"]


def test_monitor_lookup_answers_in_list_order_with_namespace_selection(tmp_path):
    """OBS001 asks per workload through MonitorLookup: same answers and order as asking each monitor."""
    from readylint.model.monitoring import SERVICE_MONITOR_KINDS, MonitorLookup, monitors, namespace_selected

    index = _index(tmp_path, {"monitors.yaml": """
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: everywhere, namespace: monitoring}
        spec: {namespaceSelector: {any: true}, selector: {matchLabels: {app: api}}}
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: own, namespace: shop}
        spec: {selector: {matchLabels: {app: api}}}
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: named, namespace: monitoring}
        spec: {namespaceSelector: {matchNames: [shop, shop]}, selector: {matchExpressions: [{key: app, operator: Exists}]}}
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: other-app, namespace: shop}
        spec: {selector: {matchLabels: {app: web}}}
        """})
    listed = monitors(index, SERVICE_MONITOR_KINDS)
    lookup = MonitorLookup(listed)
    labels = {"app": "api"}
    for namespace in ("shop", "monitoring", "elsewhere"):
        expected = [m.name for m in listed if namespace_selected(m, namespace)]
        assert [m.name for m in lookup.watching(namespace)] == expected
    assert [m.name for m in lookup.selecting("shop", labels)] == ["everywhere", "own", "named"]
    assert [m.name for m in lookup.selecting("elsewhere", labels)] == ["everywhere"]
    assert [m.name for m in lookup.selecting("shop", {"app": True})] == ["named"]  # `true` is not "api"
