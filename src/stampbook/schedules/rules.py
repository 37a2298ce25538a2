"""The shared ``Schedule`` type and the rules that evaluate it.

One shape is read in two ways:

* as a **window** ("is the shop open now?"): :func:`is_open`;
* as a **recurrence** ("when does the weekly limit reset?", "when does stock renew?"):
  :func:`previous_instant`, :func:`next_instant` and :func:`count_instants`; the periods
  between instants are ``stampbook.schedules.periods``.

Schedules are always evaluated on the wall clock of an IANA time zone, while every public
function takes and returns aware datetimes (results are in UTC), so callers never handle
local times themselves.

Limits, chosen so that user input cannot make a request slow:

* list fields hold at most :data:`MAX_ITEMS` items and ``rrule`` at most :data:`MAX_RRULE_LENGTH`
  characters;
* :func:`previous_instant` / :func:`next_instant` look at most :data:`SEARCH_DAYS` (about five
  years) away and return ``None`` beyond that;
* :func:`count_instants` saturates at :data:`MAX_COUNT` and refuses (``ValueError``) work beyond
  :data:`MAX_STEPS` candidate instants;
* an ``rrule`` is followed for its first :data:`MAX_RULE_OCCURRENCES` occurrences only (a daily
  rule starting in 2000 therefore stops matching after about 273 years).
"""

from __future__ import annotations

import array
import bisect
import functools
import heapq
import math
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

__all__ = [
    "DEFAULT_DTSTART",
    "MAX_COUNT",
    "MAX_ITEMS",
    "MAX_RRULE_LENGTH",
    "MAX_RULE_OCCURRENCES",
    "MAX_STEPS",
    "SEARCH_DAYS",
    "Schedule",
    "count_instants",
    "is_open",
    "local_to_utc",
    "next_instant",
    "parse_date_rule",
    "previous_instant",
]

MAX_ITEMS = 366
MAX_RRULE_LENGTH = 1000
SEARCH_DAYS = 5 * 366
MAX_COUNT = 100_000
MAX_STEPS = 500_000
MAX_RULE_OCCURRENCES = 100_000
#: A Monday, so that e.g. ``FREQ=WEEKLY;INTERVAL=2`` has a stable, documented phase.
DEFAULT_DTSTART = datetime(2000, 1, 3)

# A local date and the UTC instant of a time on it can be more than a day apart (UTC-12 to
# UTC+14, plus Samoa's skipped day), so scans start and end a few days beyond the target.
_SLACK_DAYS = 3
_DATE_RULE_FREQUENCIES = frozenset({"YEARLY", "MONTHLY", "WEEKLY", "DAILY"})
_TIME_OF_DAY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_DATE_FILTERS = ("WKST", "BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYEASTER")
_ALL_DAYS = "MO,TU,WE,TH,FR,SA,SU"
# What dateutil raises on malformed rules, besides its own ValueErrors.
_DATEUTIL_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)
_MIDNIGHT = time()
# A local wall-clock time as sent: "08:00", "08:00:00" or "08:00:00.5", never an offset.
WALL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def _any_case(word: str) -> str:
    # What str.upper() turns into each letter (dateutil upper-cases a rule): the dotless i
    # (U+0131) is an "I" too.
    also = {"I": "\u0131"}
    return "".join(
        f"[{c.upper()}{c.lower()}{also.get(c.upper(), '')}]" if c.isalpha() else c for c in word
    )


# What every rule that is read holds (dateutil reads it in any case): a FREQ part with a
# frequency that selects dates, as in "FREQ=WEEKLY;BYDAY=MO,TH". The rest is checked by
# reading the rule (422), as the description says.
RRULE_PATTERN = (
    _any_case("FREQ=")
    + "("
    + "|".join(_any_case(freq) for freq in sorted(_DATE_RULE_FREQUENCIES))
    + ")"
)


def _wall_time_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if re.fullmatch(WALL_TIME_PATTERN, value) is None:
        raise ValueError(
            f"{value!r} is not a wall-clock time like 08:00 or 08:00:30 (local, no offset)"
        )
    return time.fromisoformat(value)


WallTime = Annotated[
    time,
    BeforeValidator(_wall_time_text),
    WithJsonSchema({"type": "string", "pattern": WALL_TIME_PATTERN}),
]


def _without_times(schema: dict[str, Any]) -> None:
    """The document's form of ``_check_excluded``: an exclusion has no ``times``."""
    schema["anyOf"] = [
        {"allOf": [variant, {"properties": {"times": {"maxItems": 0}}}]}
        if "$ref" in variant
        else variant
        for variant in schema["anyOf"]
    ]


