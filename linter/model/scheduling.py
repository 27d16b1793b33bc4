"""Scheduling questions HA002 and HA005 share: anti-affinity terms, spread constraints, zone pinning.

Every helper returns the segments that locate what it found (from the pod-template object's root), so
rules point at the offending key without computing positions themselves.
"""
from __future__ import annotations

from typing import NamedTuple

from .objects import dig, mapping, sequence
from .selectors import label_selector_matches

HOSTNAME_KEYS = frozenset({"kubernetes.io/hostname"})
ZONE_KEYS = frozenset({"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"})
REGION_KEYS = frozenset({"topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"})
SPREAD_KEYS = HOSTNAME_KEYS | ZONE_KEYS | REGION_KEYS


class Term(NamedTuple):
    """An anti-affinity term or a spread constraint, with where it sits and whether it counts."""

    data: object
    path: tuple  # segments from the object root to the term (podAffinityTerm for preferred ones)
    topology_key: str
    matches_own: bool  # its selector picks the workload's own pods


def selects_own(term, labels) -> bool:
    """A term's ``labelSelector`` (ANDed with ``matchLabelKeys`` taken from the pod's own labels)."""
    keys = list(sequence(term.get("matchLabelKeys")))
    if "labelSelector" not in term:
        return False
    return label_selector_matches(term.get("labelSelector"), labels) and all(k in labels for k in keys)


def anti_affinity_terms(wl) -> list[Term]:
    """Required terms and the ``podAffinityTerm`` of preferred ones, in manifest order."""
    base = wl.pod_spec_path + ("affinity", "podAntiAffinity")
    anti = mapping(dig(wl.pod_spec, "affinity", "podAntiAffinity"))
    if anti is None:
        return []
    found = []
    for i, term in enumerate(sequence(anti.get("requiredDuringSchedulingIgnoredDuringExecution"))):
        if mapping(term) is not None:
            found.append(_term(term, base + ("requiredDuringSchedulingIgnoredDuringExecution", i), wl.labels))
    for i, weighted in enumerate(sequence(anti.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        term = mapping(dig(weighted, "podAffinityTerm"))
        if term is not None:
            path = base + ("preferredDuringSchedulingIgnoredDuringExecution", i, "podAffinityTerm")
            found.append(_term(term, path, wl.labels))
    return found


def spread_constraints(wl) -> list[Term]:
    base = wl.pod_spec_path + ("topologySpreadConstraints",)
    return [_term(c, base + (i,), wl.labels)
            for i, c in enumerate(sequence(wl.pod_spec.get("topologySpreadConstraints"))) if mapping(c) is not None]


def _term(data, path, labels) -> Term:
    return Term(data, path, str(data.get("topologyKey") or ""), selects_own(data, labels))


def zone_pin(wl):
    """(zone, segments) when the pod template can only land in one zone, else None."""
    selector = mapping(wl.pod_spec.get("nodeSelector")) or {}
    for key in ZONE_KEYS:
        if key in selector:
            return str(selector[key]), wl.pod_spec_path + ("nodeSelector", key)
    terms = sequence(dig(wl.pod_spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                         "nodeSelectorTerms"))
    zones, where = set(), None
    for i, term in enumerate(terms):  # terms are ORed: every term must pin to the same single zone
        pinned = [(j, e) for j, e in enumerate(sequence(dig(term, "matchExpressions")))
                  if mapping(e) is not None and e.get("key") in ZONE_KEYS and e.get("operator") == "In"
                  and len(sequence(e.get("values"))) == 1]
        if not pinned:
            return None
        j, expr = pinned[0]
        zones.add(str(expr["values"][0]))
        where = where or (wl.pod_spec_path + ("affinity", "nodeAffinity",
                                              "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms",
                                              i, "matchExpressions", j, "values"))
    return (zones.pop(), where) if len(zones) == 1 else None


def single_zone_storage(index, wl):
    """(StorageClass, zone) when a StatefulSet claim template uses a class limited to one zone."""
    if wl.kind != "StatefulSet":
        return None
    for claim in sequence(wl.obj.spec.get("volumeClaimTemplates")):
        name = dig(claim, "spec", "storageClassName")
        storage = index.get("StorageClass", "", str(name)) if name else None
        if storage is None:
            continue
        for topology in sequence(storage.data.get("allowedTopologies")):
            for expr in sequence(dig(topology, "matchLabelExpressions")):
                values = sequence(dig(expr, "values"))
                if dig(expr, "key") in ZONE_KEYS and len(values) == 1:
                    return storage, str(values[0])
    return None
