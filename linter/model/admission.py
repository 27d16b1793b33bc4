"""Admission controls over a namespace: Pod Security labels and policy engines in enforcing mode.

``namespace_controls(index, namespace, min_level)`` lists every control that speaks about the pods of a
namespace: PSA labels on the rendered Namespace or in an Argo CD Application's ``managedNamespaceMetadata``,
Kyverno ClusterPolicy/Policy and ValidatingPolicy, Gatekeeper constraints and ValidatingAdmissionPolicy
bindings. Each ``Control`` says whether it enforces and, when not, why.
"""
from __future__ import annotations

import fnmatch
import weakref
from typing import NamedTuple

from .objects import K8sObject, dig, mapping, sequence
from .selectors import label_selector_matches

PSA = "pod-security.kubernetes.io/"
PSA_LEVELS = {"privileged": 0, "baseline": 1, "restricted": 2}
POD_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Rollout",
                       "*"})
POD_RESOURCES = frozenset({"pods", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs",
                           "*"})


class Control(NamedTuple):
    obj: K8sObject
    segments: tuple  # the key that decides: the enforce label, the failure action, the binding's actions
    enforcing: bool
    what: str  # "Namespace shop enforces restricted", "ClusterPolicy require-non-root (Enforce)"
    defect: str = ""  # why it does not enforce

    def at(self):
        return self.obj.at(*self.segments)


def psa_control(obj, labels_path, labels, min_level, where) -> Control | None:
    """The Pod Security labels of a namespace, judged against ``min_level``; None when there are none."""
    labels = labels or {}
    enforce = labels.get(PSA + "enforce")
    if enforce is not None:
        level = str(enforce).lower()
        segments = labels_path + (PSA + "enforce",)
        if PSA_LEVELS.get(level, -1) >= PSA_LEVELS[min_level]:
            return Control(obj, segments, True, f"{where} enforces Pod Security level {level}")
        return Control(obj, segments, False, f"{where} enforces Pod Security level {level}",
                       f"{where} enforces Pod Security level {level}, below {min_level}; raise it and waive the "
                       f"few pods that need more")
    soft = sorted(str(k)[len(PSA):] for k in labels if str(k) in (PSA + "warn", PSA + "audit"))
    if soft:
        key = PSA + soft[-1]
        return Control(obj, labels_path + (key,), False, f"{where} sets Pod Security {' and '.join(soft)} only",
                       f"{where} only sets the Pod Security {' and '.join(soft)} label, which reports but never "
                       f"rejects a pod; add pod-security.kubernetes.io/enforce: {min_level}")
    return None


def namespace_controls(index, namespace: str, min_level: str) -> list[Control]:
    out = []
    ns_objects = [o for o in index.of_kind("Namespace") if o.name == namespace and o.group == ""]
    for ns in ns_objects[:1]:
        control = psa_control(ns, ("metadata", "labels"), ns.labels, min_level, ns.ref)
        if control:
            out.append(control)
    out += _argo_controls(index, namespace, min_level)
    labels = dict(ns_objects[0].labels) if ns_objects else None
    if labels is not None:
        labels["kubernetes.io/metadata.name"] = namespace
    for obj in _policy_objects(index):
        control = _policy_control(index, obj, namespace, labels)
        if control is not None:
            out.append(control)
    return out


_POLICIES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
POLICY_GROUPS = frozenset({"kyverno.io", "policies.kyverno.io", "constraints.gatekeeper.sh",
                           "admissionregistration.k8s.io"})


def _policy_objects(index):
    found = _POLICIES.get(index)
    if found is None:
        found = _POLICIES[index] = [o for o in index.objects if o.group in POLICY_GROUPS]
    return found


def created_by_application(index, namespace: str):
    """Argo CD Applications that create ``namespace`` (``CreateNamespace=true``) with their sync policy."""
    for obj in index.of_kind("Application", "ApplicationSet"):
        if obj.group != "argoproj.io":
            continue
        spec_path = ("spec",) if obj.kind == "Application" else ("spec", "template", "spec")
        spec = mapping(dig(obj.data, *spec_path)) or {}
        if str(dig(spec, "destination", "namespace") or "") != namespace:
            continue
        options = [str(o).replace(" ", "") for o in sequence(dig(spec, "syncPolicy", "syncOptions"))]
        if "CreateNamespace=true" in options:
            yield obj, spec_path, spec


def _argo_controls(index, namespace, min_level):
    out = []
    for obj, spec_path, spec in created_by_application(index, namespace):
        labels = mapping(dig(spec, "syncPolicy", "managedNamespaceMetadata", "labels"))
        path = spec_path + ("syncPolicy", "managedNamespaceMetadata", "labels")
        control = psa_control(obj, path, labels, min_level, f"{obj.ref} (managedNamespaceMetadata)")
        if control is None:
            control = Control(obj, spec_path + ("syncPolicy", "syncOptions"), False,
                              f"{obj.ref} creates namespace {namespace}",
                              f"{obj.ref} creates namespace {namespace} (CreateNamespace=true) without Pod Security "
                              f"labels in syncPolicy.managedNamespaceMetadata; add pod-security.kubernetes.io/"
                              f"enforce: {min_level} there")
        out.append(control)
    return out


