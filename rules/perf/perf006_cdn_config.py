"""CDN configuration reviewed.

## What it does
Checks every public HTTP entry point for a CDN defined in the repository: a GKE `BackendConfig` with
`spec.cdn.enabled: true` referenced by the backend Service's `cloud.google.com/backend-config` annotation, an ACK
CloudFront `Distribution`, cdn-origin-controller annotations on the Ingress, or infrastructure code
(`aws_cloudfront_distribution`, `enable_cdn = true`, Azure Front Door, Cloudflare cache rules). An enabled CDN
must state its cache behaviour (`cachePolicy` plus a TTL or `cacheMode`); one without is a `warning`. Internal
load balancers, LoadBalancer Services in front of an ingress controller, non-HTTP ports and API entry points
(hosts named `api.*` or `grpc.*`, gRPC backends, Ingresses whose paths are all under `/api`) are not judged:
caching an authenticated API is a bug. Low confidence: a human must confirm that the content is cacheable.

## Why it matters
Static assets and public pages served from the origin cost latency for distant users and capacity during
spikes; a CDN absorbs both.

## How to fix
Enable the cloud CDN for the backend with an explicit cache policy and TTLs, or declare a CDN managed elsewhere
with `platform.cdn: external`. A service that only serves an API sets `api_only: true`.

## Example
```yaml fail
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
    - host: shop.example.com
```
```yaml pass
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {name: web, port: {number: 80}}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations:
    cloud.google.com/backend-config: '{"default": "web-cdn"}'
spec:
  selector: {app: web}
---
apiVersion: cloud.google.com/v1
kind: BackendConfig
metadata: {name: web-cdn, namespace: shop}
spec:
  cdn:
    enabled: true
    cachePolicy: {includeHost: true, includeProtocol: true, includeQueryString: false}
    cacheMode: CACHE_ALL_STATIC
    defaultTtl: 3600
```
"""
import re

from readylint.findings import NOT_RELEVANT, Location, Related
from readylint.inputs import json_text
from readylint.model.entrypoints import entry_points
from readylint.model.objects import dig, mapping, sequence
from readylint.registry import rule

CLAIM = "claim: platform.cdn is external"
IAC = re.compile(r"aws_cloudfront_distribution|enable_cdn\s*=\s*true|azurerm_cdn_frontdoor|azurerm_frontdoor|"
                 r"cloudflare_(ruleset|page_rule|zone_settings_override)|google_compute_backend_bucket")
ORIGIN_CONTROLLER = "cdn-origin-controller.gympass.com/"


def iac_cdn(index):
    """The first infrastructure-code line that defines a CDN, or None."""
    for path in index.repo.glob("**/*.tf", "**/*.tf.json", "**/*.bicep", "**/Pulumi.*.yaml"):
        text = index.repo.text(path) or ""
        match = IAC.search(text)
        if match:
            return Location(path, text.count("\n", 0, match.start()) + 1, 1)
    return None


def backend_configs(index, ep):
    """BackendConfigs named by the annotations of the Services an Ingress host routes to."""
    ingress = ep.obj
    names = [dig(p, "backend", "service", "name") for p in sequence(dig(ep.item, "http", "paths"))]
    names = names or [dig(ingress.spec, "defaultBackend", "service", "name")]
    found = []
    for name in dict.fromkeys(str(n) for n in names if n):
        service = index.get("Service", ingress.namespace, name)
        raw = service.annotations.get("cloud.google.com/backend-config") if service is not None else None
        try:
            data = json_text.loads(raw) if raw else {}
        except ValueError:
            data = {}
        for config in [data.get("default")] + list((data.get("ports") or {}).values()) if isinstance(data, dict) \
                else []:
            obj = index.get("BackendConfig", ingress.namespace, str(config)) if config else None
            if obj is not None:
                found.append((service, obj))
    return found


def is_api(ep):
    host = ep.host.split(",")[0].strip().lower()
    if re.match(r"^(api|grpc)[.-]", host):
        return True
    if ep.protocol == "GRPC" or str(ep.obj.annotations.get("nginx.ingress.kubernetes.io/backend-protocol", "")
                                    ).upper() in ("GRPC", "GRPCS"):
        return True
    paths = [str(dig(p, "path") or "/") for p in sequence(dig(ep.item, "http", "paths"))] if ep.kind == "ingress" \
        else []
    return bool(paths) and all(re.match(r"^/(api|v\d+)(/|$)", p) for p in paths)


def judge(index, ep, subject, iac):
    if ep.kind == "ingress":
        if any(str(k).startswith(ORIGIN_CONTROLLER) for k in ep.obj.annotations):
            return [subject.passed("cdn-origin-controller annotations")]
        for service, config in backend_configs(index, ep):
            cdn = mapping(config.spec.get("cdn")) or {}
            if cdn.get("enabled") is True:
                if mapping(cdn.get("cachePolicy")) and ("defaultTtl" in cdn or "cacheMode" in cdn):
                    return [subject.passed(f"Cloud CDN in {config.ref}")]
                return [subject.fail(f"{config.ref} enables Cloud CDN for {ep.ref} without an explicit cachePolicy and "
                                     f"TTL (defaultTtl or cacheMode), so what is cached and for how long is left to "
                                     f"defaults; state them.", at=config.at("spec", "cdn"), key_path="spec.cdn",
                                     level="warning", related=[Related(ep.at(), f"{ep.ref} is served through it.")])]
    distributions = [o for o in index.objects if o.group == "cloudfront.services.k8s.aws" and o.kind == "Distribution"]
    if distributions:
        return [subject.passed(f"CloudFront {distributions[0].ref}")]
    if iac is not None:
        return [subject.passed(f"CDN defined in {iac.path}:{iac.line}")]
    at = ep.at()
    return [subject.fail(f"{ep.ref} is a public web entry point with no CDN in front of it in the repository; serve "
                         f"its static and cacheable content through a CDN, or declare platform.cdn: external. Confirm "
                         f"that the content is cacheable (never cache authenticated APIs: set api_only).", at=at,
                         key_path=f"{ep.key}.cdn")]


@rule(code="PERF006", slug="cdn-config", scope="entry-point", severity="note", confidence="low", evidence="M,R",
      options={"api_only": False})
def check(index, opts):
    claimed = (index.settings.get("platform") or {}).get("cdn") == "external"
    points = entry_points(index)
    iac = iac_cdn(index) if points else None
    for ep in points:
        subject = ep.subject()
        if opts["api_only"]:
            yield subject.not_applicable(NOT_RELEVANT, "api_only: an API is not cached at a CDN")
        elif ep.internal or ep.fronts_proxy:
            yield subject.not_applicable(NOT_RELEVANT, "internal load balancer" if ep.internal else
                                         "fronts an ingress controller or gateway: its routes are judged")
        elif ep.protocol not in ("HTTP", "HTTPS", "HTTP2"):
            yield subject.not_applicable(NOT_RELEVANT, f"{ep.protocol or 'unknown'} traffic is not web content")
        elif is_api(ep):
            yield subject.not_applicable(NOT_RELEVANT, "an API entry point: never demand a CDN for it")
        elif claimed:
            yield subject.passed(CLAIM)
        else:
            yield from judge(index, ep, subject, iac)
    if not points:
        yield index.repo.subject("entry-points", "the repository's entry points").not_applicable(
            NOT_RELEVANT, "no public HTTP entry point")
