"""Network-policy semantics for SEC001: which policies select a pod and whether they isolate it.

Kubernetes NetworkPolicy (`spec.podSelector`) and Cilium CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy
(`spec.endpointSelector`) are understood. Traffic a pod may receive is the union of every selecting policy's
rules, so one allow-all rule (`ingress: [{}]`, a peer `namespaceSelector: {}` without ports, `0.0.0.0/0`,
Cilium `fromEntities: [all]`) undoes the isolation the others give.
"""
from __future__ import annotations

from typing import NamedTuple

from .objects import K8sObject, dig, mapping, sequence
from .selectors import label_selector_matches

INGRESS, EGRESS = "Ingress", "Egress"
NETPOL_KINDS = ("NetworkPolicy", "CiliumNetworkPolicy")
# Operator CRs whose pods are not rendered, with the labels the operator puts on them besides podMetadata.
OPERATOR_PODS = {"Prometheus": "prometheus", "Alertmanager": "alertmanager", "ThanosRuler": "thanos-ruler",
                 "PrometheusAgent": "prometheus-agent"}
ANY_CIDRS = ("0.0.0.0/0", "::/0")


class Policy(NamedTuple):
    obj: K8sObject
    types: frozenset  # directions the policy isolates
    allow_all: frozenset  # directions in which it admits every peer on every port

    @property
    def selector_path(self) -> tuple:
        return ("spec", "endpointSelector") if self.obj.group == "cilium.io" else ("spec", "podSelector")


def _empty(value) -> bool:
    return isinstance(value, dict) and not value


def _open_peer(peer) -> bool:
    if not isinstance(peer, dict):
        return False
    if _empty(peer.get("namespaceSelector")) and (peer.get("podSelector") is None or _empty(peer.get("podSelector"))):
        return True
    block = mapping(peer.get("ipBlock"))
    return block is not None and block.get("cidr") in ANY_CIDRS and not block.get("except")


def _open_rule(rule, peers_key) -> bool:
    if not isinstance(rule, dict) or sequence(rule.get("ports")):
        return False
    peers = sequence(rule.get(peers_key))
    return not peers or any(_open_peer(p) for p in peers)


def _k8s_policy(obj: K8sObject) -> Policy:
    spec = obj.spec
    given = [t for t in sequence(spec.get("policyTypes")) if t in (INGRESS, EGRESS)]
    types = set(given) if given else {INGRESS} | ({EGRESS} if "egress" in spec else set())
    open_dirs = {d for d, key, peers in ((INGRESS, "ingress", "from"), (EGRESS, "egress", "to"))
                 if d in types and any(_open_rule(r, peers) for r in sequence(spec.get(key)))}
    return Policy(obj, frozenset(types), frozenset(open_dirs))


def _cilium_policy(obj: K8sObject) -> Policy:
    spec, types, open_dirs = obj.spec, set(), set()
    for direction, keys, entities in ((INGRESS, ("ingress", "ingressDeny"), "fromEntities"),
                                      (EGRESS, ("egress", "egressDeny"), "toEntities")):
        if any(k in spec for k in keys):
            types.add(direction)
        if any("all" in [str(e) for e in sequence(dig(r, entities))] for r in sequence(spec.get(keys[0]))):
            open_dirs.add(direction)
    return Policy(obj, frozenset(types), frozenset(open_dirs))


def as_policy(obj: K8sObject) -> Policy:
    return _cilium_policy(obj) if obj.group == "cilium.io" else _k8s_policy(obj)


def _cilium_labels(labels, namespace):
    """Cilium selectors may prefix keys with ``k8s:`` and select the namespace by a pseudo-label."""
    out = dict(labels)
    out.update({f"k8s:{k}": v for k, v in labels.items()})
    out["k8s:io.kubernetes.pod.namespace"] = out["io.kubernetes.pod.namespace"] = namespace
    return out


def selects(policy: Policy, labels, namespace) -> bool:
    if policy.obj.group == "cilium.io":
        labels = _cilium_labels(labels, namespace)
    return label_selector_matches(dig(policy.obj.data, *policy.selector_path), labels)


def policies_selecting(index, namespace, labels) -> list[Policy]:
    """Policies of the namespace (and cluster-wide Cilium policies) that select pods with ``labels``."""
    candidates = [o for o in index.in_namespace(namespace, *NETPOL_KINDS)
                  if o.kind != "CiliumNetworkPolicy" or o.group == "cilium.io"]
    candidates += [o for o in index.of_kind("CiliumClusterwideNetworkPolicy") if o.group == "cilium.io"]
    read = vars(index).setdefault("_policies", {})  # asked per pod label set: read each policy once per run
    found = []
    for obj in candidates:
        if obj.kind != "NetworkPolicy" or obj.group == "networking.k8s.io":
            if id(obj) not in read:
                read[id(obj)] = as_policy(obj)
            found.append(read[id(obj)])
    return [p for p in found if selects(p, labels, namespace)]


def isolated(policies, direction) -> tuple[bool, Policy | None]:
    """(isolated, the policy that explains why not) for one direction."""
    for p in policies:
        if direction in p.allow_all:
            return False, p
    return any(direction in p.types for p in policies), None


def pod_label_sets(index, namespace):
    """Labels of every pod the namespace will run: rendered templates and known operator-managed pods.
    Asked per policy peer: answered once per namespace and run (a copy, callers may extend it)."""
    known = vars(index).setdefault("_pod_label_sets", {})
    if namespace not in known:
        known[namespace] = _pod_label_sets(index, namespace)
    return list(known[namespace])


def _pod_label_sets(index, namespace):
    sets = [wl.labels for wl in index.workloads if wl.namespace == namespace]
    for kind, name_label in OPERATOR_PODS.items():
        for cr in index.in_namespace(namespace, kind):
            labels = {"app.kubernetes.io/name": name_label, "app.kubernetes.io/instance": cr.name,
                      "app.kubernetes.io/managed-by": "prometheus-operator", name_label: cr.name,
                      "operator.prometheus.io/name": cr.name}
            labels.update(mapping(dig(cr.spec, "podMetadata", "labels")) or {})
            sets.append(labels)
    return sets
