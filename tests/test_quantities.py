"""Quantity parsing follows apimachinery: suffixes, exponents and YAML numbers."""
from fractions import Fraction

import pytest

from readylint.model.quantities import parse_quantity


@pytest.mark.parametrize(("text", "value"), [
    ("500m", Fraction(1, 2)), ("0.5", Fraction(1, 2)), (0.5, Fraction(1, 2)), (2, Fraction(2)),
    ("1Gi", Fraction(2 ** 30)), ("1G", Fraction(10 ** 9)), ("1e3", Fraction(1000)), ("1E-2", Fraction(1, 100)),
    ("128974848", Fraction(128974848)), ("129M", Fraction(129 * 10 ** 6)), ("123Mi", Fraction(123 * 2 ** 20)),
    ("0", Fraction(0)), ("100u", Fraction(1, 10 ** 4)), (".5", Fraction(1, 2)), ("1.5Ki", Fraction(1536)),
])
def test_parses(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1 Gi", "1gi", "Gi", True, None, "1Mb", "1.2.3"])
def test_rejects(text):
    assert parse_quantity(text) is None


def test_binary_and_decimal_differ():
    assert parse_quantity("1Gi") > parse_quantity("1G")
