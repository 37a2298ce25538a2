"""The arithmetic of earning and taking back, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from stampbook.loyalty.rules import (
    Rate,
    clawback_due,
    eligible_amount,
    limit_start,
    purchase_points,
)


def test_points_round_down_and_respect_the_minimum() -> None:
    rate = Rate(points=1, per_amount=100)  # a point per 1.00
    assert purchase_points(5990, rate) == 59
    assert purchase_points(99, rate) == 0
    assert purchase_points(5990, Rate(points=3, per_amount=1000, minimum=2000)) == 17
    assert purchase_points(1999, Rate(points=3, per_amount=1000, minimum=2000)) == 0


def test_shipping_and_taxes_count_only_when_switched_on() -> None:
    assert eligible_amount(5000, 500, 400, with_shipping=False, with_taxes=False) == 5000
    assert eligible_amount(5000, 500, 400, with_shipping=True, with_taxes=False) == 5500
    assert eligible_amount(5000, 500, 400, with_shipping=True, with_taxes=True) == 5900


def test_a_refund_takes_back_in_proportion_capped_at_what_was_earned() -> None:
    assert clawback_due(earned=59, eligible=5990, refunded=2995, clawed_back=0) == 29
    assert clawback_due(earned=59, eligible=5990, refunded=5990, clawed_back=29) == 30
    # Refunds summing to more than the order take back what it earned, no more.
    assert clawback_due(earned=59, eligible=5990, refunded=9000, clawed_back=29) == 30
    assert clawback_due(earned=59, eligible=5990, refunded=9000, clawed_back=59) == 0
    assert clawback_due(earned=0, eligible=5990, refunded=5990, clawed_back=0) == 0


@given(
    earned=st.integers(0, 10**6),
    eligible=st.integers(1, 10**8),
    parts=st.lists(st.integers(0, 10**7), min_size=1, max_size=8),
)
def test_refunds_in_parts_never_take_more_than_earned_and_all_of_it_when_whole(
    earned: int, eligible: int, parts: list[int]
) -> None:
    refunded = taken = 0
    for part in parts:
        refunded += part
        step = clawback_due(earned, eligible, refunded, taken)
        assert step >= 0
        taken += step
        assert taken <= earned
    if refunded >= eligible:
        assert taken == earned


def test_a_limits_period_starts_on_the_members_wall_clock() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 in Madrid, just after DST began
    assert limit_start("day", at, madrid) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert limit_start("week", at, madrid) == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)
    assert limit_start("month", at, madrid) == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert limit_start("year", at, madrid) == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert limit_start("ever", at, madrid) is None


def test_the_highest_multiplier_applies_alone_and_bonuses_add_up() -> None:
    from stampbook.loyalty.rules import Boost, boosts

    running = [
        Boost(1, frozenset(), multiplier_percent=200),
        Boost(2, frozenset({"purchase"}), multiplier_percent=300),
        Boost(3, frozenset({"signup"}), multiplier_percent=500),
        Boost(4, frozenset(), bonus_points=10),
        Boost(5, frozenset({"activity"}), bonus_points=7),
    ]
    assert boosts(59, "purchase", running) == [(2, 118), (4, 10)]
    assert boosts(20, "activity", running) == [(1, 20), (4, 10), (5, 7)]
    assert boosts(0, "purchase", running) == [(4, 10)]
    # A tie goes to the earlier campaign.
    tie = [Boost(9, frozenset(), multiplier_percent=150), Boost(8, frozenset(), 150)]
    assert boosts(10, "purchase", tie) == [(8, 5)]


def test_a_birthday_is_due_from_its_day_to_the_years_end() -> None:
    from datetime import date

    from stampbook.loyalty.rules import birthday_in, birthday_year_due

    assert birthday_in(2027, "02-29") == date(2027, 2, 28)
    assert birthday_in(2028, "02-29") == date(2028, 2, 29)
    set_long_ago = date(2020, 1, 1)
    assert birthday_year_due("07-14", set_long_ago, date(2027, 7, 13)) is None
    assert birthday_year_due("07-14", set_long_ago, date(2027, 7, 14)) == 2027
    assert birthday_year_due("07-14", set_long_ago, date(2027, 12, 31)) == 2027
    # Set 29 days before it: next year. Set 30 days before: this year.
    assert birthday_year_due("07-14", date(2027, 6, 15), date(2027, 7, 14)) is None
    assert birthday_year_due("07-14", date(2027, 6, 14), date(2027, 7, 14)) == 2027
    assert birthday_year_due("07-14", date(2027, 6, 15), date(2028, 7, 14)) == 2028
    # Set after this year's birthday passed: from next year.
    assert birthday_year_due("03-01", date(2027, 5, 1), date(2027, 6, 1)) is None
