"""Istio DestinationRules by host, and whether a workload's pods are in the mesh at all.

Istio resolves a DestinationRule's short ``host`` in the rule's own namespace; callers name services by
short, ``svc.ns`` or fully qualified names. Both sides are normalised to ``svc.ns.svc.cluster.local``
before comparing, and ``*.suffix`` wildcards match by suffix.
"""
from __future__ import annotations

from .objects import K8sObject, dig, mapping, sequence

CLUSTER_SUFFIX = "svc.cluster.local"
BREAKER_KEYS = ("outlierDetection", "connectionPool")


def fqdn(host: str, namespace: str) -> str:
    host = host.lower().rstrip(".")
    parts = host.split(".")
    if len(parts) == 1:
        return f"{host}.{namespace}.{CLUSTER_SUFFIX}"
    if len(parts) == 2:
        return f"{host}.{CLUSTER_SUFFIX}"
    if len(parts) == 3 and parts[2] == "svc":
        return f"{host}.cluster.local"
    return host


def _matches(rule_host: str, target: str) -> bool:
    if rule_host == "*":
        return True
    if rule_host.startswith("*."):
        return target.endswith(rule_host[1:])
    return rule_host == target


def destination_rules(index, host: str, namespace: str) -> list[K8sObject]:
    """DestinationRules whose ``spec.host`` covers ``host`` as a caller in ``namespace`` names it,
    exact hosts first."""
    target = fqdn(host, namespace)
    found = []
    for rule in index.of_kind("DestinationRule"):
        if not rule.group.endswith("istio.io") or not rule.spec.get("host"):
            continue
        rule_host = str(rule.spec["host"]).lower()
        full = rule_host if rule_host.startswith("*") else fqdn(rule_host, rule.namespace)
        if _matches(full, target):
            found.append(((full.startswith("*"), rule.namespace != namespace), rule))  # Istio: caller's first
    return [rule for _, rule in sorted(found, key=lambda pair: pair[0])]


def breaker_settings(rule: K8sObject) -> list[tuple[tuple, str]]:
    """(segments, key) of every outlierDetection / connectionPool block: top level, per port, per subset."""
    found = []
    policies = [(("spec", "trafficPolicy"), rule.spec.get("trafficPolicy"))]
    for i, subset in enumerate(sequence(rule.spec.get("subsets"))):
        policies.append((("spec", "subsets", i, "trafficPolicy"), dig(subset, "trafficPolicy")))
    for base, policy in list(policies):
        for j, port in enumerate(sequence(dig(policy, "portLevelSettings"))):
            policies.append((base + ("portLevelSettings", j), port))
    for base, policy in policies:
        if mapping(policy) is None:
            continue
        for key in BREAKER_KEYS:
            if mapping(policy.get(key)):
                found.append((base + (key,), key))
    return found


def meshed(index, wl) -> bool | None:
    """False when injection is switched off for the pods or their namespace, True when switched on,
    None when the repository does not say (the namespace may be labelled elsewhere)."""
    labels, annotations = wl.labels, wl.template_annotations
    for source in (annotations, labels):
        value = str(source.get("sidecar.istio.io/inject", "")).lower()
        if value in ("false", "true"):
            return value == "true"
    if "linkerd.io/inject" in annotations:
        return str(annotations["linkerd.io/inject"]).lower() in ("enabled", "ingress")
    namespace = index.get("Namespace", "", wl.namespace)
    if namespace is not None:
        ns_labels = namespace.labels
        if str(ns_labels.get("istio-injection", "")).lower() == "enabled" or "istio.io/rev" in ns_labels \
                or ns_labels.get("istio.io/dataplane-mode") == "ambient":
            return True
        if str(ns_labels.get("istio-injection", "")).lower() == "disabled":
            return False
        if "linkerd.io/inject" in namespace.annotations:
            return str(namespace.annotations["linkerd.io/inject"]).lower() == "enabled"
    return None
