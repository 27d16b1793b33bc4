"""CDN configuration reviewed.

## What it does
Checks every public HTTP entry point for a CDN defined in the repository: a GKE `BackendConfig` with
`spec.cdn.enabled: true` referenced by the backend Service's `cloud.google.com/backend-config` annotation, an ACK
CloudFront `Distribution`, cdn-origin-controller annotations on the Ingress, or infrastructure code
(`aws_cloudfront_distribution`, `enable_cdn = true`, Azure Front Door, Cloudflare cache rules). An enabled CDN
must state its cache behaviour (`cachePolicy` plus a TTL or `cacheMode`); one without is a `warning`. The CDN
configuration must also have been reviewed within `doc_staleness_days`: a `last-reviewed` (or `last_reviewed`)
annotation on its object, or a `last_reviewed: YYYY-MM-DD` comment in its IaC file, else the last commit that
changed its file; older is a `warning`, and without a date (a shallow clone, no git) the review is unknown. Internal
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
metadata:
  name: web-cdn
  namespace: shop
  annotations:
    readylint.dev/last-reviewed: "2026-10-01"
spec:
  cdn:
    enabled: true
    cachePolicy: {includeHost: true, includeProtocol: true, includeQueryString: false}
    cacheMode: CACHE_ALL_STATIC
    defaultTtl: 3600
```
"""
import re

from readylint import lazy_re
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location, Related
from readylint.inputs import json_text
from readylint.model.entrypoints import entry_points
from readylint.model.objects import dig, mapping, sequence
from readylint.registry import rule

CLAIM = "claim: platform.cdn is external"
IAC = lazy_re.compile(r"aws_cloudfront_distribution|enable_cdn\s*=\s*true|azurerm_cdn_frontdoor|azurerm_frontdoor|"
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


_REVIEW_TEXT = lazy_re.compile(r"last[_-]reviewed[\"']?\s*[:=]\s*[\"']?(\d{4}-\d{2}-\d{2})", re.IGNORECASE)


def review_date(index, at, obj=None):
    """(date, how, location) of the last review of CDN config: a ``last_reviewed`` / ``last-reviewed`` annotation
    of the object or such a comment in the IaC file wins, else the file's last commit; (None, why, None) when
    unknown (shallow clone, no git). A file not committed yet is being changed now, so it counts as reviewed today.
    """
    from readylint.model.docs import docs, today  # dates only for a CDN-fronted entry point
    from readylint.model.facts import parse_date

    if obj is not None:
        for key, value in obj.annotations.items():
            if str(key).lower().replace("_", "-").endswith("last-reviewed") and parse_date(value):
                return parse_date(value), "last-reviewed annotation", obj.at("metadata", "annotations", key)
    elif at is not None:
        text = index.repo.text(at.path) or ""
        match = _REVIEW_TEXT.search(text)
        if match and parse_date(match.group(1)):
            return parse_date(match.group(1)), "last_reviewed comment", Location(
                at.path, text.count("\n", 0, match.start()) + 1, 1)
    fresh = docs(index).changed([at.path])
    if fresh.known:
        return fresh.date, "last commit", at
    if fresh.unavailable == "not committed yet":
        return today(index), "not committed yet", at
    return None, fresh.unavailable, None


def reviewed(index, subject, ep, why, at, days, obj=None):
    """PASS when the CDN config was reviewed (changed) within ``days``; a warning when older; unknown without a date."""
    from readylint.model.docs import today

    date, how, where = review_date(index, at, obj)
    if date is None:
        return [subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{why}; when it was last reviewed is unknown ({how}); "
                                                             f"add a last-reviewed annotation or comment")]
    age = (today(index) - date).days
    if age <= days:
        return [subject.passed(f"{why}, reviewed {date.isoformat()} ({how})")]
    return [subject.fail(f"The CDN configuration of {ep.ref} ({why}) was last reviewed {date.isoformat()} ({how}), "
                         f"{age} days ago, more than {days}; check its cache keys and TTLs against what the service "
                         f"serves now, then record the review (last-reviewed).", at=where,
                         key_path=f"{ep.key}.cdn.review",
                         level="warning", related=[Related(ep.at(), f"{ep.ref} is served through it.")])]


def judge(index, ep, subject, iac, days=180):
    if ep.kind == "ingress":
        if any(str(k).startswith(ORIGIN_CONTROLLER) for k in ep.obj.annotations):
            return reviewed(index, subject, ep, "cdn-origin-controller annotations", ep.obj.name_at(), days, ep.obj)
        for service, config in backend_configs(index, ep):
            cdn = mapping(config.spec.get("cdn")) or {}
            if cdn.get("enabled") is True:
                if mapping(cdn.get("cachePolicy")) and ("defaultTtl" in cdn or "cacheMode" in cdn):
                    return reviewed(index, subject, ep, f"Cloud CDN in {config.ref}", config.at("spec", "cdn"), days,
                                    config)
                return [subject.fail(f"{config.ref} enables Cloud CDN for {ep.ref} without an explicit cachePolicy and "
                                     f"TTL (defaultTtl or cacheMode), so what is cached and for how long is left to "
                                     f"defaults; state them.", at=config.at("spec", "cdn"), key_path="spec.cdn",
                                     level="warning", related=[Related(ep.at(), f"{ep.ref} is served through it.")])]
    distributions = [o for o in index.objects if o.group == "cloudfront.services.k8s.aws" and o.kind == "Distribution"]
    if distributions:
        return reviewed(index, subject, ep, f"CloudFront {distributions[0].ref}", distributions[0].name_at(), days,
                        distributions[0])
    if iac is not None:
        return reviewed(index, subject, ep, f"CDN defined in {iac.path}:{iac.line}", iac, days)
    at = ep.at()
    return [subject.fail(f"{ep.ref} is a public web entry point with no CDN in front of it in the repository; serve "
                         f"its static and cacheable content through a CDN, or declare platform.cdn: external. Confirm "
                         f"that the content is cacheable (never cache authenticated APIs: set api_only).", at=at,
                         key_path=f"{ep.key}.cdn")]


@rule(code="PERF006", slug="cdn-config", scope="entry-point", severity="note", confidence="low", evidence="M,R",
      options={"api_only": False, "doc_staleness_days": 180})
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
            yield from judge(index, ep, subject, iac, int(opts["doc_staleness_days"]))
    if not points:
        yield index.repo.subject("entry-points", "the repository's entry points").not_applicable(
            NOT_RELEVANT, "no public HTTP entry point")
