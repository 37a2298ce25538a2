"""Money as decimal strings outside and minor units inside (stampbook.core.money)."""

from __future__ import annotations

import pytest

from stampbook.core.money import display, from_minor, to_minor


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("59.90", "USD", 5990),
        ("59.9", "USD", 5990),
        ("0", "USD", 0),
        ("1.009", "USD", 100),
        ("1500", "JPY", 1500),
        ("1500.7", "JPY", 1500),
        ("1.234", "BHD", 1234),
    ],
)
def test_decimal_strings_become_minor_units_cut_never_rounded_up(
    text: str, currency: str, minor: int
) -> None:
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize("text", ["-1", "NaN", "Infinity", "1e3x", ""])
def test_what_is_not_a_plain_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        to_minor(text, "USD")


def test_minor_units_read_back_as_the_api_and_a_reader_write_them() -> None:
    assert from_minor(5990, "USD") == "59.90"
    assert from_minor(1500, "JPY") == "1500"
    assert from_minor(5, "BHD") == "0.005"
    assert display(5990, "USD", "en") == "$59.90"
    assert display(5990, "EUR", "es") == "59,90\xa0€"