class Schedule(BaseModel):
    """When something is open (window) or when a period begins (recurrence).

    Every non-empty constraint must match; ``dates`` and ``date_ranges`` together form one
    constraint (matching either suffices). What ``excluded`` matches, read as a window on the
    same local wall time, is subtracted. An empty ``excluded`` (``{}``) excludes nothing.
    Refused (422): a date range ending before it starts; a time range ending at the time it
    starts; ``times`` in ``excluded``; an ``rrule`` that is not one RFC 5545 RRULE of FREQ
    YEARLY, MONTHLY, WEEKLY or DAILY (optionally after a floating DTSTART line), or that has
    BYHOUR, BYMINUTE, BYSECOND or TZID, COUNT with UNTIL, an INTERVAL below 1, or never
    matches a date.
    """

    model_config = ConfigDict(extra="forbid")

    months_of_year: list[int] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        json_schema_extra={"items": {"type": "integer", "minimum": 1, "maximum": 12}},
    )
    #: 0 = Monday .. 6 = Sunday, like :meth:`datetime.date.weekday`.
    days_of_week: list[int] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        json_schema_extra={"items": {"type": "integer", "minimum": 0, "maximum": 6}},
    )
    dates: list[date] = Field(default_factory=list, max_length=MAX_ITEMS)
    #: Recurrence only: the local times at which a period begins (default 00:00).
    times: list[WallTime] = Field(default_factory=list, max_length=MAX_ITEMS)
    #: Inclusive at both ends.
    date_ranges: list[tuple[date, date]] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Each ends on or after its start."
    )
    #: Window only: start inclusive, end exclusive; ``end < start`` crosses midnight.
    time_ranges: list[tuple[WallTime, WallTime]] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Start inclusive, end exclusive (another time); end < start crosses midnight.",
    )
    #: An RFC 5545 RRULE selecting dates (FREQ DAILY or coarser, no BYHOUR/BYMINUTE/BYSECOND),
    #: optionally preceded by a floating ``DTSTART``; default DTSTART :data:`DEFAULT_DTSTART`.
    rrule: str | None = Field(
        default=None,
        max_length=MAX_RRULE_LENGTH,
        json_schema_extra={"minLength": 1, "pattern": RRULE_PATTERN},
        description="An RFC 5545 RRULE that selects dates (FREQ DAILY or coarser, no BYHOUR, "
        "BYMINUTE, BYSECOND or TZID), optionally after a floating DTSTART line; one that "
        "cannot be read so, or never matches a date, is refused (422).",
    )
    excluded: Schedule | None = Field(None, json_schema_extra=_without_times)

    @field_validator("months_of_year")
    @classmethod
    def _check_months(cls, months: list[int]) -> list[int]:
        for month in months:
            if not 1 <= month <= 12:
                raise ValueError(f"months must be 1 (January) to 12 (December), got {month}")
        return months

    @field_validator("days_of_week")
    @classmethod
    def _check_days(cls, days: list[int]) -> list[int]:
        for day in days:
            if not 0 <= day <= 6:
                raise ValueError(f"days of week must be 0 (Monday) to 6 (Sunday), got {day}")
        return days

    @field_validator("times")
    @classmethod
    def _check_times(cls, times: list[time]) -> list[time]:
        for moment in times:
            _require_wall_time(moment)
        return times

    @field_validator("date_ranges")
    @classmethod
    def _check_date_ranges(cls, ranges: list[tuple[date, date]]) -> list[tuple[date, date]]:
        for start, end in ranges:
            if end < start:
                raise ValueError(f"date range {start} to {end} ends before it starts")
        return ranges

    @field_validator("time_ranges")
    @classmethod
    def _check_time_ranges(cls, ranges: list[tuple[time, time]]) -> list[tuple[time, time]]:
        for start, end in ranges:
            _require_wall_time(start)
            _require_wall_time(end)
            if start == end:
                raise ValueError(
                    f"time range {start} to {end} is empty; leave time_ranges out for all day"
                )
        return ranges

    @field_validator("rrule")
    @classmethod
    def _check_rrule(cls, text: str | None) -> str | None:
        if text is not None:
            _parse_rrule(text)
        return text

    @model_validator(mode="after")
    def _check_excluded(self) -> Schedule:
        if self.excluded is not None:
            if self.excluded.times:
                # Exclusions are read as windows, where `times` mean nothing: the exclusion
                # would silently match all day. Refuse rather than close everything.
                raise ValueError("excluded.times has no effect; use excluded.time_ranges")
            if _is_empty(self.excluded):
                # `{}` is what a form sends for "no exclusions"; read literally it would
                # match always and close the schedule for good.
                self.excluded = None
        return self


