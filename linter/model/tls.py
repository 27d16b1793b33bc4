"""TLS evidence: cert-manager Certificates and issuers, GKE managed certificates, inline private keys.

Rules ask three questions: which Certificate produces a Secret (``certificate_for``), which issuer
signs it and whether that issuer is fit for public hosts (``issuer_of``, ``issuer_problem``), and which
rendered Secrets carry a private key in Git (``inline_private_key``).
"""
from __future__ import annotations

import weakref

from .objects import K8sObject, dig, mapping, sequence

CERT_MANAGER = "cert-manager.io"
GKE_NETWORKING = "networking.gke.io"
STAGING_ACME = ("acme-staging", "staging-v02", "/staging")  # Let's Encrypt and ZeroSSL style staging endpoints

_CERTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def certificate_for(index, namespace: str, secret_name: str) -> K8sObject | None:
    """The cert-manager Certificate of ``namespace`` whose ``spec.secretName`` is ``secret_name``."""
    by_secret = _CERTS.get(index)
    if by_secret is None:
        by_secret = {}
        for cert in index.of_kind("Certificate"):
            if cert.group == CERT_MANAGER and isinstance(cert.spec.get("secretName"), str):
                by_secret.setdefault((cert.namespace, cert.spec["secretName"]), cert)
        _CERTS[index] = by_secret
    return by_secret.get((namespace, secret_name))


def dns_names(cert: K8sObject) -> list[str]:
    names = [str(n) for n in sequence(cert.spec.get("dnsNames"))]
    if isinstance(cert.spec.get("commonName"), str):
        names.append(cert.spec["commonName"])
    return names


def issuer_of(index, namespace: str, kind: str, name: str) -> K8sObject | None:
    """The Issuer (in ``namespace``) or ClusterIssuer named by an issuerRef or ingress-shim annotation."""
    if kind == "ClusterIssuer":
        return next((o for o in index.of_kind("ClusterIssuer") if o.name == name and o.group == CERT_MANAGER), None)
    found = index.get("Issuer", namespace, name)
    return found if found is not None and found.group == CERT_MANAGER else None


def certificate_issuer(index, cert: K8sObject):
    ref = mapping(cert.spec.get("issuerRef")) or {}
    kind = str(ref.get("kind") or "Issuer")
    name = str(ref.get("name") or "")
    if str(ref.get("group") or CERT_MANAGER) != CERT_MANAGER:
        return kind, name, None  # an external issuer (AWS PCA, Vault via its own group): not judged
    return kind, name, issuer_of(index, cert.namespace, kind, name)


def issuer_problem(issuer: K8sObject):
    """(segments, why) when the issuer cannot serve public hosts: self-signed or an ACME staging server."""
    if "selfSigned" in issuer.spec:
        return ("spec", "selfSigned"), "is self-signed, so browsers and clients reject its certificates"
    server = dig(issuer.spec, "acme", "server")
    if isinstance(server, str) and any(marker in server for marker in STAGING_ACME):
        return ("spec", "acme", "server"), f"uses the ACME staging server {server}, whose certificates no " \
                                           f"client trusts"
    return None


def managed_certificates(index, ingress: K8sObject) -> list[K8sObject]:
    """GKE ManagedCertificates the Ingress names in ``networking.gke.io/managed-certificates``."""
    names = [n.strip() for n in str(ingress.annotations.get(f"{GKE_NETWORKING}/managed-certificates", "")).split(",")]
    return [o for o in index.in_namespace(ingress.namespace, "ManagedCertificate")
            if o.name in names and o.group == GKE_NETWORKING]


def inline_private_key(secret: K8sObject):
    """The segments of a non-empty ``tls.key`` in a rendered Secret, else None."""
    for field in ("data", "stringData"):
        value = dig(secret.data, field, "tls.key")
        if isinstance(value, str) and value.strip():
            return (field, "tls.key")
    return None


# -- HTTP→HTTPS redirects and in-mesh mTLS (SEC005 notes) -------------------------------------------------------

GATEWAY_API = "gateway.networking.k8s.io"
ISTIO_SECURITY = "security.istio.io"
MESH_ROOT_NAMESPACE = "istio-system"


def attached_routes(index, gateway: K8sObject, listener_name: str | None) -> list[K8sObject]:
    """HTTPRoutes whose ``parentRefs`` attach them to the Gateway (to this listener, or to all listeners)."""
    found = []
    for route in index.of_kind("HTTPRoute"):
        if route.group != GATEWAY_API:
            continue
        for ref in sequence(route.spec.get("parentRefs")):
            ref = mapping(ref)
            if ref is None or str(ref.get("name")) != gateway.name or str(ref.get("kind") or "Gateway") != "Gateway":
                continue
            if str(ref.get("namespace") or route.namespace) != gateway.namespace:
                continue
            section = ref.get("sectionName")
            if section is None or listener_name is None or str(section) == listener_name:
                found.append(route)
                break
    return found


def redirects_to_https(route: K8sObject) -> bool:
    """Some rule of the route answers with a ``RequestRedirect`` filter to ``scheme: https``."""
    for rule in sequence(route.spec.get("rules")):
        for item in sequence(dig(rule, "filters")):
            if str(dig(item, "type")) == "RequestRedirect" and str(dig(item, "requestRedirect", "scheme")) == "https":
                return True
    return False


def meshed_namespaces(index) -> list[K8sObject]:
    """Rendered Namespaces that join the Istio mesh (``istio-injection: enabled`` or an ``istio.io/rev`` label)."""
    return [ns for ns in index.of_kind("Namespace") if ns.group == "" and not index.is_excluded(ns) and (
        str(ns.labels.get("istio-injection", "")) == "enabled" or "istio.io/rev" in ns.labels)]


def peer_authentications(index) -> list[K8sObject]:
    return [o for o in index.all_objects if o.kind == "PeerAuthentication" and o.group == ISTIO_SECURITY]


def mtls_mode(policy: K8sObject) -> str:
    return str(dig(policy.spec, "mtls", "mode") or "UNSET").upper()


def wide(policy: K8sObject) -> bool:
    """A namespace-wide PeerAuthentication (no workload selector); in the root namespace it is mesh-wide."""
    return not mapping(policy.spec.get("selector"))


def plaintext_gap(policies, namespace: str) -> str | None:
    """Why a meshed namespace may still accept plaintext, or None when mTLS is STRICT there.

    A namespace-wide policy overrides the mesh-wide one, and ``UNSET`` inherits it, as Istio applies them.
    Policies that are themselves PERMISSIVE or DISABLE are reported on their own, so they give None here.
    """
    own = [p for p in policies if p.namespace == namespace and wide(p)]
    if own and mtls_mode(own[0]) != "UNSET":
        return None
    mesh = [p for p in policies if p.namespace == MESH_ROOT_NAMESPACE and wide(p)]
    if mesh and mtls_mode(mesh[0]) != "UNSET":
        return None
    return "no namespace-wide or mesh-wide PeerAuthentication sets mtls.mode: STRICT"