def _policy_control(index, obj, namespace, ns_labels) -> Control | None:
    if obj.group == "kyverno.io" and obj.kind in ("ClusterPolicy", "Policy"):
        return _kyverno(obj, namespace)
    if obj.group == "policies.kyverno.io" and obj.kind == "ValidatingPolicy":
        actions = [str(a) for a in sequence(obj.spec.get("validationActions"))]
        if not _resources_cover(dig(obj.spec, "matchConstraints", "resourceRules")):
            return None
        enforcing = "Deny" in actions
        return Control(obj, ("spec", "validationActions"), enforcing, f"{obj.ref} ({', '.join(actions) or 'no'} "
                       f"actions)", "" if enforcing else f"{obj.ref} has validationActions without Deny")
    if obj.group == "constraints.gatekeeper.sh":
        return _gatekeeper(obj, namespace)
    if obj.group == "admissionregistration.k8s.io" and obj.kind == "ValidatingAdmissionPolicyBinding":
        return _vap_binding(index, obj, ns_labels)
    return None


def _kyverno(obj, namespace):
    if obj.kind == "Policy" and obj.namespace != namespace:
        return None
    default = str(obj.spec.get("validationFailureAction") or "Audit")
    chosen = None
    for i, rule in enumerate(sequence(obj.spec.get("rules"))):
        validate = mapping(dig(rule, "validate"))
        if validate is None or not _kyverno_covers(rule, namespace):
            continue
        action = str(validate.get("failureAction") or default)
        if "failureAction" in validate:
            segments = ("spec", "rules", i, "validate", "failureAction")
        elif "validationFailureAction" in obj.spec:
            segments = ("spec", "validationFailureAction")
        else:
            segments = ("spec", "rules", i, "validate")
        control = Control(obj, segments, action.lower() == "enforce", f"{obj.ref} ({action})",
                          "" if action.lower() == "enforce" else
                          f"{obj.ref} validates in {action} mode, which records violations but admits the pods")
        if control.enforcing:
            return control
        chosen = chosen or control
    return chosen


def _kyverno_covers(rule, namespace) -> bool:
    def filters(block):
        block = mapping(block) or {}
        found = [mapping(block.get("resources"))] if mapping(block.get("resources")) else []
        for key in ("any", "all"):
            found += [mapping(dig(f, "resources")) for f in sequence(block.get(key)) if mapping(dig(f, "resources"))]
        return found

    matched = filters(dig(rule, "match"))
    if not matched:
        return False
    kinds = {str(k).rsplit("/", 1)[-1] for f in matched for k in sequence(f.get("kinds"))}
    if not kinds & POD_KINDS:
        return False
    if not any(_names_cover(f.get("namespaces"), namespace) for f in matched):
        return False
    excluded = filters(dig(rule, "exclude"))
    return not any(f.get("namespaces") and _names_cover(f.get("namespaces"), namespace) and not f.get("kinds")
                   for f in excluded)


def _names_cover(patterns, namespace) -> bool:
    patterns = [str(p) for p in sequence(patterns)]
    return not patterns or any(fnmatch.fnmatchcase(namespace, p) for p in patterns)


def _gatekeeper(obj, namespace):
    match = mapping(obj.spec.get("match")) or {}
    kinds = {str(k) for entry in sequence(match.get("kinds")) for k in sequence(dig(entry, "kinds"))}
    if kinds and not kinds & POD_KINDS:
        return None
    if not _names_cover(match.get("namespaces"), namespace) or (
            match.get("excludedNamespaces") and _names_cover(match.get("excludedNamespaces"), namespace)):
        return None
    action = str(obj.spec.get("enforcementAction") or "deny").lower()
    segments = ("spec", "enforcementAction")
    if action == "scoped":
        enforcing = any(str(dig(s, "action")).lower() == "deny" and any(
            str(dig(p, "name")) in ("validation.gatekeeper.sh", "*") for p in sequence(dig(s, "enforcementPoints")))
            for s in sequence(obj.spec.get("scopedEnforcementActions")))
        segments = ("spec", "scopedEnforcementActions")
    else:
        enforcing = action == "deny"
    ref = f"{obj.kind} {obj.name}"  # constraints are cluster-scoped whatever their kind is called
    return Control(obj, segments, enforcing, f"{ref} ({action})",
                   "" if enforcing else f"{ref} uses enforcementAction {action}, which admits violating pods")


def _vap_binding(index, obj, ns_labels):
    selector = dig(obj.spec, "matchResources", "namespaceSelector")
    if mapping(selector) is not None and mapping(selector):
        if ns_labels is None or not label_selector_matches(selector, ns_labels):
            return None
    policy = next((p for p in index.of_kind("ValidatingAdmissionPolicy") if p.name == obj.spec.get("policyName")),
                  None)
    if policy is not None and not _resources_cover(dig(policy.spec, "matchConstraints", "resourceRules")):
        return None
    actions = [str(a) for a in sequence(obj.spec.get("validationActions"))]
    enforcing = "Deny" in actions
    return Control(obj, ("spec", "validationActions"), enforcing, f"{obj.ref} ({', '.join(actions) or 'no'} actions)",
                   "" if enforcing else f"{obj.ref} has validationActions {actions or '[]'} without Deny")


def _resources_cover(rules) -> bool:
    rules = [r for r in sequence(rules) if mapping(r)]
    return not rules or any(str(r).lower() in POD_RESOURCES for rule in rules for r in sequence(rule.get("resources")))
