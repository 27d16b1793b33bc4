"""Findings on committed `helm template` output land on the chart's template lines (rules.md 0.7, S8).

These tests use recorded helm output (tests/fixtures/helm/recorded/), so they run without helm.
"""
from __future__ import annotations

import shutil

import pytest

from readylint.helm import mapping
from readylint.inputs.yaml_docs import load_stream
from tests.conftest import REPO
from tests.helm_support import GATEWAY, RECORDED, SHOP, copy_shop
from tests.helpers import lint

DEMO = REPO / "examples" / "demo-service"


@pytest.fixture
def shop_with_render(tmp_path):
    """The shop chart with its committed production render, and no Argo CD Application to render."""
    copy_shop(tmp_path)
    shutil.rmtree(tmp_path / "argocd")
    (tmp_path / "deploy" / "rendered").mkdir(parents=True)
    shutil.copy(RECORDED / "prod.yaml", tmp_path / "deploy" / "rendered" / "prod.yaml")
    return tmp_path


def _one(report, code, subject_part):
    found = [f for f in report.active if f.code == code and subject_part in f.subject]
    assert len(found) == 1, [(f.code, f.subject, f.location) for f in report.active if f.code == code]
    return found[0]


def _at(location):
    return f"{location.path}:{location.line}:{location.col}"


def test_a_finding_moves_to_the_template_key_line_and_keeps_the_rendered_position(shop_with_render):
    report = lint(shop_with_render, select=["HA001"])
    finding = _one(report, "HA001", "shop-prod-shop")
    assert _at(finding.location) == "charts/shop/templates/deployment.yaml:8:3"  # `  replicas: {{ … }}`
    assert _at(finding.related[0].location) == "deploy/rendered/prod.yaml:61:3"
    assert finding.related[0].message == "The rendered object, as Kubernetes receives it."
    # values.yaml says 3 while the render says 2 (it used values-prod.yaml): no misleading values line
    assert [r.location.path for r in finding.related] == ["deploy/rendered/prod.yaml"]
    assert finding.properties["renderedLocation"] == {"path": "deploy/rendered/prod.yaml", "line": 61, "column": 3}


def test_a_subchart_finding_lands_on_the_subchart_resources_line(shop_with_render):
    finding = _one(lint(shop_with_render, select=["SEC003"]), "SEC003", "shop-prod-worker")
    assert _at(finding.location) == "charts/shop/charts/worker/templates/deployment.yaml:24:11"
    assert (shop_with_render / finding.location.path).read_text().splitlines()[23].strip() == "resources:"
    assert _at(finding.related[0].location) == "deploy/rendered/prod.yaml:45:11"


def test_a_file_dependency_finding_lands_on_the_container_of_the_local_chart(shop_with_render):
    finding = _one(lint(shop_with_render, select=["HA006"]), "HA006", "shop-prod-cache")
    assert _at(finding.location) == "charts/cache/templates/statefulset.yaml:22:11"  # `- name: memcached`


def test_a_values_line_is_added_when_the_values_file_set_what_was_rendered():
    finding = _one(lint(DEMO, select=["HA001"]), "HA001", "checkout")
    assert _at(finding.location) == "charts/demo-service/templates/hpa.yaml:13:3"
    values = finding.related[1]
    assert _at(values.location) == "charts/demo-service/values.yaml:14:5"
    assert values.message == "`.Values.checkout.autoscaling.minReplicas` is set here."


def test_an_inline_comment_in_the_template_waives_the_finding(shop_with_render):
    template = shop_with_render / "charts/shop/templates/deployment.yaml"
    lines = template.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "livenessProbe:" in line)
    lines.insert(at, "          # readylint: ignore[HA006] the API answers /healthz from memory only\n")
    template.write_text("".join(lines))
    report = lint(shop_with_render, select=["HA006"])
    waived = [f for f in report.findings if f.code == "HA006" and "shop-prod-shop" in f.subject]
    assert len(waived) == 1 and waived[0].suppressed_by.kind == "inline"
    assert waived[0].suppressed_by.location.path == "charts/shop/templates/deployment.yaml"
    assert not [f for f in report.findings if f.code.startswith("RL")]


