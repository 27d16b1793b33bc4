"""Kubernetes resource quantities (`500m`, `0.5`, `1Gi` vs `1G`, `1e3`) as exact numbers.

The grammar is apimachinery's: a signed decimal number, then a binary-SI suffix (Ki…Ei), a decimal-SI suffix
(n, u, m, k, M, G, T, P, E) or a decimal exponent (e3, E-2). YAML numbers (``cpu: 1``, ``cpu: 0.5``) are
quantities too. Anything else is not a quantity and parses to None, so rules never guess.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_re

if TYPE_CHECKING:
    from fractions import Fraction

BINARY = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
DECIMAL_EXPONENT = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = lazy_re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$")


def parse_quantity(value) -> Fraction | None:
    """The exact value of a quantity (cores or bytes), or None when ``value`` is not one."""
    from fractions import Fraction  # loaded with the first quantity a run reads

    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    match = _QUANTITY.match(str(value).strip())
    if not match:
        return None
    number, exponent, suffix = match.groups()
    amount = Fraction(number)
    if exponent:
        return amount * Fraction(10) ** int(exponent[1:])
    suffix = suffix or ""
    return amount * (BINARY[suffix] if suffix in BINARY else Fraction(10) ** DECIMAL_EXPONENT[suffix])


def show(value) -> str:
    """A quantity as written in the manifest, for messages."""
    return str(value).lower() if isinstance(value, bool) else str(value)
