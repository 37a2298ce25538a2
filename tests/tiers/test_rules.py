"""The tiers' rules without a database: reaching, keeping with the retention margin, periods
in local days, the rolling window, the multiplier, and a model of tiers checked by hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stampbook.schedules.periods import local_date
from stampbook.tiers import rules
from stampbook.tiers.rules import NO_TIER, PeriodKind, TierProblem

LADDER = [1000, 5000]  # Silver, Gold


def test_reached_several_tiers_at_once() -> None:
    assert rules.reached(LADDER, 999) == NO_TIER
    assert rules.reached(LADDER, 1000) == 0
    assert rules.reached(LADDER, 7000) == 1


@pytest.mark.parametrize(
    ("thresholds", "code", "index"),
    [
        ([-5], "tier_threshold_invalid", 0),
        ([0], "tier_threshold_invalid", 0),
        ([100, 100], "tier_threshold_unordered", 1),
        ([500, 100], "tier_threshold_unordered", 1),
    ],
)
def test_bad_ladders(thresholds: list[int], code: str, index: int) -> None:
    with pytest.raises(TierProblem) as problem:
        rules.check_ladder(thresholds)
    assert (problem.value.code, problem.value.index) == (code, index)


@pytest.mark.parametrize("text", ["0", "-1", "100.01", "101", "1.234", "abc", "NaN", "inf"])
def test_bad_multipliers(text: str) -> None:
    with pytest.raises(TierProblem, match="tier_multiplier_invalid"):
        rules.parse_multiplier(text)


def test_multipliers() -> None:
    assert rules.parse_multiplier("1.5") == 150
    assert rules.parse_multiplier("100") == 10_000
    assert rules.multiplier_text(150) == "1.5"
    assert rules.multiplier_text(100) == "1"
    assert rules.extra_points(99, 150) == 49  # 148.5 rounded down, less the base
    assert rules.extra_points(100, 100) == 0
    assert rules.extra_points(100, 50) == 0


def test_retention_margin() -> None:
    assert rules.keeps(1000, 900, 90)
    assert not rules.keeps(1000, 899, 90)


def test_progress() -> None:
    assert rules.progress(LADDER, NO_TIER, 400) == rules.Progress(0, 600)
    assert rules.progress(LADDER, 0, 4000) == rules.Progress(1, 1000)
    assert rules.progress(LADDER, 1, 9000) == rules.Progress(None, 0)


def test_qualified_on_31_december_late_evening_local_time() -> None:
    zone = ZoneInfo("America/New_York")
    # 23:30 on 31 December in New York is already 1 January in UTC.
    at = datetime(2027, 1, 1, 4, 30, tzinfo=UTC)
    day = local_date(at, zone)
    assert day == date(2026, 12, 31)
    kind = PeriodKind.CALENDAR_YEAR
    totals = {rules.bucket(kind, day): 1000}
    start = rules.held_start(kind, day)
    # Still held on the last day; kept at the year's end (it qualified in 2026)...
    assert rules.review(
        kind=kind, thresholds=LADDER, current=0, start=start, today=day,
        totals=totals, retention_percent=90,
    ) == []  # fmt: skip
    kept = rules.review(
        kind=kind, thresholds=LADDER, current=0, start=start, today=date(2027, 1, 1),
        totals=totals, retention_percent=90,
    )  # fmt: skip
    assert [(r.before, r.after, r.start) for r in kept] == [(0, 0, date(2027, 1, 1))]
    # ...and lost at the end of 2027 with nothing earned in it.
    lost = rules.review(
        kind=kind, thresholds=LADDER, current=0, start=start, today=date(2028, 1, 1),
        totals=totals, retention_percent=90,
    )  # fmt: skip
    assert [(r.before, r.after) for r in lost] == [(0, 0), (0, NO_TIER)]


def test_falls_one_tier_per_period_end_never_below_the_floor() -> None:
    kind = PeriodKind.CALENDAR_YEAR
    reviews = rules.review(
        kind=kind, thresholds=LADDER, current=1, start=date(2026, 1, 1),
        today=date(2026, 1, 1), totals={}, retention_percent=90,
    )  # fmt: skip
    assert reviews == []
    reviews = rules.review(
        kind=kind, thresholds=LADDER, current=1, start=date(2026, 1, 1),
        today=date(2027, 6, 1), totals={}, retention_percent=90,
    )  # fmt: skip
    assert [r.after for r in reviews] == [0]
    reviews = rules.review(
        kind=kind, thresholds=LADDER, current=1, start=date(2026, 1, 1),
        today=date(2030, 6, 1), totals={}, retention_percent=90, floor=0,
    )  # fmt: skip
    assert [r.after for r in reviews] == [0, 0, 0, 0]


def test_lifetime_is_never_reviewed() -> None:
    kind = PeriodKind.LIFETIME
    assert rules.review(
        kind=kind, thresholds=LADDER, current=1, start=rules.held_start(kind, date(2026, 3, 1)),
        today=date(2090, 1, 1), totals={}, retention_percent=90,
    ) == []  # fmt: skip


def test_rolling_window() -> None:
    kind = PeriodKind.ROLLING_12_MONTHS
    reached_on = date(2026, 3, 10)
    totals = {rules.bucket(kind, reached_on): 1000}
    first, last = rules.window(kind, reached_on + timedelta(days=364))
    assert first <= rules.bucket(kind, reached_on) <= last
    first, _ = rules.window(kind, reached_on + timedelta(days=365))
    assert first > rules.bucket(kind, reached_on)
    # Held a year from the day it was reached; kept then (the window holds the 1000) and lost
    # a year later.
    reviews = rules.review(
        kind=kind, thresholds=LADDER, current=0, start=reached_on,
        today=date(2028, 3, 10), totals=totals, retention_percent=90,
    )  # fmt: skip
    assert [(r.ended, r.after) for r in reviews] == [
        (date(2027, 3, 10), 0),
        (date(2028, 3, 10), NO_TIER),
    ]


def test_refund_demotes_only_when_the_program_says_so() -> None:
    assert rules.after_refund(thresholds=LADDER, current=1, total=10, demote=False) == 1
    assert rules.after_refund(thresholds=LADDER, current=1, total=1200, demote=True) == 0
    assert rules.after_refund(thresholds=LADDER, current=1, total=10, demote=True, floor=0) == 0


# --- a model of tiers ------------------------------------------------------------------

events = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=800),  # days after the start
        st.integers(min_value=-600, max_value=3000),  # qualifying amount (negative: a refund)
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(events=events, kind=st.sampled_from(list(PeriodKind)))
def test_tiers_follow_a_model(events: list[tuple[int, int]], kind: PeriodKind) -> None:
    """Replay random orders and refunds day by day: rise at once on the window's total,
    review at each held period's end. The model: a tier is never lost mid-period (refunds do
    not demote), and at a period end drops by at most one."""
    origin = date(2026, 1, 1)
    totals: dict[int, int] = {}
    tier, start = NO_TIER, origin
    by_day: dict[int, int] = {}
    for offset, amount in events:
        by_day[offset] = by_day.get(offset, 0) + amount
    for offset in range(0, 801):
        today = origin + timedelta(days=offset)
        for r in rules.review(
            kind=kind, thresholds=LADDER, current=tier, start=start, today=today,
            totals=totals, retention_percent=90,
        ):  # fmt: skip
            assert r.before - 1 <= r.after <= r.before
            tier, start = r.after, r.start
        if offset not in by_day:
            continue
        b = rules.bucket(kind, today)
        totals[b] = totals.get(b, 0) + by_day[offset]
        first, last = rules.window(kind, today)
        total = sum(v for k, v in totals.items() if first <= k <= last)
        before = tier
        tier = max(tier, rules.reached(LADDER, total))
        if tier > before:
            start = rules.held_start(kind, today)
        # A tier is never below what the window's total reaches right after earning.
        assert tier >= rules.reached(LADDER, total)
