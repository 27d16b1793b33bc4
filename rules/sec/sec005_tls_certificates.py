"""TLS certificates properly managed.

## What it does
Checks every external entry point (Ingress host, Gateway API listener, Istio Gateway server, LoadBalancer
Service). An Ingress host must be listed in `spec.tls[].hosts` with a `secretName` that a cert-manager
`Certificate` produces (its `dnsNames` covering the host) or that the ingress-shim annotation
`cert-manager.io/cluster-issuer` / `cert-manager.io/issuer` requests; GKE managed certificates, AWS ALB
`certificate-arn` and GCE pre-shared certificates count too. A Gateway listener must speak HTTPS or TLS with
`tls.certificateRefs` (or Passthrough); a plain-HTTP listener passes only beside an HTTPS listener for the same
hostname. An Istio server must use `tls.mode` SIMPLE, MUTUAL or PASSTHROUGH, or redirect with
`tls.httpsRedirect`. Issuers for public hosts must not be self-signed or an ACME staging server. A
`kubernetes.io/tls` Secret rendered with its `tls.key` is a private key in Git. Certificates whose
`renewBefore` is not shorter than `duration` get a `warning`.

Notes (hygiene, never errors): an HTTP→HTTPS redirect that is missing — ingress-nginx
`nginx.ingress.kubernetes.io/ssl-redirect: "false"` on a TLS host, a Gateway HTTP listener whose attached
HTTPRoutes do not redirect (`RequestRedirect` with `scheme: https`; not judged when the Gateway's routes are not
in the repository), an Istio plain-HTTP server beside a TLS server for its hosts without `tls.httpsRedirect`; and
in-mesh mTLS that is not STRICT — a namespace- or mesh-wide `PeerAuthentication` in PERMISSIVE or DISABLE mode,
or a Namespace that joins the Istio mesh with no STRICT policy covering it.

A LoadBalancer Service in front of an ingress controller or gateway proxy is not judged itself: its routes are.

## Why it matters
Plain HTTP exposes credentials and sessions on the wire; certificates that nobody renews expire on a Sunday
night, and a key committed to Git must be treated as leaked.

## How to fix
Add a `spec.tls` entry per host with a Certificate from a production issuer (or the ingress-shim annotation),
and let cert-manager create the Secret instead of committing it. Secrets replicated from another namespace are
listed in `external_tls_secrets`; TLS that ends at a CDN or cloud load balancer is declared with
`platform.tls_termination: external`.

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
metadata:
  name: web
  namespace: shop
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
spec:
  tls:
    - hosts: [shop.example.com]
      secretName: web-tls
  rules:
    - host: shop.example.com
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
```
"""
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, PASS, Related
from readylint.model.backups import go_duration
from readylint.model.entrypoints import entry_points, host_covered
from readylint.model.objects import mapping, sequence
from readylint.model.tls import (MESH_ROOT_NAMESPACE, attached_routes, certificate_for, certificate_issuer,
                                 dns_names, inline_private_key, issuer_of, issuer_problem, managed_certificates,
                                 meshed_namespaces, mtls_mode, peer_authentications, plaintext_gap,
                                 redirects_to_https, wide)
from readylint.registry import rule

CLAIM = "claim: platform.tls_termination is external (TLS ends at a CDN or external load balancer)"
SHIM = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
CLOUD_CERTS = ("alb.ingress.kubernetes.io/certificate-arn", "ingress.gcp.kubernetes.io/pre-shared-cert",
               "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
               "service.beta.kubernetes.io/azure-load-balancer-ssl-cert")


