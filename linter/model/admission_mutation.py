"""Security-context fields that a Kyverno mutate policy sets on a workload's pods at admission.

``admitted(index, wl, container, field)`` answers "what value does the container's effective securityContext
hold for ``field`` once the repository's Kyverno ``patchStrategicMerge`` rules have run?", with the policy rule
and patch key that decide it. Rules use it to turn a missing field into a note instead of an error: the cluster
fixes the pod although the manifest does not. Anything this module cannot evaluate offline (variables, JMESPath
preconditions, user-info filters, unrendered namespace labels) counts as "not applied", so a finding never
weakens on a guess.
"""
from __future__ import annotations

import fnmatch
import re
import weakref
from typing import NamedTuple

from .objects import K8sObject, mapping, sequence
from .security import POD_AND_CONTAINER
from .selectors import _text, label_selector_matches

ANCHOR = re.compile(r"^([+=X<^]?)\((.+)\)$")
CONDITIONS = frozenset({"?", "=", "X", "<", "^"})  # "?" stands for the plain conditional anchor (key)
USER_INFO = ("subjects", "roles", "clusterRoles")
ELEMENT_NAME = re.compile(r"^\{\{\s*element\.name\s*\}\}$")
FOREACH_LIST = re.compile(r"^request\.object\.spec\.(?:(\w+)|\[([\w,\s]+)\]\[\])$")
_MISSING = object()


class Mutation(NamedTuple):
    """The value a policy rule leaves in the field, and the patch key that writes it."""

    value: object
    policy: K8sObject
    rule: str
    segments: tuple  # from the policy's root to the patch key

    def at(self):
        return self.policy.at(*self.segments)

    @property
    def what(self) -> str:
        return f"{self.policy.ref} rule '{self.rule}'"


class _Patch(NamedTuple):
    policy: K8sObject
    rule: str
    body: object  # the patchStrategicMerge mapping
    segments: tuple  # to the body inside the policy
    element_lists: frozenset  # container lists whose every item a foreach `{{ element.name }}` patch covers


def _split(key) -> tuple[str, str]:
    """``+(name)`` -> ("+", "name"); ``(name)`` -> ("?", "name"); ``name`` -> ("", "name")."""
    m = ANCHOR.match(str(key))
    return (m.group(1) or "?", m.group(2)) if m else ("", str(key))


# -- which rules apply to a workload's pods ----------------------------------------------------------------

_RULES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _mutate_rules(index) -> list:
    """(policy, rule index, rule) for every Kyverno admission mutate rule in the repository's production objects."""
    found = _RULES.get(index)
    if found is None:
        found = _RULES[index] = []
        for obj in index.of_kind("ClusterPolicy", "Policy"):
            if obj.group != "kyverno.io" or obj.spec.get("admission") is False:
                continue
            for i, rule in enumerate(sequence(obj.spec.get("rules"))):
                mutate = mapping(mapping(rule) and rule.get("mutate"))
                if mutate is not None and not mutate.get("targets"):
                    found.append((obj, i, rule))
    return found


def _names_match(patterns, name) -> bool:
    return any(fnmatch.fnmatchcase(name, str(p)) for p in patterns if p is not None)


def _kinds_match(kinds, kind) -> bool:
    return any(fnmatch.fnmatchcase(kind, str(k).rsplit("/", 1)[-1]) for k in sequence(kinds))


def _namespace_labels(index, namespace):
    ns = next((o for o in index.of_kind("Namespace") if o.name == namespace and o.group == ""), None)
    if ns is None:
        return None
    labels = dict(ns.labels)
    labels["kubernetes.io/metadata.name"] = namespace
    return labels


def _filter_selects(index, block, view, excluding) -> bool:
    """Whether one match/exclude filter selects the view; what cannot be judged offline answers ``excluding``
    (an unknown exclude removes the match, an unknown match never adds one)."""
    block = mapping(block) or {}
    if any(block.get(k) for k in USER_INFO):
        return excluding
    res = mapping(block.get("resources")) or {}
    if "kinds" in res:
        if not _kinds_match(res.get("kinds"), view["kind"]):
            return False
    elif not excluding:
        return False
    if res.get("operations") and "CREATE" not in [str(o) for o in sequence(res.get("operations"))]:
        return False
    if res.get("namespaces") and not _names_match(sequence(res.get("namespaces")), view["namespace"]):
        return False
    for key in ("names", "name"):
        patterns = [str(p) for p in (sequence(res.get(key)) if key == "names" else [res.get(key)]) if p]
        if patterns and (view["name"] is None and patterns != ["*"]):
            return excluding
        if patterns and view["name"] is not None and not _names_match(patterns, view["name"]):
            return False
    if mapping(res.get("selector")) is not None and not label_selector_matches(res["selector"], view["labels"]):
        return False
    if mapping(res.get("namespaceSelector")) is not None:
        labels = _namespace_labels(index, view["namespace"])
        if labels is None:
            return excluding
        if not label_selector_matches(res["namespaceSelector"], labels):
            return False
    if res.get("annotations"):
        return excluding
    return True


