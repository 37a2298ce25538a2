"""The people domain's pure rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stampbook.people import rules

ids = st.integers(min_value=1, max_value=2**63 - 1)


@settings(max_examples=50)
@given(ids, ids)
def test_a_pair_is_the_same_whichever_side_asks(a: int, b: int) -> None:
    if a == b:
        with pytest.raises(ValueError, match="two people"):
            rules.ordered_pair(a, b)
        return
    pair = rules.ordered_pair(a, b)
    assert pair == rules.ordered_pair(b, a)
    assert pair[0] < pair[1] and set(pair) == {a, b}
    assert rules.other_of(pair, a) == b and rules.other_of(pair, b) == a


def test_other_of_someone_outside_the_pair() -> None:
    with pytest.raises(ValueError, match="not in"):
        rules.other_of((1, 2), 3)


@settings(max_examples=50)
@given(st.lists(ids, max_size=20))
def test_positions_keep_the_first_place(order: list[int]) -> None:
    found = rules.positions(order)
    assert set(found) == set(order)
    for item, place in found.items():
        assert order[place] == item and item not in order[:place]


def test_task_positions_are_per_program() -> None:
    assert rules.task_positions({"1": [5, 3], "2": [9]}) == {5: 0, 3: 1, 9: 0}


@pytest.mark.parametrize(
    ("shop_points", "audience", "paid", "earned"),
    [
        (5, "public", False, 5),
        (5, "program", False, 5),
        (5, "public", True, 0),
        (5, "invited", False, 0),
        (5, "private", False, 0),
        (None, "public", False, 0),
        (0, "public", False, 0),
    ],
)
def test_review_points(shop_points: int | None, audience: str, paid: bool, earned: int) -> None:
    assert rules.review_points(shop_points, audience, paid) == earned
