"""External entry points (rules.md 0.2): how traffic from outside the cluster reaches the service.

One entry point per Ingress host, Gateway API listener, Istio Gateway server and Service of
``type: LoadBalancer``. Rules that judge entry points (TLS, rate limits, CDN) share this list so they
agree on what is exposed. API:

* ``entry_points(index)`` -> list of ``EntryPoint`` (excluded namespaces left out), built once per index;
* ``EntryPoint``: ``obj``, ``kind`` (``ingress``, ``gateway``, ``istio-gateway``, ``load-balancer``),
  ``host`` (``*`` for a catch-all), ``protocol`` (upper case, ``""`` when unknown), ``segments`` (the key
  that states the host, listener, server or type), ``item`` (that rule, listener or server mapping),
  ``internal`` (an internal load balancer, ingress class or host name such as ``*.local``),
  ``fronts_proxy`` (a LoadBalancer Service in front of an ingress controller or gateway proxy, whose routes
  are judged on their own), ``at()``, ``subject()``, ``ref``;
* ``ingress_class(obj)`` -> the class an Ingress names (``spec.ingressClassName`` or the legacy
  annotation), ``""`` when it names none; ``host_covered(pattern, host)`` -> wildcard host matching.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import replace
from typing import NamedTuple

from .. import lazy_re
from ..inputs.yaml_docs import YMap
from .objects import K8sObject, mapping, sequence
from .selectors import service_selector_matches

GATEWAY_API = "gateway.networking.k8s.io"
ISTIO_NETWORKING = "networking.istio.io"
INTERNAL_LB_ANNOTATIONS = {
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "service.beta.kubernetes.io/oci-load-balancer-internal": "true",
}
INTERNAL_INGRESS_CLASSES = ("gce-internal", "nginx-internal", "internal")
INTERNAL_HOST = lazy_re.compile(r"(^localhost|\.(local|localhost|internal|intranet|lan|svc|cluster\.local|home\.arpa))$",
                           re.IGNORECASE)
# Images of proxies that terminate routes themselves: a LoadBalancer in front of them is judged per route.
PROXY_IMAGE = lazy_re.compile(r"ingress-nginx|nginx-ingress|traefik|envoyproxy/|/envoy|istio/proxyv2|proxyv2|haproxy|"
                         r"kong|contour|emissary|ambassador|gateway", re.IGNORECASE)


class EntryPoint(NamedTuple):
    obj: K8sObject
    kind: str
    host: str
    protocol: str
    segments: tuple
    item: YMap | None = None
    internal: bool = False
    fronts_proxy: bool = False

    @property
    def ref(self) -> str:
        if self.kind == "load-balancer":
            return f"LoadBalancer {self.obj.ref}"
        if self.kind == "ingress":
            return f"{self.obj.ref} host {self.host}" if self.host != "*" else f"{self.obj.ref} (any host)"
        name = self.item.get("name") if isinstance(self.item, YMap) else None
        what = "listener" if self.kind == "gateway" else "server"
        label = f" {name}" if name else (f" {self.segments[-1] + 1}" if isinstance(self.segments[-1], int) else "")
        return f"{self.obj.ref} {what}{label} ({self.host})"

    @property
    def key(self) -> str:
        """A stable key-path stem: the host, listener or server this entry point is."""
        if self.kind == "load-balancer":
            return "spec.type"
        if self.kind == "ingress":
            return f"host={self.host}"
        name = self.item.get("name") if isinstance(self.item, YMap) else None
        return f"{self.segments[-2]}={name or self.host}"

    def at(self):
        return self.obj.at(*self.segments)

    def subject(self):
        """The object's subject (so its ignore annotations apply), shown and located as this entry point."""
        return replace(self.obj.subject(), display=self.ref, location=self.at())


def host_covered(pattern: str, host: str) -> bool:
    """Whether a certificate or TLS name covers ``host``: exact, or ``*.example.com`` for one label."""
    pattern, host = str(pattern).lower().rstrip("."), str(host).lower().rstrip(".")
    if pattern == host:
        return True
    if pattern.startswith("*.") and "." in host:
        return host.split(".", 1)[1] == pattern[2:]
    return False


def ingress_class(obj: K8sObject) -> str:
    name = obj.spec.get("ingressClassName") or obj.annotations.get("kubernetes.io/ingress.class")
    return str(name) if name else ""


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def entry_points(index) -> list[EntryPoint]:
    """Every external entry point of the production render, in object order."""
    found = _CACHE.get(index)
    if found is None:
        found, proxies = [], _proxy_pods(index)
        for obj in index.objects:
            if index.is_excluded(obj):
                continue
            if obj.kind == "Ingress" and obj.group in ("networking.k8s.io", "extensions"):
                found += _ingress(obj)
            elif obj.kind == "Gateway" and obj.group == GATEWAY_API:
                found += _listeners(obj)
            elif obj.kind == "Gateway" and obj.group == ISTIO_NETWORKING:
                found += _servers(obj)
            elif obj.kind == "Service" and obj.group == "" and obj.spec.get("type") == "LoadBalancer":
                found.append(EntryPoint(obj, "load-balancer", "", _lb_protocol(obj), ("spec", "type"),
                                        internal=_internal_lb(obj), fronts_proxy=_fronts_proxy(proxies, obj)))
        _CACHE[index] = found
    return found


