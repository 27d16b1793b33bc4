"""Rate limiting configured.

## What it does
Checks every external entry point for a request limit in front of it: ingress-nginx `limit-rps`, `limit-rpm` or
`limit-connections` annotations on an Ingress the nginx controller owns; a Traefik Middleware with
`spec.rateLimit` referenced through `traefik.ingress.kubernetes.io/router.middlewares` or an IngressRoute; a Kong
`rate-limiting` plugin attached with `konghq.com/plugins`; an Istio EnvoyFilter with a local or global rate-limit
filter that reaches the gateway's proxies (its `workloadSelector` labels hold on the pods the Istio Gateway's
`spec.selector` picks, or on the pods Istio deploys for a Gateway API Gateway; in the filter's namespace unless it
sits in `istio-system`; not a sidecar-only patch context; or `targetRefs` naming the Gateway); an Envoy Gateway
BackendTrafficPolicy with `spec.rateLimit` targeting the Gateway or one of its routes.
It also reports limit annotations of a controller that does not own the Ingress (ignored silently) and rate-limit
Middlewares or plugins nothing references. A GKE Ingress whose backend uses a Cloud Armor policy is unknown: the
rate rules live in the policy. A LoadBalancer Service in front of an ingress controller is judged through its
routes.

## Why it matters
Without a limit one client, bot or retry storm can exhaust the service and its dependencies for everyone.

## How to fix
Add the limit where traffic enters: for example `nginx.ingress.kubernetes.io/limit-rps: "20"` on the Ingress, a
Traefik `rateLimit` Middleware, or an Envoy Gateway BackendTrafficPolicy. ingress-nginx is retired (best-effort
maintenance until March 2026); plan a move to a Gateway API implementation.

## Example
```yaml fail
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
    - host: shop.example.com
```
```yaml pass
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/limit-rps: "20"
spec:
  ingressClassName: nginx
  rules:
    - host: shop.example.com
```
"""

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Related
from readylint.inputs import json_text
from readylint.model.entrypoints import entry_points, ingress_class, proxy_pods
from readylint.model.objects import dig, mapping, sequence
from readylint.registry import rule

NGINX_LIMITS = tuple(f"nginx.ingress.kubernetes.io/{k}" for k in ("limit-rps", "limit-rpm", "limit-connections"))
NGINX_CONTROLLER = "k8s.io/ingress-nginx"
RETIRED = "ingress-nginx is retired (best-effort maintenance until March 2026); plan a Gateway API implementation"
TRAEFIK_GROUPS = ("traefik.io", "traefik.containo.us")
RATE_FILTERS = ("envoy.filters.http.local_ratelimit", "envoy.filters.http.ratelimit")


class Limits:
    """Rate-limit objects of the render and which of them something references."""

    def __init__(self, index):
        self.index = index
        self.used = set()
        self.middlewares = {(o.namespace, o.name): o for o in index.of_kind("Middleware") if o.group in TRAEFIK_GROUPS}
        self.plugins = {(o.namespace, o.name): o for o in index.of_kind("KongPlugin", "KongClusterPlugin")
                        if o.group == "configuration.konghq.com"}
        self.filters = [o for o in index.of_kind("EnvoyFilter") if any(f in str(o.data) for f in RATE_FILTERS)]
        self.policies = [o for o in index.of_kind("BackendTrafficPolicy")
                         if o.group == "gateway.envoyproxy.io" and mapping(o.spec.get("rateLimit"))]
        self.classes = {o.name: str(o.spec.get("controller", "")) for o in index.of_kind("IngressClass")}
        for route in index.of_kind("IngressRoute"):
            for item in sequence(route.spec.get("routes")):
                for ref in sequence(dig(item, "middlewares")):
                    self.used.add((str(dig(ref, "namespace") or route.namespace), str(dig(ref, "name"))))

    def is_nginx(self, ingress):
        name = ingress_class(ingress)
        if not name:
            defaults = [o for o in self.index.of_kind("IngressClass")
                        if str(o.annotations.get("ingressclass.kubernetes.io/is-default-class")) == "true"]
            return bool(defaults) and str(defaults[0].spec.get("controller")) == NGINX_CONTROLLER
        return self.classes.get(name) == NGINX_CONTROLLER or (name not in self.classes and "nginx" in name)

    def traefik(self, ingress):
        found = []
        for ref in str(ingress.annotations.get("traefik.ingress.kubernetes.io/router.middlewares", "")).split(","):
            ref = ref.strip().split("@")[0]
            for (namespace, name), obj in self.middlewares.items():
                if ref == f"{namespace}-{name}":
                    self.used.add((namespace, name))
                    found.append(obj)
        return [o for o in found if mapping(o.spec.get("rateLimit"))]

    def kong(self, obj):
        found = []
        for name in str(obj.annotations.get("konghq.com/plugins", "")).split(","):
            plugin = self.plugins.get((obj.namespace, name.strip())) or self.plugins.get(("", name.strip()))
            if plugin is not None:
                self.used.add((plugin.namespace, plugin.name))
                if str(plugin.data.get("plugin", "")).startswith("rate-limiting"):
                    found.append(plugin)
        return found

    def gateway_policy(self, gateway):
        routes = {r.name for r in self.index.in_namespace(gateway.namespace, "HTTPRoute", "GRPCRoute")
                  if any(dig(p, "name") == gateway.name for p in sequence(r.spec.get("parentRefs")))}
        for policy in self.policies:
            refs = [mapping(policy.spec.get("targetRef"))] + list(sequence(policy.spec.get("targetRefs")))
            for ref in filter(None, refs):
                if policy.namespace == gateway.namespace and (
                        (ref.get("kind") == "Gateway" and ref.get("name") == gateway.name) or
                        (ref.get("kind") in ("HTTPRoute", "GRPCRoute") and ref.get("name") in routes)):
                    return policy
        return None


