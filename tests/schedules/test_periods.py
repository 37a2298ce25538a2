"""The period model: calendar periods numbered in order, and reset periods between instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from stampbook.schedules.periods import SINCE_EVER, Period, period_index, period_start, reset_period
from stampbook.schedules.rules import Schedule

MADRID = ZoneInfo("Europe/Madrid")


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
@settings(max_examples=60)
def test_period_start_inverts_period_index(day: date) -> None:
    for unit in ("day", "week", "month", "year"):
        index = period_index(day, unit)
        start = period_start(index, unit)
        assert start <= day
        assert period_index(start, unit) == index
        assert period_index(start - timedelta(days=1), unit) == index - 1
    assert period_start(period_index(day, "week"), "week").weekday() == 0


def test_no_schedule_counts_since_ever() -> None:
    assert reset_period([], datetime(2026, 3, 25, tzinfo=UTC), MADRID) == SINCE_EVER


def test_the_nearest_instants_of_several_schedules_bound_the_period() -> None:
    monthly = Schedule(dates=[date(2026, 3, 1), date(2026, 4, 1)])
    weekly = Schedule(days_of_week=[0])
    at = datetime(2026, 3, 25, 12, tzinfo=UTC)
    assert reset_period([monthly, weekly], at, MADRID) == Period(
        datetime(2026, 3, 22, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC)
    )
    assert reset_period([monthly], at, MADRID).resets_at == datetime(2026, 3, 31, 22, tzinfo=UTC)
