"""External entry points (rules.md 0.2) and the TLS helpers that judge them."""
from __future__ import annotations

import pytest

from readylint.model.entrypoints import entry_points, host_covered, ingress_class
from readylint.model.tls import certificate_for, inline_private_key, issuer_of, issuer_problem

from .test_model import index_of

RENDER = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop, annotations: {kubernetes.io/ingress.class: nginx}}
spec:
  rules:
    - host: shop.example.com
    - host: shop.example.com
    - host: intranet.local
    - http: {paths: []}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: shop}
spec:
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - {name: https, protocol: https, port: 443, hostname: "*.example.com"}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  servers:
    - port: {number: 443, protocol: HTTPS}
      hosts: [a.example.com, b.example.com]
---
apiVersion: v1
kind: Service
metadata:
  name: internal
  namespace: shop
  annotations: {networking.gke.io/load-balancer-type: Internal}
spec:
  type: LoadBalancer
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  type: LoadBalancer
  selector: {app: controller}
  ports: [{name: https, port: 443}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: controller, namespace: ingress-nginx}
spec:
  template:
    metadata: {labels: {app: controller}}
    spec:
      containers:
        - name: controller
          image: registry.k8s.io/ingress-nginx/controller:v1.12.0
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: kube-system}
spec: {type: LoadBalancer}
"""


def test_one_entry_point_per_host_listener_server_and_load_balancer():
    points = entry_points(index_of(RENDER))
    assert [(p.kind, p.host, p.protocol) for p in points] == [
        ("ingress", "shop.example.com", "HTTP"), ("ingress", "intranet.local", "HTTP"), ("ingress", "*", "HTTP"),
        ("gateway", "*", "HTTP"), ("gateway", "*.example.com", "HTTPS"),
        ("istio-gateway", "a.example.com, b.example.com", "HTTPS"),
        ("load-balancer", "", "TCP"), ("load-balancer", "", "HTTPS"),
    ]  # the duplicate host is one subject; kube-system is excluded


def test_entry_points_know_what_is_private_and_what_fronts_a_proxy():
    points = entry_points(index_of(RENDER))
    assert [p.internal for p in points] == [False, True, False, False, False, False, True, False]
    assert [p.fronts_proxy for p in points] == [False] * 7 + [True]


def test_entry_points_locate_their_key_and_keep_the_object_subject_key():
    index = index_of(RENDER)
    host, *_ = entry_points(index)
    assert (host.at().line, host.at().col) == (6, 7)  # the host: key
    assert host.subject().key == host.obj.subject().key  # so ignore annotations on the Ingress apply
    assert host.subject().display == "Ingress shop/web host shop.example.com"
    listener = entry_points(index)[4]
    assert listener.ref == "Gateway shop/public listener https (*.example.com)"
    assert listener.key == "listeners=https"


def test_entry_points_are_built_once_per_index():
    index = index_of(RENDER)
    assert entry_points(index) is entry_points(index)


@pytest.mark.parametrize(("pattern", "host", "expected"), [
    ("shop.example.com", "SHOP.example.com.", True),
    ("*.example.com", "shop.example.com", True),
    ("*.example.com", "a.shop.example.com", False),  # a wildcard covers one label only
    ("*.example.com", "example.com", False),
])
def test_host_covered(pattern, host, expected):
    assert host_covered(pattern, host) is expected


def test_ingress_class_reads_the_field_or_the_legacy_annotation():
    ingress = index_of(RENDER).objects[0]
    assert ingress_class(ingress) == "nginx"


TLS = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: staging}
spec: {acme: {server: "https://acme-staging-v02.api.letsencrypt.org/directory"}}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: local, namespace: shop}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: shop}
spec: {secretName: web-tls, issuerRef: {name: staging, kind: ClusterIssuer}}
---
apiVersion: v1
kind: Secret
metadata: {name: leaked, namespace: shop}
type: kubernetes.io/tls
stringData: {tls.crt: cert, tls.key: "-----BEGIN PRIVATE KEY-----"}
"""


def test_tls_helpers_find_producers_issuers_and_keys_in_git():
    index = index_of(TLS)
    assert certificate_for(index, "shop", "web-tls").name == "web"
    assert certificate_for(index, "other", "web-tls") is None
    staging = issuer_of(index, "shop", "ClusterIssuer", "staging")
    local = issuer_of(index, "shop", "Issuer", "local")
    assert issuer_problem(staging)[0] == ("spec", "acme", "server")
    assert issuer_problem(local)[0] == ("spec", "selfSigned")
    assert inline_private_key(index.get("Secret", "shop", "leaked")) == ("stringData", "tls.key")