def judge(limits, ep, subject):
    obj = ep.obj
    if ep.kind == "load-balancer":
        if ep.fronts_proxy:
            return subject.not_applicable(NOT_RELEVANT, "fronts an ingress controller or gateway: its routes are "
                                                        "judged")
        return subject.fail(f"{obj.ref} is exposed directly through a load balancer with no rate limit in front of "
                            f"it; route it through an Ingress or Gateway that limits requests (or waive it if the "
                            f"service limits requests itself).", at=ep.at(), key_path=ep.key)
    if ep.kind == "ingress":
        nginx = limits.is_nginx(obj)
        annotated = [k for k in NGINX_LIMITS if obj.annotations.get(k)]
        if annotated and nginx:
            return subject.passed(f"{annotated[0]}; note that {RETIRED}")
        if annotated:
            return subject.fail(f"{obj.ref} sets {annotated[0]}, but its class '{ingress_class(obj) or 'default'}' "
                                f"is not served by ingress-nginx, so the limit is silently ignored; use the rate "
                                f"limit of the controller that owns it.", at=obj.at("metadata", "annotations",
                                                                                    annotated[0]),
                                key_path=f"metadata.annotations.{annotated[0]}")
        found = limits.traefik(obj) + limits.kong(obj)
        if found:
            return subject.passed(f"rate limit from {found[0].ref}")
        if _cloud_armor(limits.index, obj):
            return subject.not_applicable(EVIDENCE_UNAVAILABLE, "a Cloud Armor policy protects the backend; its rate "
                                                                "rules are outside the repository")
        name = ingress_class(obj).lower()
        how = (f"nginx.ingress.kubernetes.io/limit-rps. Note that {RETIRED}" if nginx else
               "a Traefik Middleware with spec.rateLimit in router.middlewares" if "traefik" in name else
               "a KongPlugin rate-limiting in konghq.com/plugins" if "kong" in name else
               "the rate limit of the controller that owns this Ingress")
        at = obj.at("metadata", "annotations") if "annotations" in obj.metadata else obj.name_at()
        return subject.fail(f"{ep.ref} has no rate limit; add {how}.", at=at, key_path=f"{ep.key}.rate-limit")
    if ep.kind == "gateway":
        policy = limits.gateway_policy(obj)
        if policy is not None:
            return subject.passed(f"rate limit from {policy.ref}")
    applying = [f for f in limits.filters if filter_applies(f, ep, proxy_pods(limits.index, ep))]
    if applying:
        return subject.passed(f"rate limit from {applying[0].ref}")
    if limits.filters:
        other = limits.filters[0]
        return subject.fail(f"{ep.ref} has no rate limit: {other.ref} defines one, but its workloadSelector, "
                            f"namespace or patch context does not select the proxies of {obj.ref}. Select the "
                            f"gateway's pods (its selector labels) in workloadSelector, or add a filter for it.",
                            at=ep.at(), key_path=f"{ep.key}.rate-limit",
                            related=[Related(_selector_at(f), f"{f.ref} applies here.") for f in limits.filters[:3]])
    return subject.fail(f"{ep.ref} has no rate limit; add an Envoy rate-limit filter or a BackendTrafficPolicy with "
                        f"spec.rateLimit for it.", at=ep.at(), key_path=f"{ep.key}.rate-limit")