def _ingress(obj):
    internal = ingress_class(obj).lower() in INTERNAL_INGRESS_CLASSES
    out, seen = [], set()
    for i, rule in enumerate(sequence(obj.spec.get("rules"))):
        if not isinstance(rule, YMap):
            continue
        host = str(rule.get("host") or "*")
        if host in seen:
            continue
        seen.add(host)
        segments = ("spec", "rules", i, "host") if rule.get("host") else ("spec", "rules", i)
        private = internal or bool(INTERNAL_HOST.search(host))
        out.append(EntryPoint(obj, "ingress", host, "HTTP", segments, rule, private))
    if not out and mapping(obj.spec.get("defaultBackend") or obj.spec.get("backend")) is not None:
        key = "defaultBackend" if "defaultBackend" in obj.spec else "backend"
        out.append(EntryPoint(obj, "ingress", "*", "HTTP", ("spec", key), None, internal))
    return out


def _listeners(obj):
    out = []
    for i, listener in enumerate(sequence(obj.spec.get("listeners"))):
        if isinstance(listener, YMap):
            segment = ("name", listener["name"]) if "name" in listener else i
            out.append(EntryPoint(obj, "gateway", str(listener.get("hostname") or "*"),
                                  str(listener.get("protocol") or "").upper(), ("spec", "listeners", segment),
                                  listener))
    return out


def _servers(obj):
    out = []
    for i, server in enumerate(sequence(obj.spec.get("servers"))):
        if isinstance(server, YMap):
            hosts = [str(h) for h in sequence(server.get("hosts"))]
            protocol = str((mapping(server.get("port")) or {}).get("protocol") or "").upper()
            out.append(EntryPoint(obj, "istio-gateway", ", ".join(hosts) or "*", protocol, ("spec", "servers", i),
                                  server))
    return out


def _lb_protocol(obj) -> str:
    ports = [p for p in sequence(obj.spec.get("ports")) if isinstance(p, YMap)]
    if any(p.get("port") in (443, 8443) or str(p.get("name", "")).lower() in ("https", "tls") for p in ports):
        return "HTTPS"
    if any(p.get("port") in (80, 8080) or str(p.get("name", "")).lower() == "http" for p in ports):
        return "HTTP"
    return "TCP"


def _internal_lb(obj) -> bool:
    annotations = obj.annotations
    return any(str(annotations.get(key, "")).lower() == value for key, value in INTERNAL_LB_ANNOTATIONS.items())


def _proxy_pods(index) -> dict:
    """Pod labels of the workloads that run a proxy image, by namespace."""
    found = {}
    for wl in index.workloads:
        if any(PROXY_IMAGE.search(str(c.data.get("image", ""))) for c in wl.containers()):
            found.setdefault(wl.namespace, []).append(wl.labels)
    return found


def _fronts_proxy(proxies, service) -> bool:
    selector = service.spec.get("selector")
    if any(service_selector_matches(selector, labels) for labels in proxies.get(service.namespace, ())):
        return True
    if isinstance(selector, YMap) and str(selector.get("istio", "")).endswith("gateway"):
        return True  # the Istio ingress gateway installed by istioctl or its chart
    return False


def proxy_pods(index, ep: EntryPoint) -> list[tuple[str | None, dict]]:
    """(namespace, pod labels) of the proxies that serve a Gateway entry point; namespace None when unknown.

    An Istio Gateway runs on the pods its ``spec.selector`` picks, in any namespace: the rendered ones when the
    repository has them, else the selector's own labels stand in for them. A Gateway API Gateway that Istio
    deploys runs on pods labelled ``gateway.networking.k8s.io/gateway-name: <name>`` in its own namespace.
    """
    obj = ep.obj
    if ep.kind == "istio-gateway":
        selector = mapping(obj.spec.get("selector")) or YMap()
        wanted = {str(k): str(v) for k, v in selector.items()}
        rendered = [(wl.namespace, dict(wl.labels)) for wl in index.workloads
                    if wanted and all(str(wl.labels.get(k)) == v for k, v in wanted.items())]
        return rendered or [(None, wanted)]
    if ep.kind == "gateway":
        return [(obj.namespace, {"gateway.networking.k8s.io/gateway-name": obj.name,
                                 "istio.io/gateway-name": obj.name})]
    return []
