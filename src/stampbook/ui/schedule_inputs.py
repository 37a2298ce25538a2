"""The inputs of the schedule form: lists of dates, times and hours typed as text, day and
month checkboxes, wall-clock times (no time zone: the schedule's owner's zone reads them)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time
from typing import Any

from wtforms import (
    DateField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from stampbook.schedules.rules import MAX_ITEMS
from stampbook.ui.words import _

# Items of a list input: separated by commas, semicolons or lines.
_ITEMS = re.compile(r"[,;\n]+")


# The two ends of a range: "to", "a", "hasta", "until", "..", a dash.
_DATE_RANGE = re.compile(
    r"\s+(?:to|a|al|hasta|until)\s+|\s*(?:\.\.|\u2013|\u2014)\s*|\s+-\s+", re.I
)


_TIME_RANGE = re.compile(r"\s+(?:to|a|hasta|until)\s+|\s*(?:\.\.|\u2013|\u2014|-)\s*", re.I)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def _shown(items: Sequence[str]) -> str:
    listed = ", ".join(f"“{item[:40]}”" for item in items[:3])
    return listed + (", …" if len(items) > 3 else "")


def _wall_time(text: str) -> time:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(text)
    hour, minute, second = (int(part or 0) for part in match.groups())
    return time(hour, minute, second)  # ValueError past 23:59:59


def _time_text(moment: time) -> str:
    return moment.isoformat() if moment.second or moment.microsecond else f"{moment:%H:%M}"


def _day(text: str) -> date:
    if _DATE.fullmatch(text.strip()) is None:
        raise ValueError(text)
    return date.fromisoformat(text.strip())


class Checkboxes(SelectMultipleField):
    """Several choices, one checkbox each (whole numbers)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: Any, choices: Sequence[tuple[int, Any]], **kwargs: Any) -> None:
        super().__init__(
            label,
            choices=[SelectChoice(value, text) for value, text in choices],
            coerce=int,
            default=list,
            **kwargs,
        )


class DayField(DateField):
    """A date input whose value is written the ISO way whatever the year."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(label, validators=[Optional()], **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.isoformat() if isinstance(self.data, date) else ""


class WallTimeField(TimeField):
    """A time input (``08:00``; seconds kept when a saved schedule has them)."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(label, validators=[Optional()], format=["%H:%M", "%H:%M:%S"], **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return _time_text(self.data) if isinstance(self.data, time) else ""


class ListInput(StringField):
    """Several items typed in one input, separated by commas. ``data`` is the list."""

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def show(self, item: Any) -> str:
        return str(item)

    def refusal(self, bad: Sequence[str]) -> str:
        raise NotImplementedError

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data: Any = []
        text = str(valuelist[0]) if valuelist else ""
        parts = [part.strip() for part in _ITEMS.split(text) if part.strip()]
        if len(parts) > MAX_ITEMS:
            raise ValueError(_("At most %(n)s items.", n=MAX_ITEMS))
        bad = []
        for part in parts:
            try:
                self.data.append(self.parse(part))
            except ValueError:
                bad.append(part)
        if bad:
            raise ValueError(self.refusal(bad))

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return ", ".join(self.show(item) for item in self.data or [])


class DatesInput(ListInput):
    """Dates and date ranges: ``2026-12-24, 2026-12-27 to 2026-12-31``."""

    def parse(self, text: str) -> date | tuple[date, date]:
        ends = _DATE_RANGE.split(text)
        if len(ends) == 1:
            return _day(text)
        if len(ends) != 2:
            raise ValueError(text)
        return _day(ends[0]), _day(ends[1])

    def show(self, item: Any) -> str:
        if isinstance(item, tuple):
            return _("%(start)s to %(end)s", start=item[0].isoformat(), end=item[1].isoformat())
        return str(item.isoformat())

    def refusal(self, bad: Sequence[str]) -> str:
        return _(
            "Not a date: %(items)s. Write dates as 2026-12-24 and ranges as "
            "2026-12-27 to 2026-12-31.",
            items=_shown(bad),
        )


class TimesInput(ListInput):
    """Times of day: ``08:00, 20:30``."""

    def parse(self, text: str) -> time:
        return _wall_time(text)

    def show(self, item: Any) -> str:
        return _time_text(item)

    def refusal(self, bad: Sequence[str]) -> str:
        return _("Not a time: %(items)s. Write times as 08:00 or 20:30.", items=_shown(bad))


class HoursInput(ListInput):
    """Time ranges: ``12:00-14:00, 18:00-22:00``."""

    def parse(self, text: str) -> tuple[time, time]:
        ends = _TIME_RANGE.split(text)
        if len(ends) != 2:
            raise ValueError(text)
        return _wall_time(ends[0]), _wall_time(ends[1])

    def show(self, item: Any) -> str:
        return f"{_time_text(item[0])}-{_time_text(item[1])}"

    def refusal(self, bad: Sequence[str]) -> str:
        return _("Not a time range: %(items)s. Write ranges as 12:00-14:00.", items=_shown(bad))


class MonthDaysInput(ListInput):
    """Days of the month: ``1, 15``; ``-1`` is the last day."""

    def parse(self, text: str) -> int:
        day = int(text)
        if not (1 <= day <= 31 or -31 <= day <= -1):
            raise ValueError(text)
        return day

    def refusal(self, bad: Sequence[str]) -> str:
        return _(
            "Not a day of the month: %(items)s. Use 1 to 31, or -1 for the last day "
            "(-2 the one before…).",
            items=_shown(bad),
        )