def test_the_demo_comment_in_the_template_and_its_rendered_copy_waive_one_finding_without_rl002():
    report = lint(DEMO, select=["HA002"])
    waived = [f for f in report.findings if f.suppressed_by is not None]
    assert [(f.code, f.subject, f.suppressed_by.kind) for f in waived] == [
        ("HA002", "k8s:apps/Deployment/shop/worker", "inline")]
    assert _at(waived[0].location) == "charts/demo-service/templates/worker-deployment.yaml:20:5"
    assert not [f for f in report.findings if f.code == "RL002"]


def test_without_the_chart_in_the_repository_findings_stay_on_the_rendered_file(tmp_path):
    (tmp_path / "deploy").mkdir()
    shutil.copy(RECORDED / "prod.yaml", tmp_path / "deploy" / "prod.yaml")
    finding = _one(lint(tmp_path, select=["HA001"]), "HA001", "shop-prod-shop")
    assert _at(finding.location) == "deploy/prod.yaml:61:3"
    assert finding.related == ()


# -- the line-matching walk itself ----------------------------------------------------------------------

def test_key_path_at_names_list_items_by_their_name():
    doc = load_stream((RECORDED / "prod.yaml").read_text()).documents[1].data
    assert mapping.key_path_at(doc, 45, 11) == ["spec", "template", "spec", "containers", ("name", "worker"),
                                                "resources"]
    assert mapping.key_path_at(doc, 999, 1) is None


def test_the_second_document_of_a_template_is_chosen_by_kind_and_order():
    lines = (DEMO / "charts/demo-service/templates/hpa.yaml").read_text().splitlines()
    first, last = mapping.pick_section(lines, "HorizontalPodAutoscaler", 1, 1)
    assert lines[first] == "apiVersion: autoscaling/v2" and first == 22
    line = mapping.best_line(lines, (first, last), ["spec", "minReplicas"], "HorizontalPodAutoscaler")
    assert (line.line, line.col, line.depth) == (35, 3, 2)


def test_a_key_the_template_does_not_write_falls_back_to_its_enclosing_block_then_the_kind_line():
    lines = (SHOP / "charts/shop/templates/deployment.yaml").read_text().splitlines()
    section = mapping.pick_section(lines, "Deployment", 0, 0)
    inside = mapping.best_line(lines, section, ["metadata", "labels", "helm.sh/chart"], "Deployment")
    assert (inside.line, inside.depth) == (5, 2)  # `  labels:` (the key comes from _helpers.tpl)
    nothing = mapping.best_line(lines, section, ["status"], "Deployment")
    assert (nothing.line, nothing.col) == (2, 1)  # `kind: Deployment`


def test_the_input_chart_setting_resolves_sources_when_the_name_is_ambiguous(shop_with_render):
    shutil.copytree(shop_with_render / "charts" / "shop", shop_with_render / "legacy" / "shop")
    (shop_with_render / ".readylint.yaml").write_text(
        "inputs:\n  manifests:\n    - {path: deploy/rendered, name: prod, chart: charts/shop}\n")
    finding = _one(lint(shop_with_render, select=["HA001"]), "HA001", "shop-prod-shop")
    assert _at(finding.location) == "charts/shop/templates/deployment.yaml:8:3"
    assert finding.environment == "prod"


def test_two_committed_renders_of_one_template_give_one_finding_naming_both(shop_with_render):
    shutil.copy(RECORDED / "staging.yaml", shop_with_render / "deploy" / "rendered" / "staging.yaml")
    report = lint(shop_with_render, select=["HA006"])
    probes = [f for f in report.active if f.location.path == "charts/shop/templates/deployment.yaml"]
    assert len(probes) == 1
    assert probes[0].message.endswith(" Rendered in deploy/rendered/prod.yaml and deploy/rendered/staging.yaml.")
    assert probes[0].properties["renders"] == ["deploy/rendered/prod.yaml", "deploy/rendered/staging.yaml"]
    assert [(r.location.path, r.location.line) for r in probes[0].related] == [
        ("deploy/rendered/prod.yaml", 87), ("deploy/rendered/staging.yaml", 87)]


# -- with / range / include (the gateway chart) ------------------------------------------------------------

