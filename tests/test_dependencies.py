"""Dependency discovery (rules.md 0.10), Istio DestinationRule host matching, telemetry and pooling lookups,
and the DEP/OBS rules on microservices-demo."""
from __future__ import annotations

from readylint.inputs.yaml_docs import load_stream
from readylint.model.dependencies import all_dependencies, workload_dependencies
from readylint.model.index import RepoIndex
from readylint.model.mesh import breaker_settings, destination_rules, fqdn, meshed
from readylint.model.objects import K8sObject
from readylint.model.telemetry import inject_annotations, log_collectors, trace_sinks

from .conftest import CORPUS, needs_shared
from .helpers import lint


def index_of(text: str) -> RepoIndex:
    objects = [K8sObject("m.yaml", d.index, d.data, d.source, doc_line=d.line)
               for d in load_stream(text).documents if d.data]
    return RepoIndex(objects, "/repo")


def deployment(name, env="", namespace="shop", extra=""):
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels: {{app: {name}}}{extra}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
          env: [{env}]
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: {name}}}
"""


ENV = ("{name: DATABASE_URL, value: 'jdbc:postgresql://orders-db:5432/orders'}, "
       "{name: CART_ADDR, value: 'cart:7070'}, {name: SELF_URL, value: 'http://web'}, "
       "{name: OTEL_EXPORTER_OTLP_ENDPOINT, value: 'http://otel-collector:4317'}, "
       "{name: REDIS_HOST, value: redis}, {name: PAYMENTS_URL, value: 'https://pay.example.com/v1'}, "
       "{name: API_KEY_URL, valueFrom: {secretKeyRef: {name: s, key: k}}}, {name: LOG_LEVEL, value: info}")


def test_env_dependencies_skip_self_and_telemetry_and_know_databases():
    index = index_of(deployment("web", ENV) + deployment("cart"))
    web = next(w for w in index.workloads if w.obj.name == "web")
    found = [(d.env, d.host, d.port, d.database, d.in_cluster) for d in workload_dependencies(index, web)]
    assert found == [("DATABASE_URL", "orders-db", 5432, "PostgreSQL", False),
                     ("CART_ADDR", "cart", 7070, "", True),
                     ("REDIS_HOST", "redis", None, "", False),
                     ("PAYMENTS_URL", "pay.example.com", None, "", False),
                     ("API_KEY_URL", "", None, "", False)]


def test_service_entries_count_but_wildcard_egress_allow_lists_do_not():
    index = index_of("""
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: egress, namespace: shop}
spec:
  hosts: [api.stripe.com, "*.googleapis.com"]
""")
    assert [d.host for d in all_dependencies(index)] == ["api.stripe.com"]


def test_destination_rule_hosts_resolve_in_their_own_namespace_and_the_callers_rule_wins():
    index = index_of("""
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: cart, namespace: shop}
spec: {host: cart, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: cart-from-web, namespace: web}
spec:
  host: cart.shop.svc.cluster.local
  subsets:
    - name: v2
      trafficPolicy:
        portLevelSettings: [{port: {number: 80}, connectionPool: {tcp: {maxConnections: 10}}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: other, namespace: other}
spec: {host: cart}
""")
    assert fqdn("cart.shop", "web") == "cart.shop.svc.cluster.local"
    assert [r.name for r in destination_rules(index, "cart", "shop")] == ["cart", "cart-from-web"]
    from_web = destination_rules(index, "cart.shop", "web")
    assert [r.name for r in from_web] == ["cart-from-web", "cart"]
    assert breaker_settings(from_web[0]) == [(("spec", "subsets", 0, "trafficPolicy", "portLevelSettings", 0,
                                               "connectionPool"), "connectionPool")]
    assert breaker_settings(from_web[1]) == []


def test_mesh_membership_from_pod_and_namespace_labels():
    index = index_of(deployment("a", namespace="meshed") + deployment("b", namespace="plain")
                     + deployment("c", namespace="plain",
                                  extra="\n      annotations: {sidecar.istio.io/inject: 'true'}")
                     + deployment("d", namespace="unknown") + """---
apiVersion: v1
kind: Namespace
metadata: {name: meshed, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: plain, labels: {istio-injection: disabled}}
""")
    assert {w.obj.name: meshed(index, w) for w in index.workloads} == {"a": True, "b": False, "c": True,
                                                                        "d": None}


def test_log_collectors_and_trace_sinks():
    index = index_of("""
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: alloy, namespace: logging}
spec:
  template:
    spec:
      containers:
        - name: alloy
          image: grafana/alloy:v1.3.0
---
apiVersion: opentelemetry.io/v1beta1
kind: OpenTelemetryCollector
metadata: {name: gw, namespace: otel}
spec:
  config:
    receivers: {otlp: {}}
    service: {pipelines: {metrics: {receivers: [otlp]}}}
""")
    assert [o.name for o, _ in log_collectors(index)] == ["alloy"]
    assert trace_sinks(index) == []  # a collector without a traces pipeline receives no traces
    annotations = load_stream("instrumentation.opentelemetry.io/inject-java: 'true'\n"
                              "instrumentation.opentelemetry.io/inject-python: 'false'\n").documents[0].data
    assert inject_annotations(annotations) == {"java": "true"}


@needs_shared(CORPUS / "microservices-demo")
def test_microservices_demo_dependencies_have_no_circuit_breakers():
    report = lint(CORPUS / "microservices-demo", select=["DEP002", "DEP003", "OBS004"])
    dep003 = sorted(f.message.split(" (")[0].rsplit(" ", 1)[-1] for f in report.active if f.code == "DEP003")
    assert "productcatalogservice" in dep003 and "redis-cart" in dep003
    assert not any("googleapis" in host for host in dep003)  # wildcard egress allow-list, not a dependency
    dep002 = {f.message.split(" of ")[1].split(" ")[1] for f in report.active if f.code == "DEP002"}
    assert dep002 == {"frontend", "cartservice"}  # same endpoint for readiness and liveness
    assert [f.location.path for f in report.active if f.code == "OBS004"] == ["README.md"]
