"""Label-selector semantics: every term must hold (AND), never "shares one label" (rules.md 0.2)."""
from __future__ import annotations

from ..inputs.yaml_docs import YMap


def _text(value) -> str:
    """Label values compare as the strings Kubernetes stores (`true`, `1`), not as YAML scalars."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def matches_labels(match_labels, labels) -> bool:
    """A plain ``key: value`` selector (Service ``spec.selector``, ``matchLabels``)."""
    for key, value in match_labels.items():
        if key not in labels or _text(labels[key]) != _text(value):
            return False
    return True


def _expression_holds(expr, labels) -> bool:
    if not isinstance(expr, YMap):
        return False
    key = expr.get("key")
    operator = expr.get("operator")
    values = {_text(v) for v in expr.get("values") or ()} if isinstance(expr.get("values"), list) else set()
    present = key in labels
    if operator == "In":
        return present and _text(labels[key]) in values
    if operator == "NotIn":
        return not present or _text(labels[key]) not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False


def label_selector_matches(selector, labels) -> bool:
    """A ``metav1.LabelSelector``: absent matches nothing, ``{}`` matches everything."""
    if not isinstance(selector, YMap):
        return False
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, YMap) and not matches_labels(match_labels, labels):
        return False
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, list):
        return all(_expression_holds(expr, labels) for expr in expressions)
    return True


def service_selector_matches(selector, labels) -> bool:
    """A Service ``spec.selector``: absent or empty selects no pods (endpoints are managed by hand)."""
    return isinstance(selector, YMap) and bool(selector) and matches_labels(selector, labels)