@pytest.fixture
def gateway_with_render(tmp_path):
    """The gateway chart with its committed render (tests/fixtures/helm/recorded/gateway.yaml)."""
    shutil.copytree(GATEWAY, tmp_path, dirs_exist_ok=True)
    (tmp_path / "deploy").mkdir()
    shutil.copy(RECORDED / "gateway.yaml", tmp_path / "deploy" / "gateway.yaml")
    return tmp_path


def _values(finding):
    return [(_at(r.location), r.message) for r in finding.related if r.message.endswith("is set here.")]


def test_a_value_read_through_with_points_at_its_values_line(gateway_with_render):
    finding = next(f for f in lint(gateway_with_render, select=["SEC002"]).active if "hostPID" in f.message)
    assert _at(finding.location) == "charts/gateway/templates/deployment.yaml:18:7"  # `hostPID: {{ .hostPID }}`
    assert _values(finding) == [("charts/gateway/values.yaml:3:3", "`.Values.pod.hostPID` is set here.")]


def test_a_value_of_a_ranged_list_points_at_the_element_that_was_rendered(gateway_with_render):
    report = lint(gateway_with_render, select=["SEC002"])
    host_port = next(f for f in report.active if "hostPort" in f.message)
    assert _at(host_port.location) == "charts/gateway/templates/deployment.yaml:28:15"  # `hostPort: {{ . }}`
    assert _values(host_port) == [
        ("charts/gateway/values.yaml:14:5", "`.Values.containers[1].hostPort` is set here.")]
    # the containers come from one templated `- name: {{ .name }}` line: both land there
    escalation = [f for f in report.active if "allowPrivilegeEscalation" in f.message and "gw-gateway" in f.subject]
    assert sorted(f.message.split("'")[1] for f in escalation) == ["auth", "proxy"]
    assert {_at(f.location) for f in escalation} == {"charts/gateway/templates/deployment.yaml:22:11"}


def test_a_key_written_by_an_included_helper_lands_in_the_helper_file(gateway_with_render):
    report = lint(gateway_with_render, select=["HA006"])
    ports = [f for f in report.active if "readinessProbe on port 'admin'" in f.message]
    assert len(ports) == 2
    for finding in ports:
        assert _at(finding.location) == "charts/gateway/templates/_helpers.tpl:10:5"  # `    port: {{ … }}`
        assert _values(finding) == [("charts/gateway/values.yaml:6:3", "`.Values.probes.port` is set here.")]


def test_an_inline_comment_in_the_helper_waives_the_finding(gateway_with_render):
    helpers = gateway_with_render / "charts/gateway/templates/_helpers.tpl"
    comment = "    # readylint: ignore[HA006] the admin port is on the sidecar\n"
    text = helpers.read_text().replace("    port: {{", comment + "    port: {{")
    helpers.write_text(text)
    report = lint(gateway_with_render, select=["HA006"])
    waived = [f for f in report.findings if "readinessProbe on port" in f.message]
    assert len(waived) == 2 and all(f.suppressed_by is not None for f in waived)
    assert not [f for f in report.findings if f.code.startswith("RL")]


def test_a_file_dependency_of_a_file_dependency_maps_to_its_own_chart(gateway_with_render):
    finding = _one(lint(gateway_with_render, select=["HA001"]), "HA001", "gw-sidecar")
    assert _at(finding.location) == "charts/sidecar/templates/deployment.yaml:6:3"
    assert _values(finding) == [("charts/sidecar/values.yaml:1:1", "`.Values.replicaCount` is set here.")]


def test_the_dot_follows_with_range_else_and_variables():
    template = """{{- $cfg := .Values.config }}
{{- with .Values.pod }}
a: {{ .port }} {{ "x.y" }} {{ $.Values.top }}
{{- else }}
b: {{ .Values.fallback }} {{ .Release.Name }}
{{- end }}
{{- range $name, $svc := .Values.services }}
c: {{ $svc.port }} {{ $name }}
{{- end }}
{{- range .Values.hosts }}
d: {{ . | quote }}
{{- end }}
e: {{ $cfg.level }}
{{- if .Values.enabled }}
f: {{ include "x" . }}
{{- end }}""".splitlines()
    read = {line: mapping.values_paths(template, line) for line in (3, 5, 8, 11, 13, 15)}
    assert read == {3: ["pod.port", "top"], 5: ["fallback"], 8: ["services[].port"], 11: ["hosts[]"],
                    13: ["config.level"], 15: []}
