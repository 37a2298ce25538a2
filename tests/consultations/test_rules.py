"""The consultations' rules without a database: a weekly schedule cut into slots in the
host's zone across DST changes (a slot keeps its local time; a skipped time is no slot, a
repeated one is one slot), days off, booked slots, the member's cancellation deadline; and
hypothesis checking that every slot lies in the schedule, on no day off, never overlapping."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stampbook.consultations import rules
from stampbook.consultations.rules import Schedule, ScheduleProblem, Slot, WeeklyRange

MADRID = "Europe/Madrid"


def _local(slot: Slot, zone: str) -> datetime:
    return slot.starts_at.astimezone(ZoneInfo(zone))


def test_a_weekly_slot_keeps_its_local_time_across_the_change_to_summer_time() -> None:
    # Every Sunday 09:00 in Madrid: the clocks go forward on Sunday 2026-03-29.
    schedule = Schedule(MADRID, (WeeklyRange(6, time(9), time(10)),), slot_minutes=60)
    found = rules.slots(
        schedule, datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC)
    )
    assert [s.starts_at for s in found] == [
        datetime(2026, 3, 22, 8, tzinfo=UTC),  # UTC+1
        datetime(2026, 3, 29, 7, tzinfo=UTC),  # UTC+2
        datetime(2026, 4, 5, 7, tzinfo=UTC),
    ]
    assert {_local(s, MADRID).time() for s in found} == {time(9)}


def test_a_time_the_clocks_skip_is_no_slot_and_a_repeated_one_is_one() -> None:
    night = (WeeklyRange(6, time(1), time(4)),)
    schedule = Schedule(MADRID, night, slot_minutes=30)
    spring = rules.slots(
        schedule, datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 29, 12, tzinfo=UTC)
    )
    # 02:00-02:59 do not exist on that night: 01:00, 01:30, 03:00, 03:30.
    assert [_local(s, MADRID).strftime("%H:%M") for s in spring] == [
        "01:00", "01:30", "03:00", "03:30",
    ]  # fmt: skip
    autumn = rules.slots(
        schedule, datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 25, 12, tzinfo=UTC)
    )
    # 02:00-02:59 happen twice on 2026-10-25: one slot each, the first time.
    local = [_local(s, MADRID).strftime("%H:%M") for s in autumn]
    assert local == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert all(b.starts_at >= a.ends_at for a, b in pairwise(autumn))


def test_slots_never_overlap_where_the_clocks_jump() -> None:
    # 45-minute slots from 01:30: 01:30 ends at 03:15 (the clocks skip 02:00-03:00), so the
    # 03:00 slot would overlap it; the next is 03:45.
    schedule = Schedule(MADRID, (WeeklyRange(6, time(1, 30), time(5)),), slot_minutes=45)
    spring = rules.slots(
        schedule, datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 29, 12, tzinfo=UTC)
    )
    assert [_local(s, MADRID).strftime("%H:%M") for s in spring] == ["01:30", "03:45"]


def test_days_off_and_booked_slots_are_not_free() -> None:
    schedule = Schedule(
        MADRID,
        tuple(WeeklyRange(day, time(9), time(11)) for day in range(7)),
        slot_minutes=50,
        buffer_minutes=10,
        days_off=frozenset({date(2030, 7, 2)}),
    )
    found = rules.slots(
        schedule, datetime(2030, 7, 1, tzinfo=UTC), datetime(2030, 7, 4, tzinfo=UTC)
    )
    days = sorted({_local(s, MADRID).date() for s in found})
    assert days == [date(2030, 7, 1), date(2030, 7, 3)]
    booked = [(found[0].starts_at + timedelta(minutes=20), found[0].ends_at + timedelta(hours=1))]
    assert rules.free(found, booked) == found[2:]


@pytest.mark.parametrize(
    "rows",
    [
        [{"day": 7, "start": "09:00", "end": "10:00"}],
        [{"day": 1, "start": "10:00", "end": "09:00"}],
        [{"day": 1, "start": "9:00", "end": "10:00"}],
        [{"day": True, "start": "09:00", "end": "10:00"}],
    ],
)
def test_bad_weekly_hours(rows: list[dict[str, object]]) -> None:
    with pytest.raises(ScheduleProblem) as problem:
        rules.weekly_ranges(rows)
    assert problem.value.code == "schedule_invalid"


def test_overlapping_hours_of_a_day() -> None:
    rows = [
        {"day": 2, "start": "09:00", "end": "12:00"},
        {"day": 2, "start": "11:59", "end": "13:00"},
    ]
    with pytest.raises(ScheduleProblem) as problem:
        rules.weekly_ranges(rows)
    assert problem.value.code == "schedule_overlap"
    until_midnight = rules.weekly_ranges([{"day": 4, "start": "22:00", "end": "24:00"}])
    assert rules.stored_ranges(until_midnight) == [{"day": 4, "start": "22:00", "end": "24:00"}]


def test_the_members_cancellation_deadline() -> None:
    start = datetime(2030, 1, 2, 10, tzinfo=UTC)
    assert rules.member_may_cancel(start, start - timedelta(hours=24), 24)
    assert not rules.member_may_cancel(start, start - timedelta(hours=23), 24)
    assert rules.member_may_cancel(start, start, 0)


ZONES = [
    "Europe/Madrid",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    ranges = []
    for day in range(7):
        if draw(st.booleans()):
            start = draw(st.integers(0, 22 * 60))
            end = draw(st.integers(start + 5, 24 * 60))
            ranges.append(
                WeeklyRange(
                    day,
                    time(start // 60, start % 60),
                    None if end == 24 * 60 else time(end // 60, end % 60),
                )
            )
    first = date(2026, 1, 1)
    days_off = draw(st.frozensets(st.integers(0, 400).map(lambda n: first + timedelta(days=n))))
    return Schedule(
        draw(st.sampled_from(ZONES)),
        tuple(ranges),
        slot_minutes=draw(st.integers(5, 240)),
        buffer_minutes=draw(st.integers(0, 60)),
        days_off=days_off,
    )


@settings(max_examples=150, deadline=None)
@given(
    schedules(),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
    st.integers(1, 20),
)
def test_every_slot_lies_in_the_schedule_on_no_day_off(
    schedule: Schedule, since_naive: datetime, days: int
) -> None:
    since = since_naive.replace(tzinfo=UTC)
    until = since + timedelta(days=days)
    zone = ZoneInfo(schedule.zone)
    found = rules.slots(schedule, since, until)
    assert found == sorted(found)
    for slot in found:
        assert since <= slot.starts_at < until
        assert slot.ends_at - slot.starts_at == timedelta(minutes=schedule.slot_minutes)
        local = slot.starts_at.astimezone(zone)
        assert local.date() not in schedule.days_off
        minute = local.hour * 60 + local.minute
        assert any(
            r.day == local.weekday() and r.minutes[0] <= minute < r.minutes[1]
            for r in schedule.ranges
        )
    for earlier, later in pairwise(found):
        assert earlier.ends_at <= later.starts_at
    # Free slots never overlap what is booked.
    booked = [(s.starts_at, s.ends_at) for s in found[::2]]
    for slot in rules.free(found, booked):
        assert all(not (a < slot.ends_at and slot.starts_at < b) for a, b in booked)