def _block_selects(index, block, view, excluding) -> bool:
    """``any`` needs one filter, ``all`` needs every filter; the legacy form is a single filter."""
    block = mapping(block)
    if not block:
        return False
    if "any" in block or "all" in block:
        if any(_filter_selects(index, f, view, excluding) for f in sequence(block.get("any"))):
            return True
        filters = sequence(block.get("all"))
        return bool(filters) and all(_filter_selects(index, f, view, excluding) for f in filters)
    return _filter_selects(index, block, view, excluding)


def _views(wl):
    """The pod the controller creates (its name is generated, so unknown) and the workload object itself."""
    pod = dict(kind="Pod", name=None, namespace=wl.namespace, labels=wl.labels)
    own = dict(kind=wl.kind, name=wl.obj.name, namespace=wl.namespace, labels=wl.obj.labels)
    return (("pod", pod), ("object", own))


def _operation_only(preconditions) -> bool:
    """Preconditions that only ask for a CREATE-like operation hold at admission; anything else is unknown."""
    if preconditions is None:
        return True
    if isinstance(preconditions, list):
        conditions = preconditions
    else:
        block = mapping(preconditions) or {}
        conditions = list(sequence(block.get("any"))) + list(sequence(block.get("all")))
    for cond in conditions:
        cond = mapping(cond) or {}
        if "request.operation" not in str(cond.get("key")):
            return False
        values = [str(v) for v in (sequence(cond.get("value")) or [cond.get("value")])]
        op = str(cond.get("operator"))
        holds = ("CREATE" in values) if op in ("In", "AnyIn", "AllIn", "Equals", "Equal") else \
            ("CREATE" not in values) if op in ("NotIn", "AnyNotIn", "AllNotIn", "NotEquals", "NotEqual") else False
        if not holds:
            return False
    return True


def _patches(index, wl, shape) -> list[_Patch]:
    """The patches of rules that select the workload as ``shape`` ("pod" or "object")."""
    out = []
    for obj, i, rule in _mutate_rules(index):
        if obj.kind == "Policy" and obj.namespace != wl.namespace:
            continue
        view = dict(_views(wl))[shape]
        if not _block_selects(index, rule.get("match"), view, False):
            continue
        if rule.get("exclude") and _block_selects(index, rule.get("exclude"), view, True):
            continue
        if not _operation_only(rule.get("preconditions")):
            continue
        name = str(rule.get("name") or f"#{i}")
        base = ("spec", "rules", i, "mutate")
        mutate = rule["mutate"]
        if mapping(mutate.get("patchStrategicMerge")) is not None:
            out.append(_Patch(obj, name, mutate["patchStrategicMerge"], base + ("patchStrategicMerge",), frozenset()))
        for j, each in enumerate(sequence(mutate.get("foreach"))):
            lists = _simple_foreach(each)
            if lists is not None:
                out.append(_Patch(obj, name, each["patchStrategicMerge"],
                                  base + ("foreach", j, "patchStrategicMerge"), lists))
    return out


def _simple_foreach(each):
    """The container lists a foreach walks, when it walks containers with nothing but a patch; else None."""
    each = mapping(each)
    if each is None or mapping(each.get("patchStrategicMerge")) is None or each.get("foreach") \
            or each.get("context") or not _operation_only(each.get("preconditions")):
        return None
    m = FOREACH_LIST.match(str(each.get("list") or "").replace(" ", "").replace('"', ""))
    if not m:
        return None
    names = frozenset(n.strip() for n in (m.group(1) or m.group(2)).split(","))
    return names if names <= {"containers", "initContainers", "ephemeralContainers"} else None


# -- strategic-merge anchors --------------------------------------------------------------------------------

def _scalar_matches(pattern, value) -> bool:
    if isinstance(pattern, str):
        if "{{" in pattern or pattern[:1] in ("!", ">", "<") or "|" in pattern or "&" in pattern:
            return False  # variables and Kyverno operators are not evaluated offline
        return value is not None and not isinstance(value, (dict, list)) and \
            fnmatch.fnmatchcase(_text(value), pattern)
    return type(pattern) is type(value) and pattern == value