def is_open(schedules: Sequence[Schedule], at: datetime, tz: ZoneInfo) -> bool:
    """Whether ``at`` falls in the window: no schedules, or any of them, matches."""
    at = _as_utc(at)
    if not schedules:
        return True
    local = _wall(at, tz)
    return any(_window_matches(schedule, local) for schedule in schedules)


def previous_instant(schedule: Schedule, at: datetime, tz: ZoneInfo) -> datetime | None:
    """The latest recurrence instant ``<= at``, searching back about five years."""
    at = _as_utc(at)
    if _is_empty(schedule):
        return None
    today = _wall(at, tz).date()
    first, last = _shift(today, -SEARCH_DAYS), _shift(today, _SLACK_DAYS)
    return next((i for i in _instants_backwards(schedule, tz, first, last) if i <= at), None)


def next_instant(schedule: Schedule, at: datetime, tz: ZoneInfo) -> datetime | None:
    """The earliest recurrence instant ``> at``, searching ahead about five years."""
    at = _as_utc(at)
    if _is_empty(schedule):
        return None
    today = _wall(at, tz).date()
    first, last = _shift(today, -_SLACK_DAYS), _shift(today, SEARCH_DAYS)
    return next((i for i in _instants(schedule, tz, first, last) if i > at), None)


def count_instants(schedule: Schedule, after: datetime, until: datetime, tz: ZoneInfo) -> int:
    """How many recurrence instants fall in ``(after, until]``.

    The result saturates at :data:`MAX_COUNT` (callers cap renewals far below it). Work is
    proportional to the candidate instants in the interval; past :data:`MAX_STEPS` of them
    (over a thousand years of daily instants) a ``ValueError`` is raised instead of stalling.
    """
    after, until = _as_utc(after), _as_utc(until)
    if until <= after or _is_empty(schedule):
        return 0
    first = _shift(_wall(after, tz).date(), -_SLACK_DAYS)
    last = _shift(_wall(until, tz).date(), _SLACK_DAYS)
    if (last - first).days > MAX_STEPS:
        raise ValueError(f"interval too long to count instants: {after} to {until}")
    count = 0
    for instant in _instants(schedule, tz, first, last, max_steps=MAX_STEPS):
        if instant > until:
            break
        if instant > after:
            count += 1
            if count >= MAX_COUNT:
                break
    return count


# --- Validation helpers ---------------------------------------------------------------------


def _require_wall_time(moment: time) -> None:
    if moment.tzinfo is not None:
        raise ValueError(f"{moment} has an offset; schedule times are local wall-clock times")


def _parse_rrule(text: str) -> Any:
    """Parse ``text`` with dateutil, refusing rules that cannot select dates sensibly."""
    upper = text.upper()
    # dateutil honours TZID even with ignoretz=True; a rule is always read in the caller's zone.
    if "TZID" in upper:
        raise ValueError("rrule must not name a time zone (TZID); the schedule's zone applies")
    # dateutil only warns about this RFC 5545 violation; refuse it rather than warn per request.
    if "COUNT=" in upper and "UNTIL=" in upper:
        raise ValueError("rrule cannot use both COUNT and UNTIL")
    try:
        rule = du.rrulestr(text, dtstart=DEFAULT_DTSTART, ignoretz=True)
    except _DATEUTIL_ERRORS as exc:
        raise ValueError(f"invalid rrule {text!r}: {exc}") from exc
    if not isinstance(rule, du.rrule):
        raise ValueError("rrule must be a single RRULE, optionally preceded by DTSTART")
    # str() is dateutil's canonical form, so the parts are read back normalised.
    head, body = str(rule).rsplit("RRULE:", 1)
    parts = dict(part.split("=", 1) for part in body.split(";"))
    if parts["FREQ"] not in _DATE_RULE_FREQUENCIES:
        raise ValueError("rrule FREQ must be YEARLY, MONTHLY, WEEKLY or DAILY: it selects dates")
    if any(name in parts for name in _TIME_OF_DAY_PARTS):
        raise ValueError("rrule selects dates; use times or time_ranges for times of day")
    if int(parts.get("INTERVAL", "1")) < 1:
        raise ValueError("rrule INTERVAL must be at least 1")
    if not _can_occur(head, parts):
        raise ValueError("rrule never matches any date (like February 30)")
    return rule


