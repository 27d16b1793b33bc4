"""PodDisruptionBudget arithmetic as the disruption controller does it (percentages rounded up)."""
from __future__ import annotations

import math

from .. import lazy_re
from .objects import K8sObject

BUDGET_FIELDS = ("maxUnavailable", "minAvailable")
_PERCENT = lazy_re.compile(r"^\s*(\d+)%\s*$")


def scaled(value, replicas: int) -> int | None:
    """An int-or-percent resolved against ``replicas``, rounded up; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.strip().isdigit():
            return int(value)
        match = _PERCENT.match(value)
        if match:
            return math.ceil(int(match.group(1)) * replicas / 100)
    return None


def budget_field(pdb: K8sObject) -> str | None:
    """The field that sets the budget (``maxUnavailable`` wins, as in the controller), or None."""
    return next((name for name in BUDGET_FIELDS if pdb.spec.get(name) is not None), None)


def allowed_disruptions(pdb: K8sObject, replicas: int) -> int | None:
    """Voluntary evictions the budget allows with ``replicas`` healthy pods (None when unreadable)."""
    field = budget_field(pdb)
    if field is None:
        return replicas  # no budget field: the controller protects nothing
    value = scaled(pdb.spec[field], replicas)
    if value is None:
        return None
    if field == "maxUnavailable":
        return max(0, min(value, replicas))
    return max(0, replicas - value)
