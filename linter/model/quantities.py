"""Kubernetes resource quantities (`500m`, `0.5`, `1Gi` vs `1G`, `1e3`) as exact numbers.

The grammar is apimachinery's: a signed decimal number, then a binary-SI suffix (Ki…Ei), a decimal-SI suffix
(n, u, m, k, M, G, T, P, E) or a decimal exponent (e3, E-2). YAML numbers (``cpu: 1``, ``cpu: 0.5``) are
quantities too. Anything else is not a quantity and parses to None, so rules never guess.
"""
from __future__ import annotations

from fractions import Fraction

from .. import lazy_re

BINARY = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
DECIMAL = {"n": Fraction(1, 10 ** 9), "u": Fraction(1, 10 ** 6), "m": Fraction(1, 1000), "": Fraction(1),
           "k": Fraction(10 ** 3), "M": Fraction(10 ** 6), "G": Fraction(10 ** 9), "T": Fraction(10 ** 12),
           "P": Fraction(10 ** 15), "E": Fraction(10 ** 18)}
_QUANTITY = lazy_re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$")


def parse_quantity(value) -> Fraction | None:
    """The exact value of a quantity (cores or bytes), or None when ``value`` is not one."""
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
    return amount * (BINARY[suffix] if suffix in BINARY else DECIMAL[suffix])


def show(value) -> str:
    """A quantity as written in the manifest, for messages."""
    return str(value).lower() if isinstance(value, bool) else str(value)
