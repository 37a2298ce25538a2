"""The consultations' arithmetic, without a database: a host's weekly schedule cut into
slots in the host's time zone (DST-correct: a slot keeps its local wall-clock time; a local
time the clocks skip is no slot, and one they repeat is one slot, its first), less the days
off and the booked slots; and when a member may still cancel.

Times of the week are local wall-clock times of the host's zone; instants are aware UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

MAX_RANGE_DAYS = 62  # the widest window of slots asked at once
MAX_RANGES = 28  # weekly ranges of one host
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")


class ScheduleProblem(ValueError):
    """A schedule that cannot be: its ``code`` is the API's problem."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class WeeklyRange:
    """Open hours on one day of the week (0 Monday ... 6 Sunday), local ``start`` to ``end``
    (``end`` None: midnight, the day's end)."""

    day: int
    start: time
    end: time | None

    @property
    def minutes(self) -> tuple[int, int]:
        end = 24 * 60 if self.end is None else self.end.hour * 60 + self.end.minute
        return self.start.hour * 60 + self.start.minute, end


@dataclass(frozen=True)
class Schedule:
    zone: str
    ranges: tuple[WeeklyRange, ...]
    slot_minutes: int
    buffer_minutes: int = 0
    days_off: frozenset[date] = frozenset()


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime


def parse_hhmm(text: str) -> time | None:
    """``"09:30"`` -> 09:30; ``"24:00"`` -> None (the day's end). Raises ScheduleProblem."""
    if _HHMM.fullmatch(text) is None:
        raise ScheduleProblem("schedule_invalid")
    if text == "24:00":
        return None
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def hhmm(moment: time | None) -> str:
    return "24:00" if moment is None else moment.strftime("%H:%M")


def weekly_ranges(rows: Iterable[dict[str, object]]) -> tuple[WeeklyRange, ...]:
    """The stored form (``[{"day": 0, "start": "09:00", "end": "12:00"}]``) read and checked:
    each range starts before it ends, and no two of one day overlap."""
    ranges: list[WeeklyRange] = []
    for row in rows:
        day = row.get("day")
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
            raise ScheduleProblem("schedule_invalid")
        start = parse_hhmm(str(row.get("start", "")))
        if start is None:
            raise ScheduleProblem("schedule_invalid")
        ranges.append(WeeklyRange(day, start, parse_hhmm(str(row.get("end", "")))))
    if len(ranges) > MAX_RANGES:
        raise ScheduleProblem("schedule_invalid")
    ranges.sort(key=lambda r: (r.day, r.minutes))
    for earlier, later in pairwise(ranges):
        if earlier.day == later.day and later.minutes[0] < earlier.minutes[1]:
            raise ScheduleProblem("schedule_overlap")
    for weekly in ranges:
        first, last = weekly.minutes
        if first >= last:
            raise ScheduleProblem("schedule_invalid")
    return tuple(ranges)


def stored_ranges(ranges: Sequence[WeeklyRange]) -> list[dict[str, object]]:
    return [{"day": r.day, "start": hhmm(r.start), "end": hhmm(r.end)} for r in ranges]


def _exists(local: datetime, zone: ZoneInfo) -> bool:
    """Whether a naive local wall-clock time happens in ``zone`` (not in a spring-forward
    gap): it survives the round trip through UTC."""
    there = local.replace(tzinfo=zone)
    return there.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local


def _day_slots(schedule: Schedule, day: date, zone: ZoneInfo) -> Iterator[Slot]:
    step = schedule.slot_minutes + schedule.buffer_minutes
    length = timedelta(minutes=schedule.slot_minutes)
    for weekly in schedule.ranges:
        if weekly.day != day.weekday():
            continue
        first, last = weekly.minutes
        minute = first
        while minute + schedule.slot_minutes <= last:
            local = datetime.combine(day, time()) + timedelta(minutes=minute)
            minute += step
            if not _exists(local, zone):
                continue  # the clocks skip this time: no slot
            # fold=0: of a time the clocks repeat, the first (one slot, not two).
            starts_at = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
            yield Slot(starts_at, starts_at + length)


def slots(schedule: Schedule, since: datetime, until: datetime) -> list[Slot]:
    """Every slot of the schedule starting in ``[since, until)``, in order."""
    zone = ZoneInfo(schedule.zone)
    first = since.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date() + timedelta(days=1)
    found: list[Slot] = []
    day = first
    while day <= last:
        if day not in schedule.days_off:
            found.extend(s for s in _day_slots(schedule, day, zone) if since <= s.starts_at < until)
        day += timedelta(days=1)
    kept: list[Slot] = []
    for slot in sorted(set(found)):
        # Where the clocks jump forward, a slot may run into the next one: the first stays.
        if not kept or kept[-1].ends_at <= slot.starts_at:
            kept.append(slot)
    return kept


def free(candidates: Sequence[Slot], taken: Iterable[tuple[datetime, datetime]]) -> list[Slot]:
    """The slots no taken interval overlaps (a booking made before the schedule changed may
    cover parts of two slots)."""
    busy = sorted(taken)
    return [
        slot
        for slot in candidates
        if not any(start < slot.ends_at and slot.starts_at < end for start, end in busy)
    ]


def member_may_cancel(starts_at: datetime, now: datetime, cancel_hours: int) -> bool:
    """A member cancels until ``cancel_hours`` before the start."""
    return now <= starts_at - timedelta(hours=cancel_hours)


def may_close(starts_at: datetime, now: datetime) -> bool:
    """Completed or a no-show: said once the session has begun."""
    return now >= starts_at