MESH_ROOT = "istio-system"


def filter_applies(envoy_filter, ep, pods) -> bool:
    """Whether an EnvoyFilter reaches the proxies of a Gateway entry point (Istio's own selection rules).

    Sidecar-only patch contexts never touch a gateway; ``targetRefs`` name Gateway API Gateways; otherwise the
    ``workloadSelector`` labels must hold on the gateway's pods, in the filter's namespace unless the filter sits
    in the mesh root namespace. Pods whose namespace is unknown are given the benefit of the doubt.
    """
    spec = envoy_filter.spec
    contexts = {str(dig(p, "match", "context") or "ANY") for p in sequence(spec.get("configPatches"))}
    if contexts and contexts <= {"SIDECAR_INBOUND", "SIDECAR_OUTBOUND"}:
        return False
    refs = [r for r in [mapping(spec.get("targetRef"))] + list(sequence(spec.get("targetRefs"))) if mapping(r)]
    if refs:
        return ep.kind == "gateway" and envoy_filter.namespace == ep.obj.namespace and any(
            str(r.get("kind")) == "Gateway" and str(r.get("name")) == ep.obj.name for r in refs)
    wanted = mapping(dig(spec, "workloadSelector", "labels")) or {}
    for namespace, labels in pods:
        if namespace is not None and envoy_filter.namespace not in (namespace, MESH_ROOT):
            continue
        if all(str(labels.get(str(k))) == str(v) for k, v in wanted.items()):
            return True
    return False


def _selector_at(envoy_filter):
    spec = envoy_filter.spec
    if "workloadSelector" in spec:
        return envoy_filter.at("spec", "workloadSelector")
    return envoy_filter.name_at()


def _cloud_armor(index, ingress):
    for service_name in _backend_services(ingress):
        service = index.get("Service", ingress.namespace, service_name)
        text = service.annotations.get("cloud.google.com/backend-config") if service is not None else None
        try:
            names = set(json_text.loads(text).get("default", "") and [json_text.loads(text)["default"]]) if text else set()
        except (ValueError, AttributeError):
            names = set()
        for name in names:
            config = index.get("BackendConfig", ingress.namespace, name)
            if config is not None and dig(config.spec, "securityPolicy", "name"):
                return True
    return False


def _backend_services(ingress):
    names = [dig(ingress.spec, "defaultBackend", "service", "name")]
    for rule_ in sequence(ingress.spec.get("rules")):
        for path in sequence(dig(rule_, "http", "paths")):
            names.append(dig(path, "backend", "service", "name"))
    return [str(n) for n in names if n]


@rule(code="DEP006", slug="rate-limiting", scope="entry-point", severity="warning", confidence="medium",
      evidence="M")
def check(index, opts):
    limits = Limits(index)
    points = entry_points(index)
    for ep in points:
        yield judge(limits, ep, ep.subject())
    for (namespace, name), obj in {**limits.middlewares, **limits.plugins}.items():
        limiting = mapping(obj.spec.get("rateLimit")) or str(obj.data.get("plugin", "")).startswith("rate-limiting")
        if limiting and (namespace, name) not in limits.used and not index.is_excluded(obj):
            yield obj.subject().fail(f"{obj.ref} defines a rate limit that no Ingress or route references, so it "
                                     f"limits nothing; attach it to the routes it was written for.",
                                     at=obj.name_at(), key_path="metadata.name",
                                     related=[Related(points[0].at(), f"{points[0].ref} is exposed.")] if points
                                     else ())
    if not points:
        yield index.repo.subject("entry-points", "the repository's entry points").not_applicable(
            NOT_RELEVANT, "no external entry point (Ingress, Gateway or LoadBalancer Service)")
