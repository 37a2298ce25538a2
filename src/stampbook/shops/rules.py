"""Pure rules of shops: opening hours and the ordering of a shop's rewards and programs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from stampbook.core.zones import zone
from stampbook.schedules.rules import Schedule, is_open


def schedules_of(stored: Iterable[dict[str, Any]]) -> list[Schedule]:
    return [Schedule.model_validate(item) for item in stored]


def is_open_at(stored: Iterable[dict[str, Any]], time_zone: str, at: datetime) -> bool:
    """Whether a shop with this availability schedule is open at ``at`` (its local time)."""
    return is_open(schedules_of(stored), at, zone(time_zone))


def foreign_ids(wanted: Iterable[int], own: Iterable[int]) -> list[int]:
    """The ids of ``wanted`` that are not among ``own``, in their order."""
    owned = set(own)
    return [item for item in wanted if item not in owned]


def ordered(existing: list[int], wanted: Iterable[int]) -> list[int]:
    """``existing`` followed by the ids of ``wanted`` it does not hold yet, in their order."""
    seen = set(existing)
    result = list(existing)
    for item in wanted:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def arranged(ids: Iterable[int], order: Iterable[int]) -> list[int]:
    """``ids`` in a shop's display ``order``: those it lists first, in its order, then the
    others in the order they came."""
    wanted = list(dict.fromkeys(ids))
    present = set(wanted)
    first = [item for item in dict.fromkeys(order) if item in present]
    placed = set(first)
    return [*first, *(item for item in wanted if item not in placed)]


def _weekly(schedule: Schedule) -> bool:
    """Plain weekly hours: days of the week and times of day, nothing else."""
    return bool(schedule.time_ranges) and not (
        schedule.months_of_year
        or schedule.dates
        or schedule.date_ranges
        or schedule.times
        or schedule.rrule
        or schedule.excluded
    )


def hours_in_zone(
    stored: Iterable[dict[str, Any]], time_zone: str, other_zone: str, today: date
) -> list[Schedule] | None:
    """A shop's opening hours on the clocks of ``other_zone`` (a viewer's), as they fall in
    the week of ``today``: each opening moved to the day and time it is there, one schedule
    per set of days. None when one of the schedules is more than weekly hours (dates,
    months, rules, exceptions, all-day openings), which no weekly table can say in another
    zone; ``[]`` for a shop always open."""
    source, target = zone(time_zone), zone(other_zone)
    monday = today - timedelta(days=today.weekday())
    moved: dict[tuple[time, time], set[int]] = {}
    for schedule in schedules_of(stored):
        if not _weekly(schedule):
            return None
        for day in schedule.days_of_week or range(7):
            for start, end in schedule.time_ranges:
                on = monday + timedelta(days=day)
                closes_on = on + timedelta(days=1) if end < start else on  # crosses midnight
                there = datetime.combine(on, start, tzinfo=source).astimezone(target)
                closing = datetime.combine(closes_on, end, tzinfo=source).astimezone(target)
                if there.time() == closing.time():
                    return None
                moved.setdefault((there.time(), closing.time()), set()).add(there.weekday())
    by_days: dict[tuple[int, ...], list[tuple[time, time]]] = {}
    for times, days in moved.items():
        by_days.setdefault(tuple(sorted(days)), []).append(times)
    every_day = tuple(range(7))
    return [
        Schedule(days_of_week=[] if days == every_day else list(days), time_ranges=sorted(ranges))
        for days, ranges in sorted(by_days.items())
    ]
