"""A schedule in plain words, in the viewer's language: "weekdays 09:00 to 17:00"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from stampbook.schedules.rules import Schedule
from stampbook.ui.schedule_forms import MONTHS, read_built
from stampbook.ui.schedule_inputs import (
    _time_text,
)
from stampbook.ui.words import _, ngettext

DAYS_PLURAL = [
    _l("Mondays"),
    _l("Tuesdays"),
    _l("Wednesdays"),
    _l("Thursdays"),
    _l("Fridays"),
    _l("Saturdays"),
    _l("Sundays"),
]


def _days_words(days: Sequence[int]) -> str:
    chosen = sorted(set(days))
    if chosen == [0, 1, 2, 3, 4]:
        return _("weekdays")
    if chosen == [5, 6]:
        return _("weekends")
    if len(chosen) == 7:
        return _("every day")
    return ", ".join(str(DAYS_PLURAL[day]) for day in chosen)


def _range_words(start: date, end: date) -> str:
    return _("%(start)s to %(end)s", start=start.isoformat(), end=end.isoformat())


def _repeat_words(schedule: Schedule) -> str:
    built = read_built(schedule)
    if built is None:
        return _("on the dates of the rule %(rule)s", rule=schedule.rrule or "")
    said = []
    every = built["every"]
    if every is not None:
        unit = built["unit"]
        if unit == "day":
            said.append(ngettext("every %(num)d day", "every %(num)d days", every))
        elif unit == "week":
            said.append(ngettext("every %(num)d week", "every %(num)d weeks", every))
        elif unit == "month":
            said.append(ngettext("every %(num)d month", "every %(num)d months", every))
        else:
            said.append(ngettext("every %(num)d year", "every %(num)d years", every))
        if built["starting"] is not None:
            said.append(_("starting %(day)s", day=built["starting"].isoformat()))
    month_days = built["month_days"]
    counted = [str(day) for day in month_days if day > 0]
    if counted:
        said.append(_("on day %(days)s of the month", days=", ".join(counted)))
    if -1 in month_days:
        said.append(_("on the last day of the month"))
    from_end = [str(-day) for day in month_days if day < -1]
    if from_end:
        said.append(_("on day %(days)s from the end of the month", days=", ".join(from_end)))
    return ", ".join(str(part) for part in said)


def describe(saved: Schedule | Mapping[str, Any]) -> str:
    """A schedule in the viewer's language, e.g. ``weekdays · 09:00 to 17:00 · except
    2026-12-25``: each part its own phrase, joined by dots."""
    schedule = saved if isinstance(saved, Schedule) else Schedule.model_validate(saved)
    parts = []
    if schedule.days_of_week:
        parts.append(_days_words(schedule.days_of_week))
    if schedule.months_of_year:
        months = ", ".join(str(MONTHS[month - 1][1]) for month in sorted(schedule.months_of_year))
        parts.append(_("in %(months)s", months=months))
    listed = [day.isoformat() for day in schedule.dates]
    for start, end in schedule.date_ranges:
        if start == date.min and end != date.max:
            parts.append(_("until %(end)s", end=end.isoformat()))
        elif end == date.max and start != date.min:
            parts.append(_("from %(start)s", start=start.isoformat()))
        else:
            listed.append(_range_words(start, end))
    if listed:
        parts.append(_("on %(dates)s", dates=", ".join(listed)))
    if schedule.rrule:
        parts.append(_repeat_words(schedule))
    if schedule.time_ranges:
        parts.append(
            ", ".join(
                _("%(start)s to %(end)s", start=_time_text(start), end=_time_text(end))
                for start, end in schedule.time_ranges
            )
        )
    if schedule.times:
        parts.append(_("at %(times)s", times=", ".join(map(_time_text, sorted(schedule.times)))))
    if schedule.excluded is not None:
        parts.append(_("except %(what)s", what=describe(schedule.excluded)))
    return " · ".join(parts) or _("always")