class Judge:
    def __init__(self, index, opts):
        self.index = index
        self.external = set(opts["external_tls_secrets"])

    def secret(self, ep, subject, secret, namespace, at, path, shim_obj=None):
        """Outcomes for a TLS Secret an entry point serves: who produces it, and is it fit for the host."""
        if secret in self.external:
            return [subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{secret} is listed in external_tls_secrets")]
        cert = certificate_for(self.index, namespace, secret)
        if cert is None and ep.kind == "istio-gateway":  # credentialName lives in the gateway proxy's namespace
            cert = next((c for c in self.index.of_kind("Certificate")
                         if c.group == "cert-manager.io" and c.spec.get("secretName") == secret), None)
        if cert is not None:
            kind, name, issuer = certificate_issuer(self.index, cert)
            if ep.host != "*" and not any(host_covered(n, h) for n in dns_names(cert) for h in _hosts(ep)):
                return [subject.fail(f"{cert.ref} does not cover {ep.ref}: its dnsNames do not list the host; add "
                                     f"it.", at=cert.at("spec", "dnsNames"), key_path=f"{path}.dnsNames",
                                     related=[Related(at, f"{ep.ref} serves {secret}.")])]
            return self.issuer(ep, subject, issuer, path, at, f"{cert.ref} (issuer {kind} {name})")
        annotations = (shim_obj or ep.obj).annotations
        for key in SHIM:
            if annotations.get(key):
                kind = "ClusterIssuer" if key.endswith("cluster-issuer") else "Issuer"
                issuer = issuer_of(self.index, ep.obj.namespace, kind, str(annotations[key]))
                return self.issuer(ep, subject, issuer, path, at, f"the {key} annotation")
        rendered = self.index.get("Secret", namespace, secret)
        if rendered is not None and inline_private_key(rendered):
            return [subject.passed(f"{rendered.ref} holds the key (reported as a private key in Git)")]
        return [subject.fail(f"Nothing in the repository produces the TLS Secret {secret} of {ep.ref}: no "
                             f"cert-manager Certificate or ingress-shim annotation, so nobody renews it. Add a "
                             f"Certificate, or list the Secret in external_tls_secrets when another system "
                             f"manages it.", at=at, key_path=path)]

    def issuer(self, ep, subject, issuer, path, at, via):
        problem = issuer_problem(issuer) if issuer is not None else None
        if problem is None or ep.internal:
            return [subject.passed(f"certificate from {via}")]
        segments, why = problem
        return [subject.fail(f"{ep.ref} gets its certificate from {via}, but {issuer.ref} {why}; use a production "
                             f"issuer for public hosts.", at=at, key_path=f"{path}.issuer",
                             related=[Related(issuer.at(*segments), f"{issuer.ref} is configured here.")])]

    def ingress(self, ep, subject):
        obj, base = ep.obj, ep.key
        if any(obj.annotations.get(k) for k in CLOUD_CERTS):
            return [subject.passed("certificate from a cloud load balancer annotation")]
        managed = managed_certificates(self.index, obj)
        if managed:
            domains = [str(d) for m in managed for d in sequence(m.spec.get("domains"))]
            if ep.host == "*" or any(host_covered(d, ep.host) for d in domains):
                return [subject.passed(f"GKE {managed[0].ref}")]
        elif obj.annotations.get("networking.gke.io/managed-certificates"):
            return [subject.not_applicable(EVIDENCE_UNAVAILABLE, "the GKE ManagedCertificate is not rendered")]
        for i, entry in enumerate(sequence(obj.spec.get("tls"))):
            hosts = [str(h) for h in sequence(mapping(entry).get("hosts") if mapping(entry) else None)]
            if (ep.host == "*" and not hosts) or any(host_covered(h, ep.host) for h in hosts):
                secret = mapping(entry).get("secretName")
                at = obj.at("spec", "tls", i, "secretName") if secret else obj.at("spec", "tls", i)
                if not secret:
                    return [subject.fail(f"The spec.tls entry of {ep.ref} names no secretName, so the controller "
                                         f"serves its default (usually self-signed) certificate; name a Secret "
                                         f"that cert-manager produces.", at=at, key_path=f"{base}.tls")]
                return self.secret(ep, subject, str(secret), obj.namespace, at, f"{base}.tls")
        return [subject.fail(f"{ep.ref} is served without TLS: no spec.tls entry lists the host. Add one with a "
                             f"cert-manager certificate.", at=ep.at(), key_path=base)]

    def listener(self, ep, subject):
        item, obj = ep.item, ep.obj
        tls = mapping(item.get("tls")) or {}
        if ep.protocol in ("HTTPS", "TLS"):
            if str(tls.get("mode", "")).lower() == "passthrough":
                return [subject.passed("TLS passthrough: the backend terminates TLS")]
            refs = [r for r in sequence(tls.get("certificateRefs")) if mapping(r)]
            if not refs:
                return [subject.fail(f"{ep.ref} speaks {ep.protocol} without tls.certificateRefs; reference the "
                                     f"certificate Secret.", at=ep.at(), key_path=f"{ep.key}.tls")]
            ref = refs[0]
            namespace = str(ref.get("namespace") or obj.namespace)
            at = obj.at(*ep.segments, "tls", "certificateRefs", 0)
            return self.secret(ep, subject, str(ref.get("name")), namespace, at, f"{ep.key}.tls")
        if ep.protocol == "HTTP":
            secure = [o for o in entry_points(self.index) if o.obj is obj and o.protocol in ("HTTPS", "TLS")
                      and (o.host == ep.host or o.host == "*" or host_covered(o.host, ep.host))]
            if secure:
                return self.gateway_redirect(ep, subject, secure[0])
            return [subject.fail(f"{ep.ref} serves plain HTTP and no HTTPS listener of {obj.ref} covers the "
                                 f"hostname; add an HTTPS listener with a certificate and redirect HTTP to it.",
                                 at=ep.at(), key_path=ep.key)]
        return [subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{ep.protocol or 'unknown'} listener: TLS is up to "
                                                             f"the backend")]

    def server(self, ep, subject):
        tls = mapping(ep.item.get("tls")) or {}
        mode = str(tls.get("mode", "")).upper()
        if tls.get("httpsRedirect") is True:
            return [subject.passed("redirects HTTP to HTTPS")]
        if mode in ("PASSTHROUGH", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL"):
            return [subject.passed(f"tls.mode {mode}")]
        if mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"):
            if tls.get("credentialName"):
                at = ep.obj.at(*ep.segments, "tls", "credentialName")
                return self.secret(ep, subject, str(tls["credentialName"]), ep.obj.namespace, at, f"{ep.key}.tls")
            return [subject.passed("certificate files mounted in the gateway")]
        secure = [o for o in entry_points(self.index) if o.obj is ep.obj and o is not ep and _istio_tls(o)
                  and all(any(host_covered(h, mine) or h == "*" for h in _hosts(o)) for mine in _hosts(ep))]
        if ep.protocol == "HTTP" and secure:
            return [subject.fail(f"{ep.ref} serves the hosts of {secure[0].ref} over plain HTTP instead of "
                                 f"redirecting; set tls.httpsRedirect: true on this server.", at=ep.at(),
                                 key_path=f"{ep.key}.httpsRedirect", level="note")]
        if ep.protocol in ("HTTP", "HTTP2", "GRPC", "HTTPS", ""):
            return [subject.fail(f"{ep.ref} serves {ep.protocol or 'traffic'} without TLS; set tls.mode: SIMPLE "
                                 f"with a credentialName, or tls.httpsRedirect: true on a plain-HTTP server.",
                                 at=ep.at(), key_path=ep.key)]
        return [subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{ep.protocol} server: TLS is up to the backend")]

    def gateway_redirect(self, ep, subject, secure):
        """A plain-HTTP listener beside an HTTPS one passes when a route attached to it redirects to https."""
        gateway = ep.obj
        if not attached_routes(self.index, gateway, None):
            return [subject.passed(f"{secure.ref} serves the same hostname over TLS (its routes are not in the "
                                   f"repository)")]
        routes = attached_routes(self.index, gateway, str(ep.item.get("name") or "") or None)
        if any(redirects_to_https(r) for r in routes):
            return [subject.passed(f"{secure.ref} serves the same hostname over TLS and HTTP redirects to it")]
        what = (f"{', '.join(r.ref for r in routes[:3])} over plain HTTP" if routes
                else "no HTTPRoute, so plain-HTTP clients get 404")
        return [subject.fail(f"{ep.ref} serves {what} instead of redirecting to {secure.ref}; attach an HTTPRoute "
                             f"with a RequestRedirect filter (scheme: https, statusCode: 301) to it.", at=ep.at(),
                             key_path=f"{ep.key}.redirect", level="note",
                             related=[Related(r.name_at(), f"{r.ref} is attached to it.") for r in routes[:3]])]

    def ingress_redirect(self, ep, subject):
        """ingress-nginx redirects TLS hosts to HTTPS unless ``ssl-redirect: "false"`` turns it off."""
        annotations = ep.obj.annotations
        key = "nginx.ingress.kubernetes.io/ssl-redirect"
        if str(annotations.get(key, "")).lower() != "false" or \
                str(annotations.get("nginx.ingress.kubernetes.io/force-ssl-redirect", "")).lower() == "true":
            return None
        return subject.fail(f"{ep.ref} turns off the HTTP to HTTPS redirect ({key}: \"false\"), so clients that "
                            f"type http:// stay on plain HTTP; remove the annotation.",
                            at=ep.obj.at("metadata", "annotations", key), key_path=f"{ep.key}.ssl-redirect",
                            level="note")

    def load_balancer(self, ep, subject):
        if any(ep.obj.annotations.get(k) for k in CLOUD_CERTS):
            return [subject.passed("the cloud load balancer terminates TLS")]
        if ep.protocol == "HTTP":
            return [subject.fail(f"{ep.obj.ref} exposes plain HTTP through a load balancer; terminate TLS at the "
                                 f"load balancer (certificate annotation) or route it through an Ingress or "
                                 f"Gateway with a certificate.", at=ep.at(), key_path=ep.key)]
        return [subject.not_applicable(EVIDENCE_UNAVAILABLE, f"{ep.protocol} ports: whether the pods terminate TLS "
                                                             f"is not visible in the manifests")]


def _hosts(ep):
    return [h.strip() for h in ep.host.split(",")]


def _istio_tls(ep):
    tls = mapping(ep.item.get("tls")) if ep.item is not None else None
    return bool(tls) and str(tls.get("mode", "")).upper() in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL", "PASSTHROUGH",
                                                               "AUTO_PASSTHROUGH", "ISTIO_MUTUAL")


@rule(code="SEC005", slug="tls-certificates", scope="entry-point", severity="error", confidence="medium",
      evidence="M", options={"external_tls_secrets": []})
def check(index, opts):
    judge = Judge(index, opts)
    claimed = (index.settings.get("platform") or {}).get("tls_termination") == "external"
    points = entry_points(index)
    for ep in points:
        subject = ep.subject()
        if ep.fronts_proxy:
            yield subject.not_applicable(NOT_RELEVANT, "fronts an ingress controller or gateway: TLS is judged on "
                                                       "the routes it serves")
        elif claimed:
            yield subject.passed(CLAIM)
        else:
            outcomes = getattr(judge, {"ingress": "ingress", "gateway": "listener", "istio-gateway": "server",
                                       "load-balancer": "load_balancer"}[ep.kind])(ep, subject)
            note = judge.ingress_redirect(ep, subject) if ep.kind == "ingress" and not ep.internal else None
            if note is not None and any(o.status == PASS for o in outcomes):
                outcomes = [o for o in outcomes if o.status != PASS] + [note]
            yield from outcomes
    for secret in index.of_kind("Secret"):
        field = inline_private_key(secret) if secret.group == "" and not index.is_excluded(secret) else None
        if field:
            yield secret.subject().fail(f"{secret.ref} holds a TLS private key in the repository; treat it as "
                                        f"leaked, rotate it, and let cert-manager (or an external secret store) "
                                        f"create the Secret instead.", at=secret.at(*field), key_path=".".join(field))
    for cert in index.of_kind("Certificate"):
        duration = go_duration(cert.spec.get("duration") or "2160h")
        renew = go_duration(cert.spec.get("renewBefore")) if "renewBefore" in cert.spec else None
        if cert.group == "cert-manager.io" and duration and renew and renew >= duration:
            yield cert.subject().fail(f"{cert.ref} sets renewBefore ({cert.spec['renewBefore']}) not shorter than "
                                      f"its duration, so cert-manager renews it continuously; shorten renewBefore.",
                                      at=cert.at("spec", "renewBefore"), key_path="spec.renewBefore", level="warning")
    yield from _mesh_mtls(index)
    if not points:
        yield index.repo.subject("entry-points", "the repository's entry points").not_applicable(
            NOT_RELEVANT, "no external entry point (Ingress, Gateway or LoadBalancer Service)")


def _mesh_mtls(index):
    """In-mesh mTLS is a note, never a requirement: plaintext-accepting policies and meshed namespaces without one."""
    policies = [p for p in peer_authentications(index) if p.production]
    for policy in policies:
        mode = mtls_mode(policy)
        if wide(policy) and mode in ("PERMISSIVE", "DISABLE") and not index.is_excluded(policy):
            scope = "the whole mesh" if policy.namespace == MESH_ROOT_NAMESPACE else f"namespace {policy.namespace}"
            yield policy.subject().fail(f"{policy.ref} lets workloads of {scope} accept plaintext traffic (mtls.mode "
                                        f"{mode}); set STRICT once every client has a sidecar, so traffic inside "
                                        f"the cluster is encrypted and authenticated.",
                                        at=policy.at("spec", "mtls", "mode"), key_path="spec.mtls.mode", level="note")
    for namespace in meshed_namespaces(index):
        why = plaintext_gap(policies, namespace.name)
        if why:
            label = "istio-injection" if "istio-injection" in namespace.labels else "istio.io/rev"
            yield namespace.subject().fail(f"{namespace.ref} joins the Istio mesh but {why}, so its workloads also "
                                           f"accept plaintext (Istio's default is PERMISSIVE); add a "
                                           f"PeerAuthentication with mtls.mode: STRICT.", at=namespace.at("metadata", "labels", label),
                                           key_path="mtls", level="note")
