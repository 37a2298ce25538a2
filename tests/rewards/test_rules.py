"""The reward rules, without a database. Every instant is pinned."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from stampbook.rewards.rules import (
    LimitReset,
    ListEntry,
    QuantityRenewal,
    Recurrence,
    RewardStatus,
    ScheduleSettings,
    SortOrder,
    Standing,
    filter_entries,
    limit_period,
    next_opening,
    refusal,
    renewed_stock,
    sort_entries,
    status_of,
)
from stampbook.schedules.rules import Schedule

MADRID = ZoneInfo("Europe/Madrid")
TOKYO = ZoneInfo("Asia/Tokyo")
UTC_ZONE = ZoneInfo("UTC")
PROPERTY = settings(max_examples=60, deadline=None, database=None)


def local(tz: ZoneInfo, *wall: int) -> datetime:
    return datetime(*wall, tzinfo=tz).astimezone(UTC)


def resets(*items: tuple[dict[str, object], str]) -> ScheduleSettings:
    return ScheduleSettings(
        limit_reset=[LimitReset(schedule=Recurrence(**s), limit_type=t) for s, t in items]  # type: ignore[arg-type]
    )


# --- Periods --------------------------------------------------------------------------------


def test_without_resets_a_limit_counts_forever() -> None:
    period = limit_period(ScheduleSettings(), "user", local(MADRID, 2024, 5, 1, 12), MADRID)
    assert (period.start, period.resets_at) == (None, None)


def test_daily_period_on_the_spring_forward_night_in_madrid() -> None:
    daily = resets(({"times": ["00:00"]}, "user"))
    now = local(MADRID, 2024, 3, 31, 10)  # clocks jumped 02:00 -> 03:00 this night
    period = limit_period(daily, "user", now, MADRID)
    assert period.start == datetime(2024, 3, 30, 23, 0, tzinfo=UTC)  # midnight CET
    assert period.resets_at == datetime(2024, 3, 31, 22, 0, tzinfo=UTC)  # midnight CEST
    assert period.resets_at - period.start == timedelta(hours=23)


def test_daily_period_on_the_fall_back_night_lasts_25_hours() -> None:
    daily = resets(({"times": ["00:00"]}, "both"))
    period = limit_period(daily, "group", local(MADRID, 2024, 10, 27, 23, 30), MADRID)
    assert period.start == datetime(2024, 10, 26, 22, 0, tzinfo=UTC)
    assert period.resets_at == datetime(2024, 10, 27, 23, 0, tzinfo=UTC)


def test_weekly_period_in_another_time_zone() -> None:
    weekly = resets(({"days_of_week": [0]}, "user"))  # Monday 00:00 in Tokyo
    sunday_night = local(TOKYO, 2024, 5, 12, 23, 59)
    period = limit_period(weekly, "user", sunday_night, TOKYO)
    assert period.start == local(TOKYO, 2024, 5, 6)
    assert period.resets_at == local(TOKYO, 2024, 5, 13)
    monday = limit_period(weekly, "user", local(TOKYO, 2024, 5, 13), TOKYO)
    assert monday.start == local(TOKYO, 2024, 5, 13)


def test_limit_type_selects_the_resets_that_apply() -> None:
    mixed = resets(({"times": ["00:00"]}, "group"), ({"days_of_week": [0]}, "user"))
    now = local(UTC_ZONE, 2024, 5, 15, 12)  # a Wednesday
    assert limit_period(mixed, "group", now, UTC_ZONE).start == local(UTC_ZONE, 2024, 5, 15)
    assert limit_period(mixed, "user", now, UTC_ZONE).start == local(UTC_ZONE, 2024, 5, 13)


def test_several_resets_take_the_latest_start_and_the_earliest_end() -> None:
    both = resets(({"times": ["06:00"]}, "both"), ({"times": ["18:00"]}, "both"))
    period = limit_period(both, "user", local(UTC_ZONE, 2024, 5, 15, 12), UTC_ZONE)
    assert period.start == local(UTC_ZONE, 2024, 5, 15, 6)
    assert period.resets_at == local(UTC_ZONE, 2024, 5, 15, 18)


def test_settings_refuse_empty_schedules_and_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        ScheduleSettings.model_validate({"limit_reset": [{"schedule": {}}]})
    with pytest.raises(ValidationError):
        ScheduleSettings.model_validate(
            {"quantity_renewal": [{"schedule": {"times": ["08:00"]}, "renewal_quantity": 0}]}
        )
    with pytest.raises(ValidationError):
        ScheduleSettings.model_validate({"limits": []})


# --- Renewals -------------------------------------------------------------------------------

DAILY_8 = Recurrence(times=[time(8)])


@pytest.mark.parametrize("schedule", [{}, {"excluded": {"days_of_week": [6]}}, {"times": []}])
def test_a_recurrence_needs_something_that_recurs(schedule: dict[str, object]) -> None:
    # The document states it (anyOf); an exclusion alone used to pass and recur never.
    with pytest.raises(ValidationError, match="the schedule is empty"):
        QuantityRenewal.model_validate({"schedule": schedule, "renewal_quantity": 1})


def test_renewals_add_per_instant_up_to_the_cap() -> None:
    renewal = [QuantityRenewal(schedule=DAILY_8, renewal_quantity=2, cap=5)]
    start = local(UTC_ZONE, 2024, 5, 1, 9)
    assert renewed_stock(0, start, renewal, local(UTC_ZONE, 2024, 5, 2, 7, 59), UTC_ZONE) == (
        0,
        local(UTC_ZONE, 2024, 5, 2, 7, 59),
    )
    assert renewed_stock(0, start, renewal, local(UTC_ZONE, 2024, 5, 2, 8), UTC_ZONE)[0] == 2
    assert renewed_stock(1, start, renewal, local(UTC_ZONE, 2024, 5, 3, 8), UTC_ZONE)[0] == 5
    assert renewed_stock(1, start, renewal, local(UTC_ZONE, 2024, 9, 3, 8), UTC_ZONE)[0] == 5


def test_renewals_never_cut_a_stock_above_the_cap_and_uncapped_ones_add_all() -> None:
    capped = [QuantityRenewal(schedule=DAILY_8, renewal_quantity=2, cap=5)]
    uncapped = [QuantityRenewal(schedule=DAILY_8, renewal_quantity=2)]
    start, later = local(UTC_ZONE, 2024, 5, 1, 9), local(UTC_ZONE, 2024, 5, 11, 9)
    assert renewed_stock(9, start, capped, later, UTC_ZONE)[0] == 9
    assert renewed_stock(9, start, uncapped, later, UTC_ZONE)[0] == 29


def test_unlimited_stock_no_renewals_and_clock_going_back_change_nothing() -> None:
    renewal = [QuantityRenewal(schedule=DAILY_8, renewal_quantity=2)]
    start = local(UTC_ZONE, 2024, 5, 1, 9)
    assert renewed_stock(None, start, renewal, start + timedelta(days=3), UTC_ZONE) == (
        None,
        start,
    )
    assert renewed_stock(3, start, [], start + timedelta(days=3), UTC_ZONE) == (3, start)
    assert renewed_stock(3, start, renewal, start - timedelta(days=3), UTC_ZONE) == (3, start)
    assert renewed_stock(3, None, renewal, start, UTC_ZONE) == (3, start)


@PROPERTY
@given(
    stock=st.integers(0, 50),
    cap=st.integers(0, 60),
    step=st.integers(1, 10),
    hours=st.integers(0, 24 * 20),
)
def test_renewed_stock_never_shrinks_nor_passes_the_cap(
    stock: int, cap: int, step: int, hours: int
) -> None:
    renewal = [QuantityRenewal(schedule=DAILY_8, renewal_quantity=step, cap=cap)]
    start = local(MADRID, 2024, 3, 20, 9)
    renewed, mark = renewed_stock(stock, start, renewal, start + timedelta(hours=hours), MADRID)
    assert renewed is not None
    assert stock <= renewed <= max(stock, cap)
    # Renewing in two steps gives what one step gives.
    half, half_mark = renewed_stock(
        stock, start, renewal, start + timedelta(hours=hours // 2), MADRID
    )
    assert renewed_stock(half, half_mark, renewal, start + timedelta(hours=hours), MADRID) == (
        renewed,
        mark,
    )


# --- Openings -------------------------------------------------------------------------------

OFFICE = Schedule(days_of_week=[0, 1, 2, 3, 4], time_ranges=[(time(9), time(17))])


def test_next_opening_after_hours_and_over_the_weekend() -> None:
    friday_evening = local(MADRID, 2024, 5, 17, 18)
    assert next_opening([OFFICE], friday_evening, MADRID) == local(MADRID, 2024, 5, 20, 9)
    tuesday_dawn = local(MADRID, 2024, 5, 14, 6)
    assert next_opening([OFFICE], tuesday_dawn, MADRID) == local(MADRID, 2024, 5, 14, 9)


def test_next_opening_skips_excluded_days_and_picks_the_earliest_window() -> None:
    holiday = OFFICE.model_copy(update={"excluded": Schedule(dates=[datetime(2024, 5, 20).date()])})
    saturday = Schedule(days_of_week=[5], time_ranges=[(time(10), time(12))])
    friday_evening = local(MADRID, 2024, 5, 17, 18)
    assert next_opening([holiday], friday_evening, MADRID) == local(MADRID, 2024, 5, 21, 9)
    assert next_opening([holiday, saturday], friday_evening, MADRID) == local(
        MADRID, 2024, 5, 18, 10
    )


def test_next_opening_unknown_when_only_an_exclusion_closes() -> None:
    closed_in_may = Schedule(excluded=Schedule(months_of_year=[5]))
    assert next_opening([closed_in_may], local(MADRID, 2024, 5, 17), MADRID) is None


# --- Refusals and statuses ------------------------------------------------------------------

EVERYTHING_WRONG = Standing(
    available=False,
    expired=True,
    price=30,
    balance=10,
    stock=0,
    group_used=5,
    group_limit=5,
    user_used=1,
    user_limit=1,
)
FIXES = [
    {"available": True},
    {"expired": False},
    {"balance": 30},
    {"stock": 1},
    {"group_used": 4},
    {"user_used": 0},
]
CODES = [
    "reward_unavailable",
    "reward_expired",
    "insufficient_points",
    "out_of_stock",
    "limit_reached",
    "limit_reached",
    None,
]


def test_refusals_come_in_the_documented_order() -> None:
    standing = EVERYTHING_WRONG
    seen = []
    for fix in [*FIXES, {}]:
        refused = refusal(standing)
        seen.append(refused.code if refused else None)
        standing = Standing(**{**standing.__dict__, **fix})
    assert seen == CODES


def test_limit_refusals_say_which_limit_and_when_it_resets() -> None:
    resets_at = datetime(2024, 5, 20, tzinfo=UTC)
    group = Standing(
        True, False, 1, 1, None, group_used=2, group_limit=2, group_resets_at=resets_at
    )
    refused = refusal(group)
    assert refused is not None
    assert refused.extra == {"limit": "group", "resets_at": "2024-05-20T00:00:00+00:00"}
    user = Standing(True, False, 1, 1, None, quantity=2, user_used=1, user_limit=2)
    refused = refusal(user)
    assert refused is not None
    assert refused.extra == {"limit": "user", "resets_at": None}


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, RewardStatus.REDEEMABLE),
        ({"balance": 5}, RewardStatus.TOO_EXPENSIVE),
        ({"available": False, "balance": 5}, RewardStatus.UNAVAILABLE),
        ({"user_used": 1, "user_limit": 1}, RewardStatus.UNAVAILABLE),
        ({"stock": 0, "available": False}, RewardStatus.OUT_OF_STOCK),
        ({"group_used": 3, "group_limit": 3}, RewardStatus.OUT_OF_STOCK),
        ({"expired": True, "stock": 0}, RewardStatus.EXPIRED),
    ],
)
def test_status_precedence(changes: dict[str, object], status: RewardStatus) -> None:
    base = {"available": True, "expired": False, "price": 10, "balance": 10, "stock": None}
    assert status_of(Standing(**{**base, **changes})) is status  # type: ignore[arg-type]


# --- Sorting --------------------------------------------------------------------------------

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def entry(
    reward_id: int, status: RewardStatus, *, cost: int = 10, name: str = "", fav: bool = False
) -> ListEntry:
    return ListEntry(
        id=reward_id,
        name=name or f"r{reward_id}",
        cost=cost,
        created_at=T0 + timedelta(days=reward_id),
        status=status,
        is_favorite=fav,
    )


S = RewardStatus
LIST = [
    entry(1, S.EXPIRED, cost=5, name="banana"),
    entry(2, S.REDEEMABLE, cost=20, name="Apple"),
    entry(3, S.TOO_EXPENSIVE, cost=99, name="cherry"),
    entry(4, S.OUT_OF_STOCK, cost=1, name="date", fav=True),
    entry(5, S.REDEEMABLE, cost=20, name="elder"),
    entry(6, S.UNAVAILABLE, cost=7, name="fig"),
]


def ids(entries: list[ListEntry]) -> list[int]:
    return [e.id for e in entries]


def test_default_order_favourites_then_by_status_then_shop_order() -> None:
    assert ids(sort_entries(LIST, SortOrder.DEFAULT)) == [4, 2, 5, 3, 6, 1]
    assert ids(sort_entries(LIST, SortOrder.DEFAULT, [5, 1])) == [4, 5, 2, 3, 6, 1]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (SortOrder.COST, [4, 1, 6, 2, 5, 3]),
        (SortOrder.COST_DESC, [3, 2, 5, 6, 1, 4]),
        (SortOrder.NAME, [2, 1, 3, 4, 5, 6]),
        (SortOrder.NEWEST, [6, 5, 4, 3, 2, 1]),
    ],
)
def test_other_orders(order: SortOrder, expected: list[int]) -> None:
    assert ids(sort_entries(LIST, order)) == expected


def test_shop_order_breaks_cost_ties() -> None:
    assert ids(sort_entries(LIST, SortOrder.COST, [5]))[3:5] == [5, 2]


def test_filters() -> None:
    assert ids(filter_entries(LIST, hide_expired=True, hide_unavailable=False)) == [2, 3, 4, 5, 6]
    assert ids(filter_entries(LIST, hide_expired=False, hide_unavailable=True)) == [1, 2, 3, 5]
    assert ids(filter_entries(LIST, hide_expired=True, hide_unavailable=True)) == [2, 3, 5]


@PROPERTY
@given(
    st.lists(
        st.tuples(st.sampled_from(list(RewardStatus)), st.booleans(), st.integers(1, 100)),
        max_size=12,
    )
)
def test_default_order_is_a_permutation_with_favourites_first(
    rows: list[tuple[RewardStatus, bool, int]],
) -> None:
    entries = [entry(i, s, cost=c, fav=f) for i, (s, f, c) in enumerate(rows, 1)]
    ordered = sort_entries(entries, SortOrder.DEFAULT)
    assert sorted(ids(ordered)) == ids(entries)
    favourites = [e.is_favorite for e in ordered]
    assert favourites == sorted(favourites, reverse=True)
