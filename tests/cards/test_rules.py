"""A card's badge initials, and the card codes (``core.codes``, shared with event tickets)."""

from __future__ import annotations

from stampbook.cards.queries import initials
from stampbook.core.codes import ALPHABET, LENGTH, new_code, normal_code


def test_initials_take_the_first_and_last_names() -> None:
    assert initials("Ana María López") == "AL"
    assert initials("ada") == "A"
    assert initials("ben@example.com") == "BC"
    assert initials("  ") == "?"


def test_codes_are_random_and_typed_codes_are_read_as_stored() -> None:
    codes = {new_code() for _ in range(100)}
    assert len(codes) == 100
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert normal_code(" abcd-efgh ") == "ABCDEFGH"