def _can_occur(head: str, parts: dict[str, str]) -> bool:
    """Whether the rule's date filters can ever be met.

    On contradictory filters dateutil scans day by day to year 9999 before giving up, about
    five seconds for a DAILY rule. The same filters at YEARLY frequency select a superset of
    the dates (BYSETPOS, INTERVAL, COUNT and UNTIL dropped, BYDAY without ordinals) and give
    up twenty times sooner. BYSETPOS or INTERVAL can still empty a rule; that costs the
    long scan once, after which :class:`_RuleDates` remembers the rule is exhausted.
    """
    probe = [f"{name}={parts[name]}" for name in _DATE_FILTERS if name in parts]
    # An explicit BYDAY (all days if none) also stops dateutil defaulting the month and day
    # of a filter-less YEARLY rule to those of DTSTART.
    days = {day[-2:] for day in parts.get("BYDAY", _ALL_DAYS).split(",")}
    probe.append("BYDAY=" + ",".join(sorted(days)))
    text = head + "RRULE:" + ";".join(["FREQ=YEARLY", "COUNT=1", *probe])
    try:
        return any(True for _ in du.rrulestr(text, ignoretz=True))
    except _DATEUTIL_ERRORS:
        return False


def _is_empty(schedule: Schedule) -> bool:
    return not (
        schedule.months_of_year
        or schedule.days_of_week
        or schedule.dates
        or schedule.times
        or schedule.date_ranges
        or schedule.time_ranges
        or schedule.rrule
        or schedule.excluded
    )


# --- Time zone helpers ----------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment} is naive; pass an aware (UTC) datetime")
    return moment.astimezone(UTC)


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall time of an aware instant."""
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def _to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The instant of a nominal local time.

    An ambiguous time (clocks going back) happens once, at its first occurrence (fold=0). A
    nonexistent time (clocks jumping forward) happens when the jump happens, i.e. at the
    first valid moment after the gap: 02:30 on a 02:00->03:00 night happens at 03:00.
    """
    instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(instant, tz) == local:
        return instant
    # Neither fold lands on the jump (fold=0 gives 03:30, fold=1 gives 01:30) and zoneinfo
    # exposes no transition table, so bisect for it between those two readings. Transitions
    # are whole seconds in tzdata, so about 20 steps suffice even for Samoa's skipped day.
    low = math.floor(local.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    high = math.ceil(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), tz) > local:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _shift(day: date, days: int) -> date:
    ordinal = min(max(day.toordinal() + days, date.min.toordinal()), date.max.toordinal())
    return date.fromordinal(ordinal)


# --- Windows --------------------------------------------------------------------------------


def _window_matches(schedule: Schedule, local: datetime) -> bool:
    ranges = schedule.time_ranges
    anchors = _anchor_days(ranges, local) if ranges else {local.date()}
    if not any(_date_matches(schedule, day) for day in anchors):
        return False
    return schedule.excluded is None or not _window_matches(schedule.excluded, local)


def _anchor_days(ranges: Iterable[tuple[time, time]], local: datetime) -> set[date]:
    """The days whose time ranges contain ``local``.

    A range crossing midnight belongs to the day it starts on, so its early-morning part is
    anchored on the previous day (Friday 22:00-02:00 covers Saturday 01:00).
    """
    today, now = local.date(), local.time()
    anchors: set[date] = set()
    for start, end in ranges:
        if start < end:
            if start <= now < end:
                anchors.add(today)
        else:
            if now >= start:
                anchors.add(today)
            if now < end and today > date.min:
                anchors.add(today - timedelta(days=1))
    return anchors


def _date_matches(schedule: Schedule, day: date) -> bool:
    return (
        (not schedule.months_of_year or day.month in schedule.months_of_year)
        and (not schedule.days_of_week or day.weekday() in schedule.days_of_week)
        and (
            not (schedule.dates or schedule.date_ranges)
            or day in schedule.dates
            or any(start <= day <= end for start, end in schedule.date_ranges)
        )
        and (schedule.rrule is None or _rule_dates(schedule.rrule).contains(day))
    )


# --- Recurrences ----------------------------------------------------------------------------


def _instants(
    schedule: Schedule, tz: ZoneInfo, first: date, last: date, max_steps: int | None = None
) -> Iterator[datetime]:
    """The UTC instants of the local dates ``first..last``, ascending and without repeats."""
    previous = None
    for local in _local_instants(schedule, first, last, max_steps):
        instant = _to_utc(local, tz)
        # Resolving local times is monotonic, so repeats (several nominal times inside one
        # DST gap all land on the jump) are always adjacent.
        if instant != previous:
            yield instant
        previous = instant


