"""Tests for the shared Schedule type. Every instant is pinned; nothing reads the wall clock."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from stampbook.schedules import rules
from stampbook.schedules.periods import reset_period
from stampbook.schedules.rules import (
    Schedule,
    count_instants,
    is_open,
    next_instant,
    previous_instant,
)


def period_bounds(
    schedule: Schedule, at: datetime, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """The reset period of one schedule around ``at``, as ``(start, resets_at)``."""
    period = reset_period([schedule], at, tz)
    return period.start, period.resets_at


MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
APIA = ZoneInfo("Pacific/Apia")
ZONES = [
    MADRID,
    NEW_YORK,
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("UTC"),
    APIA,
]
WEEKDAYS = [0, 1, 2, 3, 4]
# Explicit, so that the hypothesis database never writes into the project tree.
PROPERTY = settings(max_examples=150, deadline=None, database=None)


def at_local(tz: ZoneInfo, *wall: int) -> datetime:
    """The UTC instant of a local wall time (first occurrence if ambiguous)."""
    return datetime(*wall, tzinfo=tz).astimezone(UTC)


def walk(schedule: Schedule, start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """All instants in (start, end], found one after the other with next_instant."""
    found = []
    instant = next_instant(schedule, start, tz)
    while instant is not None and instant <= end:
        found.append(instant)
        instant = next_instant(schedule, instant, tz)
    return found


# --- Windows --------------------------------------------------------------------------------

OFFICE = Schedule(days_of_week=WEEKDAYS, time_ranges=[(time(9), time(17))])


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ((2026, 3, 2, 9, 0), True),  # Monday, opening time is inclusive
        ((2026, 3, 2, 8, 59, 59), False),
        ((2026, 3, 6, 16, 59, 59), True),  # Friday
        ((2026, 3, 6, 17, 0), False),  # closing time is exclusive
        ((2026, 3, 7, 12, 0), False),  # Saturday
    ],
)
def test_weekday_office_hours(wall: tuple[int, ...], expected: bool) -> None:
    assert is_open([OFFICE], at_local(MADRID, *wall), MADRID) is expected


FRIDAY_NIGHT = Schedule(days_of_week=[4], time_ranges=[(time(22), time(2))])


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ((2026, 3, 6, 21, 59), False),  # Friday before opening
        ((2026, 3, 6, 22, 0), True),
        ((2026, 3, 6, 23, 59), True),
        ((2026, 3, 7, 0, 0), True),  # Saturday, still Friday's night
        ((2026, 3, 7, 1, 0), True),
        ((2026, 3, 7, 2, 0), False),
        ((2026, 3, 7, 3, 0), False),
        ((2026, 3, 7, 22, 30), False),  # Saturday's own night is not open
        ((2026, 3, 6, 1, 0), False),  # Friday early morning belongs to Thursday
    ],
)
def test_range_crossing_midnight_belongs_to_the_day_it_starts(
    wall: tuple[int, ...], expected: bool
) -> None:
    assert is_open([FRIDAY_NIGHT], at_local(MADRID, *wall), MADRID) is expected


def test_months() -> None:
    december = Schedule(months_of_year=[12])
    assert is_open([december], at_local(MADRID, 2026, 12, 1, 0, 0), MADRID)
    assert is_open([december], at_local(MADRID, 2026, 12, 31, 23, 59), MADRID)
    assert not is_open([december], at_local(MADRID, 2026, 11, 30, 23, 59), MADRID)
    assert not is_open([december], at_local(MADRID, 2027, 1, 1, 0, 0), MADRID)


def test_dates_and_inclusive_date_ranges_form_one_constraint() -> None:
    schedule = Schedule(
        dates=[date(2026, 11, 15)], date_ranges=[(date(2026, 12, 1), date(2026, 12, 31))]
    )
    assert is_open([schedule], at_local(MADRID, 2026, 11, 15, 12, 0), MADRID)
    assert not is_open([schedule], at_local(MADRID, 2026, 11, 16, 0, 0), MADRID)
    assert is_open([schedule], at_local(MADRID, 2026, 12, 1, 0, 0), MADRID)
    assert is_open([schedule], at_local(MADRID, 2026, 12, 31, 23, 59, 59), MADRID)
    assert not is_open([schedule], at_local(MADRID, 2026, 11, 30, 23, 59, 59), MADRID)
    assert not is_open([schedule], at_local(MADRID, 2027, 1, 1, 0, 0), MADRID)


def test_an_excluded_holiday_closes_the_day() -> None:
    schedule = OFFICE.model_copy(update={"excluded": Schedule(dates=[date(2026, 12, 25)])})
    assert is_open([schedule], at_local(MADRID, 2026, 12, 24, 10, 0), MADRID)
    assert not is_open([schedule], at_local(MADRID, 2026, 12, 25, 10, 0), MADRID)


def test_an_excluded_time_range_closes_part_of_the_day() -> None:
    lunch = Schedule(time_ranges=[(time(13), time(14))])
    schedule = OFFICE.model_copy(update={"excluded": lunch})
    assert is_open([schedule], at_local(MADRID, 2026, 3, 2, 12, 59), MADRID)
    assert not is_open([schedule], at_local(MADRID, 2026, 3, 2, 13, 30), MADRID)
    assert is_open([schedule], at_local(MADRID, 2026, 3, 2, 14, 0), MADRID)


def test_rrule_every_other_monday_counts_from_2000_01_03() -> None:
    schedule = Schedule(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO")
    monday = date(2026, 1, 5)
    for week in range(60):
        day = monday + timedelta(weeks=week)
        expected = (day - rules.DEFAULT_DTSTART.date()).days // 7 % 2 == 0
        assert is_open([schedule], at_local(MADRID, day.year, day.month, day.day, 12), MADRID) is (
            expected
        )
        tuesday = day + timedelta(days=1)
        assert not is_open([schedule], at_local(MADRID, *tuesday.timetuple()[:3], 12), MADRID)


def test_rrule_dtstart_in_the_string_sets_the_phase() -> None:
    schedule = Schedule(rrule="DTSTART:20260112\nRRULE:FREQ=WEEKLY;INTERVAL=2")
    assert not is_open([schedule], at_local(MADRID, 2025, 12, 29, 12), MADRID)  # before DTSTART
    assert is_open([schedule], at_local(MADRID, 2026, 1, 12, 12), MADRID)
    assert not is_open([schedule], at_local(MADRID, 2026, 1, 19, 12), MADRID)
    assert is_open([schedule], at_local(MADRID, 2026, 1, 26, 12), MADRID)


def test_the_same_instant_is_open_in_one_zone_and_closed_in_another() -> None:
    schedule = Schedule(time_ranges=[(time(9), time(17))])
    instant = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 10:00 in Madrid, 04:00 in New York
    assert is_open([schedule], instant, MADRID)
    assert not is_open([schedule], instant, NEW_YORK)


def test_no_schedules_or_an_empty_one_is_always_open_and_any_match_suffices() -> None:
    instant = datetime(2026, 3, 7, 12, tzinfo=UTC)  # a Saturday
    assert is_open([], instant, MADRID)
    assert is_open([Schedule()], instant, MADRID)
    assert not is_open([OFFICE], instant, MADRID)
    assert is_open([OFFICE, Schedule(days_of_week=[5])], instant, MADRID)


def test_an_empty_exclusion_excludes_nothing() -> None:
    schedule = Schedule.model_validate({"days_of_week": [5], "excluded": {}})
    assert schedule.excluded is None
    assert is_open([schedule], datetime(2026, 3, 7, 12, tzinfo=UTC), MADRID)


def test_the_users_own_example_validates() -> None:
    schedule = Schedule.model_validate(
        {
            "months_of_year": [5, 7, 11],
            "days_of_week": [0, 1],
            "dates": ["2026-12-24"],
            "times": ["02:00:00"],
            "date_ranges": [["2026-12-01", "2026-12-31"]],
            "time_ranges": [["12:00:00", "02:00:00"]],
            "excluded": {"dates": ["2026-12-25"]},
        }
    )
    assert schedule.time_ranges == [(time(12), time(2))]
    assert schedule.excluded == Schedule(dates=[date(2026, 12, 25)])


@pytest.mark.parametrize(
    "call",
    [
        lambda at: is_open([OFFICE], at, MADRID),
        lambda at: previous_instant(OFFICE, at, MADRID),
        lambda at: next_instant(OFFICE, at, MADRID),
        lambda at: period_bounds(OFFICE, at, MADRID),
        lambda at: count_instants(OFFICE, at, at, MADRID),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[datetime], object]) -> None:
    with pytest.raises(ValueError, match="naive"):
        call(datetime(2026, 1, 1))


# --- Recurrences ----------------------------------------------------------------------------


@pytest.mark.parametrize("tz", [MADRID, NEW_YORK, SANTIAGO], ids=str)
def test_daily_midnight_reset_has_one_instant_per_local_day_across_dst(tz: ZoneInfo) -> None:
    daily = Schedule(times=[time(0)])
    start, end = at_local(tz, 2025, 12, 31, 12), at_local(tz, 2026, 12, 31, 12)
    instants = walk(daily, start, end, tz)
    local_days = [instant.astimezone(tz).date() for instant in instants]
    assert local_days == [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    gaps = {later - earlier for earlier, later in itertools.pairwise(instants)}
    assert gaps == {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}
    assert count_instants(daily, start, end, tz) == 365
    assert all(previous_instant(daily, instant, tz) == instant for instant in instants)


def test_a_nonexistent_midnight_happens_when_the_clocks_jump() -> None:
    # Chile moves from 00:00 straight to 01:00 on 2026-09-06.
    daily = Schedule(times=[time(0)])
    instant = next_instant(daily, at_local(SANTIAGO, 2026, 9, 5, 12), SANTIAGO)
    assert instant == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert instant.astimezone(SANTIAGO).time() == time(1)


def test_weekly_monday_reset_period_across_the_spring_forward_weekend() -> None:
    weekly = Schedule(days_of_week=[0])
    start, end = period_bounds(weekly, at_local(MADRID, 2026, 3, 25, 12), MADRID)
    assert start == at_local(MADRID, 2026, 3, 23, 0) == datetime(2026, 3, 22, 23, tzinfo=UTC)
    assert end == at_local(MADRID, 2026, 3, 30, 0) == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert end - start == timedelta(days=7, hours=-1)


def test_a_period_starts_at_its_instant_inclusive() -> None:
    weekly = Schedule(days_of_week=[0])
    monday = at_local(MADRID, 2026, 3, 23, 0)
    assert period_bounds(weekly, monday, MADRID) == (monday, at_local(MADRID, 2026, 3, 30, 0))
    before = monday - timedelta(microseconds=1)
    assert period_bounds(weekly, before, MADRID) == (at_local(MADRID, 2026, 3, 16, 0), monday)


@pytest.mark.parametrize(
    ("rule", "at", "expected"),
    [
        ("FREQ=MONTHLY;BYMONTHDAY=1", (2026, 1, 31, 23, 59), (2026, 2, 1, 0, 0)),
        ("FREQ=MONTHLY;BYMONTHDAY=1", (2026, 2, 1, 0, 0), (2026, 3, 1, 0, 0)),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", (2026, 2, 1, 0, 0), (2026, 2, 28, 0, 0)),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", (2028, 2, 1, 0, 0), (2028, 2, 29, 0, 0)),
    ],
)
def test_monthly_reset(rule: str, at: tuple[int, ...], expected: tuple[int, ...]) -> None:
    monthly = Schedule(rrule=rule)
    assert next_instant(monthly, at_local(MADRID, *at), MADRID) == at_local(MADRID, *expected)


def test_monthly_reset_on_the_first_happens_twelve_times_a_year() -> None:
    monthly = Schedule(rrule="FREQ=MONTHLY;BYMONTHDAY=1")
    start, end = at_local(NEW_YORK, 2026, 1, 1, 0), at_local(NEW_YORK, 2027, 1, 1, 0)
    instants = walk(monthly, start, end, NEW_YORK)
    assert [i.astimezone(NEW_YORK).month for i in instants] == [*range(2, 13), 1]
    assert count_instants(monthly, start, end, NEW_YORK) == 12


def test_leap_day_only_in_leap_years() -> None:
    leap_day = Schedule(rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29")
    assert next_instant(leap_day, at_local(MADRID, 2025, 1, 1), MADRID) == at_local(
        MADRID, 2028, 2, 29
    )
    start, end = at_local(MADRID, 2000, 1, 1), at_local(MADRID, 2040, 12, 31)
    years = [i.astimezone(MADRID).year for i in walk(leap_day, start, end, MADRID)]
    assert years == list(range(2000, 2041, 4))
    assert count_instants(leap_day, start, end, MADRID) == 11
    with pytest.raises(ValidationError):
        Schedule.model_validate({"dates": ["2027-02-29"]})


def test_explicit_leap_dates() -> None:
    schedule = Schedule(dates=[date(2028, 2, 29)], times=[time(12)])
    assert next_instant(schedule, at_local(MADRID, 2028, 2, 28), MADRID) == at_local(
        MADRID, 2028, 2, 29, 12
    )


def test_a_time_that_does_not_exist_happens_at_the_jump_exactly_once() -> None:
    # Madrid jumps from 02:00 to 03:00 on 2026-03-29.
    schedule = Schedule(times=[time(2, 30)])
    instants = walk(schedule, at_local(MADRID, 2026, 3, 28), at_local(MADRID, 2026, 3, 31), MADRID)
    assert [i.astimezone(MADRID).replace(tzinfo=None) for i in instants] == [
        datetime(2026, 3, 28, 2, 30),
        datetime(2026, 3, 29, 3, 0),
        datetime(2026, 3, 30, 2, 30),
    ]
    assert instants[1] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    day = (at_local(MADRID, 2026, 3, 29, 0), at_local(MADRID, 2026, 3, 30, 0))
    assert count_instants(schedule, *day, MADRID) == 1
    # 02:30 and 03:00 are the same moment that night: it happens once.
    both = Schedule(times=[time(2, 30), time(3)])
    assert count_instants(both, *day, MADRID) == 1


def test_an_ambiguous_time_happens_once_at_its_first_occurrence() -> None:
    # Madrid goes back from 03:00 to 02:00 on 2026-10-25: 02:30 happens twice.
    schedule = Schedule(times=[time(2, 30)])
    day = (at_local(MADRID, 2026, 10, 25, 0), at_local(MADRID, 2026, 10, 26, 0))
    assert walk(schedule, *day, MADRID) == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]
    assert count_instants(schedule, *day, MADRID) == 1


def test_samoa_skipped_day_gives_no_repeated_instant() -> None:
    # 2011-12-30 never happened in Apia: its midnight is the same moment as the 31st's.
    daily = Schedule(times=[time(0)])
    instants = walk(daily, at_local(APIA, 2011, 12, 28, 12), at_local(APIA, 2012, 1, 2, 12), APIA)
    assert [i.astimezone(APIA).date() for i in instants] == [
        date(2011, 12, 29),
        date(2011, 12, 31),
        date(2012, 1, 1),
        date(2012, 1, 2),
    ]


def test_an_empty_schedule_never_resets() -> None:
    at = datetime(2026, 3, 25, 12, tzinfo=UTC)
    assert period_bounds(Schedule(), at, MADRID) == (None, None)
    assert count_instants(Schedule(), at, at + timedelta(days=3650), MADRID) == 0


def test_time_ranges_are_ignored_by_recurrences_and_times_by_windows() -> None:
    schedule = Schedule(time_ranges=[(time(9), time(17))], times=[time(6)])
    at = at_local(MADRID, 2026, 3, 2, 12)
    assert next_instant(schedule, at, MADRID) == at_local(MADRID, 2026, 3, 3, 6)
    assert not is_open([schedule], at_local(MADRID, 2026, 3, 2, 6), MADRID)


def test_excluded_days_are_skipped() -> None:
    schedule = Schedule(times=[time(8)], excluded=Schedule(days_of_week=[5, 6]))
    friday = at_local(MADRID, 2026, 3, 6, 9)
    assert next_instant(schedule, friday, MADRID) == at_local(MADRID, 2026, 3, 9, 8)
    assert previous_instant(schedule, friday, MADRID) == at_local(MADRID, 2026, 3, 6, 8)


def test_search_stops_about_five_years_away() -> None:
    schedule = Schedule(dates=[date(2040, 1, 1)])
    assert next_instant(schedule, at_local(MADRID, 2026, 1, 1), MADRID) is None
    assert next_instant(schedule, at_local(MADRID, 2036, 1, 1), MADRID) == at_local(
        MADRID, 2040, 1, 1
    )
    assert previous_instant(schedule, at_local(MADRID, 2046, 1, 1), MADRID) is None
    assert previous_instant(schedule, at_local(MADRID, 2044, 1, 1), MADRID) == at_local(
        MADRID, 2040, 1, 1
    )


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule(months_of_year=[2], date_ranges=[(date(2026, 3, 1), date(2026, 3, 31))]),
        Schedule(times=[time(h) for h in range(24)], excluded=Schedule(days_of_week=[*range(7)])),
        Schedule(rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", months_of_year=[3]),
        # Valid filters emptied by BYSETPOS: dateutil scans to year 9999 once, then it's cached.
        Schedule(rrule="FREQ=MONTHLY;BYMONTHDAY=1;BYSETPOS=2"),
    ],
)
def test_a_schedule_matching_nothing_ends_its_search(schedule: Schedule) -> None:
    # The searches are bounded (SEARCH_DAYS, MAX_STEPS), so they end with "none" rather than
    # looping; how fast they end is the benchmark's business, not a test's.
    at = datetime(2026, 3, 25, 12, tzinfo=UTC)
    assert period_bounds(schedule, at, MADRID) == (None, None)
    assert count_instants(schedule, at, at + timedelta(days=3650), MADRID) == 0


def test_counting_ten_years_of_daily_renewals() -> None:
    daily = Schedule(times=[time(0)])
    start, end = at_local(MADRID, 2026, 1, 1, 12), at_local(MADRID, 2036, 1, 1, 12)
    assert count_instants(daily, start, end, MADRID) == 3652


def test_count_saturates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_COUNT", 10)
    daily = Schedule(times=[time(0)])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert count_instants(daily, start, start + timedelta(days=100), MADRID) == 10


def test_counting_too_much_work_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_STEPS", 1000)
    hourly = Schedule(times=[time(h) for h in range(24)], excluded=Schedule(months_of_year=[1]))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="candidate instants"):
        count_instants(hourly, start, start + timedelta(days=300), MADRID)
    with pytest.raises(ValueError, match="too long"):
        count_instants(hourly, start, start + timedelta(days=3000), MADRID)


def test_an_empty_interval_counts_nothing() -> None:
    daily = Schedule(times=[time(0)])
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert count_instants(daily, at, at, MADRID) == 0
    assert count_instants(daily, at + timedelta(days=5), at, MADRID) == 0


# --- Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"months_of_year": [0]}, "months must be 1"),
        ({"months_of_year": [13]}, "months must be 1"),
        ({"days_of_week": [7]}, "days of week must be 0"),
        ({"days_of_week": [-1]}, "days of week must be 0"),
        ({"date_ranges": [["2026-12-31", "2026-12-01"]]}, "ends before it starts"),
        ({"time_ranges": [["09:00", "09:00"]]}, "is empty"),
        ({"times": ["10:00:00+01:00"]}, "wall-clock"),
        # Forms the parser took but the documented pattern (HH:MM[:SS[.ffffff]]) does not.
        ({"times": ["10:00:00,5"]}, "wall-clock"),
        ({"times": ["10:00:00.1234567"]}, "wall-clock"),
        ({"time_ranges": [["8:00", "10:00"]]}, "wall-clock"),
        ({"rrule": "FREQ=FOO"}, "invalid rrule"),
        ({"rrule": ""}, "invalid rrule"),
        ({"rrule": "nonsense"}, "invalid rrule"),
        ({"rrule": "DTSTART:20260112"}, "invalid rrule"),
        ({"rrule": "FREQ=DAILY;BYSETPOS=0"}, "invalid rrule"),
        ({"rrule": "FREQ=DAILY\nEXDATE:20260101"}, "single RRULE"),
        ({"rrule": "FREQ=HOURLY"}, "selects dates"),
        ({"rrule": "FREQ=DAILY;BYHOUR=3"}, "times of day"),
        ({"rrule": "FREQ=DAILY;INTERVAL=0"}, "INTERVAL"),
        ({"rrule": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"}, "never matches"),
        ({"rrule": "FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31"}, "never matches"),
        ({"rrule": "FREQ=WEEKLY;COUNT=3;UNTIL=20270101"}, "COUNT and UNTIL"),
        ({"rrule": "DTSTART;TZID=Europe/Madrid:20260101T000000\nRRULE:FREQ=DAILY"}, "TZID"),
        ({"rrule": "FREQ=DAILY;" + "BYMONTHDAY=1;" * 100}, "at most 1000"),
        ({"months_of_year": [1] * 367}, "at most 366"),
        ({"excluded": {"times": ["10:00"]}}, "excluded.times"),
        ({"excluded": {"months_of_year": [13]}}, "months must be 1"),
        ({"weekdays": [1]}, "Extra inputs are not permitted"),
        ({"excluded": {"holidays": []}}, "Extra inputs are not permitted"),
    ],
)
def test_validation_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Schedule.model_validate(data)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR",
        "freq=yearly;bymonth=12;bymonthday=24",
        "DTSTART:20260101T100000\nRRULE:FREQ=DAILY;COUNT=10",
        "FREQ=WEEKLY;UNTIL=20270101T000000Z",
        "DTSTART:20260131\nRRULE:FREQ=DAILY;BYMONTH=2",  # DTSTART's day is not a filter
        "FREQ=YEARLY;BYYEARDAY=366",
        "FREQ=YEARLY;BYEASTER=-2",
    ],
)
def test_valid_rrules(rule: str) -> None:
    assert Schedule(rrule=rule).rrule == rule


# --- Properties -----------------------------------------------------------------------------

RULES = [
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
    "FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=MONTHLY;BYDAY=-1FR",
]
instants_st = st.datetimes(datetime(2000, 1, 1), datetime(2040, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)
# Whole minutes, with the DST-prone small hours well represented.
times_st = st.builds(
    time, st.one_of(st.integers(0, 3), st.integers(0, 23)), st.sampled_from([0, 15, 30, 45])
)
time_ranges_st = st.tuples(times_st, times_st).filter(lambda pair: pair[0] != pair[1])


def maybe(strategy: st.SearchStrategy[list[object]]) -> st.SearchStrategy[list[object]]:
    """Mostly empty lists, so that random schedules still match something."""
    return st.one_of(st.just([]), st.just([]), strategy)


@st.composite
def schedules_near(draw: st.DrawFn, around: date, excluded: bool = True) -> Schedule:
    """A random schedule whose dates fall within two years of ``around``."""
    dates_st = st.dates(around - timedelta(days=730), around + timedelta(days=730))
    ranges_st = st.tuples(dates_st, st.integers(0, 400)).map(
        lambda pair: (pair[0], pair[0] + timedelta(days=pair[1]))
    )
    return Schedule(
        months_of_year=draw(maybe(st.lists(st.integers(1, 12), min_size=1, max_size=6))),
        days_of_week=draw(maybe(st.lists(st.integers(0, 6), min_size=1, max_size=4))),
        dates=draw(maybe(st.lists(dates_st, min_size=1, max_size=5))),
        date_ranges=draw(maybe(st.lists(ranges_st, min_size=1, max_size=2))),
        times=[] if not excluded else draw(maybe(st.lists(times_st, min_size=1, max_size=3))),
        time_ranges=draw(maybe(st.lists(time_ranges_st, min_size=1, max_size=2))),
        rrule=draw(st.none() | st.sampled_from(RULES)),
        excluded=draw(st.none() | schedules_near(around, excluded=False)) if excluded else None,
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[ZoneInfo, datetime, Schedule]:
    at = draw(instants_st)
    return draw(st.sampled_from(ZONES)), at, draw(schedules_near(at.date()))


@functools.cache
def rule_dates(rule: str) -> frozenset[date]:
    """A rule's dates straight from dateutil, independently of the module's own cache."""
    occurrences = rrulestr(rule, dtstart=datetime(2000, 1, 3), ignoretz=True)
    return frozenset(
        occurrence.date()
        for occurrence in itertools.takewhile(lambda o: o.year <= 2046, occurrences)
    )


def brute_date_matches(schedule: Schedule, day: date) -> bool:
    if schedule.months_of_year and day.month not in schedule.months_of_year:
        return False
    if schedule.days_of_week and day.weekday() not in schedule.days_of_week:
        return False
    listed = day in schedule.dates or any(a <= day <= b for a, b in schedule.date_ranges)
    if (schedule.dates or schedule.date_ranges) and not listed:
        return False
    return schedule.rrule is None or day in rule_dates(schedule.rrule)


def brute_open(schedule: Schedule, local: datetime) -> bool:
    day, now = local.date(), local.time()
    if not schedule.time_ranges:
        inside = brute_date_matches(schedule, day)
    else:
        inside = False
        for start, end in schedule.time_ranges:
            if start < end:
                inside |= start <= now < end and brute_date_matches(schedule, day)
            else:
                inside |= now >= start and brute_date_matches(schedule, day)
                inside |= now < end and brute_date_matches(schedule, day - timedelta(days=1))
    excluded = schedule.excluded is not None and brute_open(schedule.excluded, local)
    return inside and not excluded


def brute_instants(schedule: Schedule, tz: ZoneInfo, first: date, last: date) -> list[datetime]:
    """Instants by the definition, moving nonexistent times a minute at a time to the jump."""
    if not schedule.model_dump(exclude_defaults=True):
        return []  # an empty schedule never recurs
    found = set()
    day = first
    while day <= last:
        if brute_date_matches(schedule, day):
            for moment in schedule.times or [time(0)]:
                local = datetime.combine(day, moment)
                if schedule.excluded is not None and brute_open(schedule.excluded, local):
                    continue
                wall = local
                while True:
                    instant = wall.replace(tzinfo=tz).astimezone(UTC)
                    if instant.astimezone(tz).replace(tzinfo=None) == wall:
                        break
                    wall += timedelta(minutes=1)
                found.add(instant)
        day += timedelta(days=1)
    return sorted(found)


@PROPERTY
@given(cases())
def test_previous_and_next_bracket_the_instant_with_nothing_between(
    case: tuple[ZoneInfo, datetime, Schedule],
) -> None:
    tz, at, schedule = case
    before, after = period_bounds(schedule, at, tz)
    if before is not None:
        assert before <= at
        assert count_instants(schedule, before - timedelta(seconds=1), before, tz) == 1
    if after is not None:
        assert at < after
        assert count_instants(schedule, at, after, tz) == 1
    if before is not None and after is not None:
        assert count_instants(schedule, before, after, tz) == 1
        if after - before < timedelta(days=4 * 365):  # both within next_instant's search
            assert next_instant(schedule, before, tz) == after


@PROPERTY
@given(cases())
def test_previous_and_next_agree_with_the_definition(
    case: tuple[ZoneInfo, datetime, Schedule],
) -> None:
    tz, at, schedule = case
    today = at.astimezone(tz).date()
    week = timedelta(days=7)
    # All instants within a week of `at` come from local days within ten days of it.
    brute = brute_instants(schedule, tz, today - timedelta(days=10), today + timedelta(days=10))
    later = [i for i in brute if at < i <= at + week]
    found = next_instant(schedule, at, tz)
    if later:
        assert found == later[0]
    else:
        assert found is None or found > at + week
    earlier = [i for i in brute if at - week <= i <= at]
    found = previous_instant(schedule, at, tz)
    if earlier:
        assert found == earlier[-1]
    else:
        assert found is None or found < at - week


@PROPERTY
@given(cases(), st.integers(0, 600 * 24 * 60), st.integers(0, 600 * 24 * 60))
def test_count_is_additive_over_split_intervals(
    case: tuple[ZoneInfo, datetime, Schedule], first_minutes: int, second_minutes: int
) -> None:
    tz, start, schedule = case
    middle = start + timedelta(minutes=first_minutes)
    end = middle + timedelta(minutes=second_minutes)
    whole = count_instants(schedule, start, end, tz)
    assert whole == count_instants(schedule, start, middle, tz) + count_instants(
        schedule, middle, end, tz
    )


@PROPERTY
@given(cases())
def test_is_open_matches_the_definition_on_the_local_wall_time(
    case: tuple[ZoneInfo, datetime, Schedule],
) -> None:
    tz, at, schedule = case
    local = at.astimezone(tz).replace(tzinfo=None)
    assert is_open([schedule], at, tz) is brute_open(schedule, local)


@PROPERTY
@given(
    st.sampled_from(ZONES),
    st.dates(date(2000, 1, 1), date(2040, 12, 31)),
    st.integers(0, 6),
    time_ranges_st.filter(lambda pair: pair[1] < pair[0]),
    times_st,
)
def test_ranges_crossing_midnight_belong_to_the_day_they_start(
    tz: ZoneInfo, day: date, weekday: int, time_range: tuple[time, time], moment: time
) -> None:
    start, end = time_range
    schedule = Schedule(days_of_week=[weekday], time_ranges=[time_range])
    wall = datetime.combine(day, moment)
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    assume(instant.astimezone(tz).replace(tzinfo=None) == wall)  # the wall time exists in tz
    starts_today = day.weekday() == weekday
    started_yesterday = (day - timedelta(days=1)).weekday() == weekday
    expected = (moment >= start and starts_today) or (moment < end and started_yesterday)
    assert is_open([schedule], instant, tz) is expected
