"""One period model: the stretches of time that limits, frequencies and streaks count in (and
soon expiry, tiers and challenges), on the wall clock of an IANA time zone.

Two kinds, one shape (:class:`Period`: where it starts and when it resets, in UTC):

* a **calendar period**, the day, ISO week, month or year of a local date, numbered so that
  consecutive periods get consecutive numbers (:func:`period_index`, :func:`period_start`,
  :func:`local_midnight`): tasks' frequency limits and streaks;
* a **reset period**, from the latest reset instant of some schedules until the next one
  (:func:`reset_period`): rewards' per-period limits.

Nothing here needs a job to have run: a period is computed at the moment it is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from stampbook.schedules.rules import Schedule, next_instant, previous_instant


class TimeUnit(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class Period:
    """From ``start`` (None: since ever) until ``resets_at`` (None: never)."""

    start: datetime | None
    resets_at: datetime | None


# What counts since ever and never resets (most rewards' limits: a list asks this of each).
SINCE_EVER = Period(None, None)


def local_date(at: datetime, tz: ZoneInfo) -> date:
    """The calendar date on the wall clocks of ``tz`` at the instant ``at``."""
    if at.tzinfo is None:
        raise ValueError("pass an aware datetime")
    return at.astimezone(tz).date()


def period_index(day: date, unit: str) -> int:
    """Consecutive integers for consecutive days, ISO weeks, months or years."""
    if unit == TimeUnit.DAY:
        return day.toordinal()
    if unit == TimeUnit.WEEK:
        return (day.toordinal() - 1) // 7  # ordinal 1, 0001-01-01, is a Monday
    if unit == TimeUnit.MONTH:
        return day.year * 12 + day.month - 1
    if unit == TimeUnit.YEAR:
        return day.year
    raise ValueError(f"unknown time unit {unit!r}")


def period_start(index: int, unit: str) -> date:
    """The first local date of the period ``index`` (the inverse of :func:`period_index`)."""
    if unit == TimeUnit.DAY:
        return date.fromordinal(index)
    if unit == TimeUnit.WEEK:
        return date.fromordinal(index * 7 + 1)
    if unit == TimeUnit.MONTH:
        return date(index // 12, index % 12 + 1, 1)
    if unit == TimeUnit.YEAR:
        return date(index, 1, 1)
    raise ValueError(f"unknown time unit {unit!r}")


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``tz``.

    Where midnight itself is skipped by a DST jump, the day begins at the jump (zoneinfo
    reads a skipped time with the offset from before the jump).
    """
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def reset_period(schedules: Sequence[Schedule], at: datetime, tz: ZoneInfo) -> Period:
    """The period around ``at`` that the reset instants of ``schedules`` bound: from the
    latest of them (``<= at``) until the earliest next one; since ever without schedules."""
    if not schedules:
        return SINCE_EVER
    starts = [s for s in (previous_instant(x, at, tz) for x in schedules) if s is not None]
    ends = [e for e in (next_instant(x, at, tz) for x in schedules) if e is not None]
    return Period(max(starts, default=None), min(ends, default=None))