def _instants_backwards(
    schedule: Schedule, tz: ZoneInfo, first: date, last: date
) -> Iterator[datetime]:
    """Like :func:`_instants`, descending; in growing chunks since rrule only runs forwards."""
    span = 8
    while last >= first:
        chunk_first = max(first, _shift(last, 1 - span))
        yield from reversed(list(_instants(schedule, tz, chunk_first, last)))
        if chunk_first == date.min:
            return
        last = chunk_first - timedelta(days=1)
        span *= 2


def _local_instants(
    schedule: Schedule, first: date, last: date, max_steps: int | None
) -> Iterator[datetime]:
    times = sorted(set(schedule.times)) or [_MIDNIGHT]
    steps = 0
    for day in _matching_dates(schedule, first, last):
        for moment in times:
            steps += 1
            if max_steps is not None and steps > max_steps:
                raise ValueError(f"more than {max_steps} candidate instants; narrow the interval")
            local = datetime.combine(day, moment)
            if schedule.excluded is None or not _window_matches(schedule.excluded, local):
                yield local


def _matching_dates(schedule: Schedule, first: date, last: date) -> Iterator[date]:
    """The dates in ``first..last`` that match, ascending.

    Candidates come from the sparsest constraint available; every candidate is then
    checked against all of them.
    """
    if first > last:
        return iter(())
    candidates: Iterable[date]
    if schedule.rrule is not None:
        candidates = _rule_dates(schedule.rrule).between(first, last)
    elif schedule.dates or schedule.date_ranges:
        candidates = _listed_dates(schedule, first, last)
    else:
        candidates = _days(first, last, schedule.months_of_year, schedule.days_of_week)
    return (day for day in candidates if _date_matches(schedule, day))


def _listed_dates(schedule: Schedule, first: date, last: date) -> Iterator[date]:
    explicit = sorted(day for day in set(schedule.dates) if first <= day <= last)
    in_ranges = [
        _days(max(start, first), min(end, last))
        for start, end in _merge_ranges(schedule.date_ranges)
        if max(start, first) <= min(end, last)
    ]
    previous = None
    for day in heapq.merge(explicit, *in_ranges):
        if day != previous:
            yield day
        previous = day


def _merge_ranges(ranges: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Overlapping ranges coalesced, so that no day is generated twice."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _days(
    first: date, last: date, months: Sequence[int] = (), weekdays: Sequence[int] = ()
) -> Iterator[date]:
    # dateutil numbers weekdays 0=Monday like date.weekday(), so they pass straight through.
    rule = du.rrule(
        du.DAILY,
        dtstart=datetime.combine(first, _MIDNIGHT),
        until=datetime.combine(last, _MIDNIGHT),
        bymonth=list(months) or None,
        byweekday=list(weekdays) or None,
    )
    return (occurrence.date() for occurrence in rule)


class _RuleDates:
    """The occurrence dates of one rule, computed once and shared.

    dateutil can only iterate a rule from its DTSTART (``between`` and ``after`` walk from
    there too), so the dates are accumulated as far as anyone has asked and then bisected.
    """

    def __init__(self, rule: Any) -> None:
        self._occurrences: Iterator[datetime] | None = iter(rule)
        self._ordinals = array.array("i")
        self._pulled = 0
        self._lock = threading.Lock()

    def contains(self, day: date) -> bool:
        return bool(self.between(day, day))

    def between(self, first: date, last: date) -> list[date]:
        with self._lock:
            self._extend_past(last.toordinal())
            low = bisect.bisect_left(self._ordinals, first.toordinal())
            high = bisect.bisect_right(self._ordinals, last.toordinal())
            return [date.fromordinal(ordinal) for ordinal in self._ordinals[low:high]]

    def _extend_past(self, target: int) -> None:
        while self._occurrences is not None and (
            not self._ordinals or self._ordinals[-1] <= target
        ):
            occurrence = next(self._occurrences, None)
            self._pulled += 1
            if occurrence is None or self._pulled > MAX_RULE_OCCURRENCES:
                self._occurrences = None
                return
            ordinal = occurrence.toordinal()
            if not self._ordinals or ordinal > self._ordinals[-1]:
                self._ordinals.append(ordinal)


@functools.lru_cache(maxsize=128)
def _rule_dates(text: str) -> _RuleDates:
    return _RuleDates(_parse_rrule(text))


# Public names for other packages (events' recurrences reuse the same parsing and zone rules).
parse_date_rule = _parse_rrule
local_to_utc = _to_utc