def _matches(pattern, value) -> bool:
    if mapping(pattern) is not None:
        return mapping(value) is not None and _holds(pattern, value) and all(
            name in value and _matches(p, value[name])
            for key, p in pattern.items() for mod, name in [_split(key)] if mod == "")
    if isinstance(pattern, list):
        return False
    return _scalar_matches(pattern, value)


def _holds(patch, resource) -> bool:
    """Every condition anchor of this map, and of its plain map children, holds for ``resource``."""
    resource = mapping(resource) or {}
    for key, pattern in patch.items():
        mod, name = _split(key)
        present = name in resource
        if mod in ("?", "<") and not (present and _matches(pattern, resource[name])):
            return False
        if mod == "=" and present and not _matches(pattern, resource[name]):
            return False
        if mod == "X" and present:
            return False
        if mod == "^":
            return False  # a validation anchor in a patch: not ours to guess
        if mod == "" and mapping(pattern) is not None and not _holds(pattern, resource.get(name)):
            return False
    return True


def _walk(patch, resource, path, segments):
    """(value, segments) that the patch writes at ``path`` below ``resource``, or None when it writes nothing."""
    if mapping(patch) is None or not _holds(patch, resource):
        return None
    resource = mapping(resource) or {}
    head, rest = path[0], path[1:]
    for key, value in patch.items():
        mod, name = _split(key)
        if name != head or mod not in ("", "+"):
            continue
        if mod == "+" and head in resource:
            return None  # add-if-absent leaves the manifest's own value
        if not rest:
            return None if isinstance(value, str) and "{{" in value else (value, segments + (key,))
        return _walk(value, resource.get(head), rest, segments + (key,))
    return None


def _container_walk(patch, body, resource, list_key, container, rest, segments):
    """What the items of ``spec.<list_key>`` that select this container write at ``rest`` (the last one wins)."""
    found = None
    if mapping(body) is None or not _holds(body, resource):
        return None
    for key, spec in body.items():
        if _split(key) != ("", "spec") or mapping(spec) is None:
            continue
        for k2, items in spec.items():
            if _split(k2) != ("", list_key) or not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                item = mapping(item)
                if item is None or not _holds(item, container.data):
                    continue
                if "name" in item:
                    name = str(item["name"])
                    every = ELEMENT_NAME.match(name) and list_key in patch.element_lists
                    if not every and name != container.name:
                        continue
                found = _walk(item, container.data, rest, segments + (key, k2, i)) or found
    return found


def _pod_root(wl, patch, shape):
    """The patch and resource maps at the pod template, with the segments walked; None when the shape misses."""
    body, resource, segments = patch.body, wl.pod_obj.data, patch.segments
    if shape == "pod":
        return body, wl.template, segments
    for step in wl.template_path:
        if mapping(body) is None or not _holds(body, resource):
            return None
        resource = mapping(resource) or {}
        key = next((k for k in body if _split(k) == ("", step)), None)
        if key is None:
            return None
        body, resource, segments = body[key], resource.get(step), segments + (key,)
    return body, resource, segments


def admitted(index, wl, container, field: str) -> Mutation | None:
    """The mutation that decides ``field`` (dotted, below securityContext) of the container's effective context.

    None when the manifest's own value stands. Pod-level patches count for the fields a pod context can hold,
    but only when the container (as written or as patched) does not set the field itself.
    """
    if wl.obj is not wl.pod_obj:
        return None  # a Rollout's workloadRef template lives in another object: not matched here
    parts = tuple(field.split("."))
    list_key = "initContainers" if container.init else "containers"
    node = container.data.get("securityContext")
    for part in parts:
        node = mapping(node).get(part, _MISSING) if mapping(node) is not None else _MISSING
    own_set = node is not _MISSING
    own = pod = None
    for shape in ("pod", "object"):
        for patch in _patches(index, wl, shape):
            root = _pod_root(wl, patch, shape)
            if root is None:
                continue
            body, resource, segments = root
            got = _container_walk(patch, body, resource, list_key, container, ("securityContext",) + parts, segments)
            if got is not None:
                own = Mutation(got[0], patch.policy, patch.rule, got[1])
            if parts[0] in POD_AND_CONTAINER:
                got = _walk(body, resource, ("spec", "securityContext") + parts, segments)
                if got is not None:
                    pod = Mutation(got[0], patch.policy, patch.rule, got[1])
    if own is not None:
        return own
    if own_set or parts[0] not in POD_AND_CONTAINER:
        return None
    return pod
