"""Schedules a person fills in: the form component behind every availability window and every
limit reset or stock renewal of the pages (:class:`stampbook.schedules.rules.Schedule`), with
checkboxes, dates, times and "repeat every N weeks" instead of JSON.

Interface
=========

Declare, on the page's ``FlaskForm``, a :class:`ScheduleList` of the kind of schedule it holds
(the field's name is yours; several lists on one form are fine, each name prefixes its inputs,
e.g. ``availability-0-days`` and ``limit_reset-0-days``)::

    from stampbook.ui.schedule_forms import ScheduleList, WindowForm

    class ShopForm(FlaskForm):
        availability_schedule = ScheduleList(
            WindowForm, _l("Opening hours"), description=_l("None: always open."), max_entries=50
        )

* :class:`WindowForm`: one availability window (days, months, dates, from/until times, a repeat
  every N days/weeks/months/years, an RFC 5545 rule for experts, exceptions). For shops, tasks
  and rewards' availability.
* :class:`RecurrenceForm`: the same for a recurrence, with the times of day at which a period
  begins instead of from/until times. For limit resets and stock renewals.
* To hold more than the schedule in each entry, subclass either one: set ``nested`` (the key
  the schedule goes under), ``extra`` (the names of your extra fields: sent beside it, shown
  before it) and ``ignored`` (extra fields whose value alone, a select's default, does not make
  the entry worth saving). See ``stampbook.rewards.forms.LimitResetForm``.
* :class:`ScheduleField` holds a single schedule (a ``FormField`` with the same methods).

**Edit pages.** The list fills itself from the saved schedules, as API dicts or ``Schedule``
models, like any field: ``ShopForm(obj=shop)`` (an attribute of the same name) or
``RewardForm(availability=settings["availability"])``. It shows each saved schedule, then one
blank entry to add another (saving gives room for the next one); each saved one has a
"Remove this schedule" box. Blank and removed entries are left out when reading.

**Reading.** After ``form.validate_on_submit()`` (which already refused dates, times and
numbers that cannot be read, next to their inputs), ``form.availability_schedule.value()`` is
the list of schedules exactly as the API takes them (JSON values: ``"2026-12-24"``,
``"08:00"``), ready for the API's own Pydantic model.

**Checking, errors next to the inputs.** Use :func:`validate_form` instead of
``helpers.validate``: same arguments and answer, but an error inside a schedule
(``availability_schedule.0.date_ranges``) lands next to the input it is about, in the right
entry (blank entries skipped in the numbering are accounted for). ``fields`` maps schema
paths to form fields where they differ, e.g. ``{"schedule_settings.availability":
"availability"}``. For errors a service returns (``ValidationFailed``), use
:func:`place_form_errors` with ``helpers.field_errors(error)``::

    data = {..., "availability_schedule": form.availability_schedule.value()}
    body, problems = validate_form(ShopIn, given(data), form)

**Rendering.** ``{% from "_schedule.html" import schedules, schedule %}`` then
``{{ schedules(form.availability_schedule) }}`` for a list (a ``fieldset`` with the list's
label and description, each entry a ``fieldset`` of its own, every input labelled, help and
errors next to it; less used parts in ``<details>`` that open when they hold something), or
``{{ schedule(form.field.form, _("When")) }}`` for a :class:`ScheduleField`. No JavaScript.

**In words.** :func:`describe` says a schedule in the viewer's language (``weekdays ·
12:00 to 15:00 · except on 2026-12-25``), for pages that show one.

What a person fills in, and what it becomes
===========================================

=========================  ================================================================
inputs                     schedule
=========================  ================================================================
days of the week (boxes)   ``days_of_week`` (0 = Monday)
months (boxes)             ``months_of_year`` (1 = January)
from date / until date     the first of ``date_ranges`` (either end may be left open)
other dates                ``dates`` and further ``date_ranges``: ``2026-12-24, 2026-12-27 to
                           2026-12-31``
from time / until time     the first of ``time_ranges`` (windows; until < from: past midnight)
more hours                 further ``time_ranges``: ``12:00-14:00, 18:00-22:00``
at these times             ``times`` (recurrences: when each period begins; none: 00:00)
repeat every N unit,       an ``rrule``: ``DTSTART:20260105\\nRRULE:FREQ=WEEKLY;INTERVAL=2;``
starting on, days of the   ``BYDAY=MO``. The ticked days and months go into it too, so "every 2
month                      weeks on Mondays and Thursdays" means what it says
RFC 5545 rule (experts)    ``rrule`` as typed (instead of the repeat inputs)
except…                    ``excluded``: the same inputs, read as a window
=========================  ================================================================

A saved schedule comes back into the same inputs; an ``rrule`` that the repeat inputs did not
write goes to the experts' input unchanged, so nothing is lost on the way. (A window's
``times`` and a recurrence's ``time_ranges`` mean nothing and are not shown.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.utils import unset_value
from wtforms.validators import NumberRange, Optional

from stampbook.schedules.rules import MAX_RRULE_LENGTH, Schedule
from stampbook.ui.forms import ZONE_REFUSAL
from stampbook.ui.schedule_inputs import (
    Checkboxes,
    DatesInput,
    DayField,
    HoursInput,
    MonthDaysInput,
    TimesInput,
    WallTimeField,
    _time_text,
)
from stampbook.ui.words import _

__all__ = [
    "MAX_ENTRIES",
    "MORE",
    "ExceptForm",
    "ListBase",
    "Loc",
    "RecurrenceForm",
    "ScheduleField",
    "ScheduleForm",
    "ScheduleList",
    "Sections",
    "WindowForm",
    "place_form_errors",
    "shows_something",
    "validate_form",
]

M = TypeVar("M", bound=BaseModel)

if TYPE_CHECKING:  # the stubs' generics; WTForms' classes take no parameters at run time
    ListBase = FieldList[FormField[Any]]
    _FormFieldBase = FormField[Any]
else:
    ListBase, _FormFieldBase = FieldList, FormField


Loc = Sequence[str | int]

#: Entries a list takes by default (the API's ``MAX_SCHEDULES`` of rewards and tasks).
MAX_ENTRIES = 20
#: The name of the submit buttons that add an entry to a list (their value: the list's name).
MORE = "more"
MAX_EVERY = 1000

DAYS = [
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
    (5, _l("Saturday")),
    (6, _l("Sunday")),
]
MONTHS = [
    (1, _l("January")),
    (2, _l("February")),
    (3, _l("March")),
    (4, _l("April")),
    (5, _l("May")),
    (6, _l("June")),
    (7, _l("July")),
    (8, _l("August")),
    (9, _l("September")),
    (10, _l("October")),
    (11, _l("November")),
    (12, _l("December")),
]
UNITS = [("day", _l("days")), ("week", _l("weeks")), ("month", _l("months")), ("year", _l("years"))]
FREQUENCIES = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
UNIT_OF = {freq: unit for unit, freq in FREQUENCIES.items()}
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Months and years repeat on the start date's day: without one, on the 1st and on 1 January.
DEFAULT_START = date(2000, 1, 1)

# What the repeat inputs write, and only that: anything else is an expert's rule.
_BUILT = re.compile(
    r"(?:DTSTART:(?P<start>\d{8})\n)?RRULE:FREQ=(?P<freq>DAILY|WEEKLY|MONTHLY|YEARLY)"
    r"(?:;INTERVAL=(?P<every>\d+))?(?:;BYMONTH=(?P<months>[\d,]+))?"
    r"(?:;BYMONTHDAY=(?P<month_days>[-\d,]+))?(?:;BYDAY=(?P<days>[A-Z,]+))?"
)


# --- Inputs ---------------------------------------------------------------------------------


# --- One schedule ---------------------------------------------------------------------------


def _filled(field: Field) -> bool:
    if isinstance(field, FormField):
        return not cast(ScheduleForm, field.form).is_blank()
    data = field.data.strip() if isinstance(field.data, str) else field.data
    if data is not None and data != "" and data != [] and data is not False:
        return True
    return any(str(raw).strip() for raw in field.raw_data or [])


class ScheduleForm(Form):
    """What every schedule says: on which dates. Subclasses add the times of day."""

    #: The key the schedule goes under in :meth:`value` (None: the value is the schedule).
    nested: ClassVar[str | None] = None
    #: Fields of a subclass sent beside the schedule, and shown before it.
    extra: ClassVar[tuple[str, ...]] = ()
    #: Fields whose value alone leaves an entry blank (choices with a default).
    ignored: ClassVar[frozenset[str]] = frozenset({"unit", "remove"})

    days = Checkboxes(_l("Days of the week"), DAYS, description=_l("None ticked: every day."))
    months = Checkboxes(_l("Months"), MONTHS, description=_l("None ticked: every month."))
    date_from = DayField(_l("From date"), description=_l("Optional: not before this day."))
    date_until = DayField(
        _l("Until date"), description=_l("Optional: not after this day (it is included).")
    )
    dates = DatesInput(
        _l("Other dates"),
        description=_l(
            "Optional, separated by commas: days like 2026-12-24 and ranges like "
            "2026-12-27 to 2026-12-31. Any of them (or the dates above) is enough."
        ),
    )
    every = IntegerField(
        _l("Repeat every"),
        validators=[Optional(), NumberRange(min=1, max=MAX_EVERY)],
        description=_l("Optional: e.g. every 2 weeks."),
    )
    unit = SelectField(
        _l("Unit"), choices=[SelectChoice(value, text) for value, text in UNITS], default="week"
    )
    starting = DayField(
        _l("Starting on"),
        description=_l(
            "The first day of the repeat: weeks count from it, months repeat on its day of "
            "the month and years on its date. Empty: weeks from Monday 3 January 2000, months "
            "on the 1st, years on 1 January."
        ),
    )
    month_days = MonthDaysInput(
        _l("Days of the month"),
        description=_l("Optional, separated by commas: 1, 15; -1 is the last day of the month."),
    )
    rrule = TextAreaField(
        _l("RFC 5545 rule"),
        validators=[Optional()],
        render_kw={"rows": 2, "maxlength": MAX_RRULE_LENGTH, "spellcheck": "false"},
        description=_l(
            "For experts, instead of the repeat above: an RRULE that selects dates (FREQ DAILY "
            "or coarser, no times of day), optionally after a DTSTART line, e.g. "
            "FREQ=MONTHLY;BYDAY=1MO for the first Monday of each month."
        ),
    )

    # -- schedule -> inputs

    @classmethod
    def initial(cls, saved: Any) -> dict[str, Any]:
        """The inputs' values that show ``saved`` (a Schedule, its dict, or an entry dict of
        a subclass with ``nested``)."""
        values: dict[str, Any] = {}
        if cls.nested is not None:
            entry = dict(saved) if isinstance(saved, Mapping) else saved.model_dump()
            values = {name: entry.get(name) for name in cls.extra if name in entry}
            saved = entry.get(cls.nested) or {}
        schedule = saved if isinstance(saved, Schedule) else Schedule.model_validate(saved or {})
        values |= {"days": list(schedule.days_of_week), "months": list(schedule.months_of_year)}
        ranges = list(schedule.date_ranges)
        if ranges and ranges[0] != (date.min, date.max):
            start, end = ranges.pop(0)
            values["date_from"] = None if start == date.min else start
            values["date_until"] = None if end == date.max else end
        values["dates"] = [*schedule.dates, *ranges]
        built = read_built(schedule)
        if built is not None:
            values |= built
        else:
            values["rrule"] = schedule.rrule
        hours = list(schedule.time_ranges)
        if hasattr(cls, "time_from") and hours:
            values["time_from"], values["time_until"] = hours.pop(0)
        if hasattr(cls, "more_hours"):
            values["more_hours"] = hours
        if hasattr(cls, "times"):
            values["times"] = list(schedule.times)
        if hasattr(cls, "excluded") and schedule.excluded is not None:
            values["excluded"] = ExceptForm.initial(schedule.excluded)
        return values

    # -- inputs -> schedule

    def is_blank(self) -> bool:
        """Nothing filled in (a choice left at its default does not count)."""
        return not any(
            _filled(field) for name, field in self._fields.items() if name not in self.ignored
        )

    def holds(self, *names: str) -> bool:
        """Whether any of these inputs holds something or an error (a part to show open)."""
        return any(_filled(self[name]) or bool(self[name].errors) for name in names if name in self)

    def is_removed(self) -> bool:
        return "remove" in self._fields and bool(self["remove"].data)

    def value(self) -> dict[str, Any] | None:
        """The schedule (with a subclass's extra fields) as the API takes it; None for a blank
        or removed entry."""
        if self.is_blank() or self.is_removed():
            return None
        schedule = self.schedule()
        if self.nested is None:
            return schedule
        return {self.nested: schedule, **{name: self[name].data for name in self.extra}}

    def schedule(self) -> dict[str, Any]:
        """The schedule alone, in JSON values, with only the parts filled in."""
        out: dict[str, Any] = {}
        days = sorted(set(self["days"].data or []))
        months = sorted(set(self["months"].data or []))
        if days:
            out["days_of_week"] = days
        if months:
            out["months_of_year"] = months
        listed = list(self["dates"].data or [])
        ranges = [item for item in listed if isinstance(item, tuple)]
        picked = self._picked_dates()
        if picked is not None:
            ranges.insert(0, picked)
        singles = [item.isoformat() for item in listed if not isinstance(item, tuple)]
        if singles:
            out["dates"] = singles
        if ranges:
            out["date_ranges"] = [[start.isoformat(), end.isoformat()] for start, end in ranges]
        rule = (self["rrule"].data or "").strip() or self._built_rrule(days, months)
        if rule:
            out["rrule"] = rule
        if "time_from" in self._fields:
            hours = list(self["more_hours"].data or [])
            picked_hours = self._picked_hours()
            if picked_hours is not None:
                hours.insert(0, picked_hours)
            if hours:
                out["time_ranges"] = [[_time_text(s), _time_text(e)] for s, e in hours]
        if "times" in self._fields and self["times"].data:
            out["times"] = [_time_text(moment) for moment in self["times"].data]
        if "excluded" in self._fields:
            excluded = self._exception()
            if not excluded.is_blank():
                out["excluded"] = excluded.schedule()
        return out

    def _picked_dates(self) -> tuple[date, date] | None:
        start, end = self["date_from"].data, self["date_until"].data
        if start is None and end is None:
            return None
        return (start or date.min, end or date.max)

    def _picked_hours(self) -> tuple[time, time] | None:
        start, end = self["time_from"].data, self["time_until"].data
        if start is None and end is None:
            return None
        return (start or time(), end or time())

    def _built_rrule(self, days: Sequence[int], months: Sequence[int]) -> str | None:
        return _rrule(
            self["every"].data,
            self["unit"].data,
            self["starting"].data,
            self["month_days"].data or [],
            days,
            months,
        )

    # -- checks of the inputs together (field by field, WTForms checked them already)

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_blank() or self.is_removed():
            return valid
        rule_typed = bool((self["rrule"].data or "").strip())
        repeat = self["every"].data is not None or bool(self["month_days"].data)
        if rule_typed and repeat:
            self._add(self["rrule"], _("Use either the repeat above or a rule, not both."))
        if self["starting"].data is not None and self["every"].data is None:
            self._add(self["starting"], _("A start date counts for a repeat: fill in “every”."))
        weekly = self["every"].data is not None and self["unit"].data == "week"
        if self["month_days"].data and weekly:
            self._add(self["month_days"], _("Days of the month do not go with a repeat in weeks."))
        return valid and not self.errors

    def _exception(self) -> ScheduleForm:
        return cast(ScheduleForm, cast("FormField[Any]", self["excluded"]).form)

    @staticmethod
    def _add(field: Field, message: str) -> None:
        field.errors = [*field.errors, message]

    # -- errors of the API's model -> next to the inputs

    def place_error(self, loc: Loc, message: str) -> None:
        """Put an error of the API's model (``loc`` relative to this entry) next to its input."""
        key = str(loc[0]) if loc else ""
        rest = loc[1:]
        if self.nested is not None:
            if key in self.extra:
                self._add(self[key], message)
                return
            if key != self.nested:
                self.form_errors.append(message)
                return
            key, rest = (str(rest[0]), rest[1:]) if rest else ("", ())
        if key == "excluded" and "excluded" in self._fields:
            self._exception().place_error(rest, message)
            return
        target = self._input_of(key, rest)
        if target is None:
            self.form_errors.append(message)
        else:
            self._add(target, message)

    def _input_of(self, key: str, rest: Loc) -> Field | None:
        index = int(rest[0]) if rest and str(rest[0]).isdigit() else None
        if key in ("days_of_week", "months_of_year"):
            return self["days" if key == "days_of_week" else "months"]
        if key == "dates":
            return self["dates"]
        if key == "date_ranges":
            picked = self._picked_dates()
            if picked is not None and (index == 0 or (index is None and picked[0] > picked[1])):
                return self["date_until"]
            return self["dates"]
        if key == "time_ranges" and "time_from" in self._fields:
            picked_hours = self._picked_hours()
            if picked_hours is not None and (
                index == 0 or (index is None and picked_hours[0] == picked_hours[1])
            ):
                return self["time_until"]
            return self["more_hours"]
        if key == "times" and "times" in self._fields:
            return self["times"]
        if key == "rrule":
            if (self["rrule"].data or "").strip():
                return self["rrule"]
            return self["month_days"] if self["month_days"].data else self["every"]
        return None


def _rrule(
    every: int | None,
    unit: str | None,
    start: date | None,
    month_days: Iterable[int],
    days: Iterable[int],
    months: Iterable[int],
) -> str | None:
    """The rule the repeat inputs write: ``DTSTART:20260105\nRRULE:FREQ=WEEKLY;INTERVAL=2``
    (parts in a fixed order, so that reading it back is exact); None without a repeat."""
    month_days, days, months = sorted(set(month_days)), sorted(set(days)), sorted(set(months))
    if every is None and not month_days:
        return None
    unit = unit if every is not None and unit in FREQUENCIES else "month"
    parts = [f"FREQ={FREQUENCIES[unit]}"]
    if every is not None:
        parts.append(f"INTERVAL={every}")
    if months:
        parts.append("BYMONTH=" + ",".join(map(str, months)))
    if month_days:
        parts.append("BYMONTHDAY=" + ",".join(map(str, month_days)))
    if days:
        parts.append("BYDAY=" + ",".join(DAY_CODES[day] for day in days))
    if every is None:
        start = None  # a start date only anchors a repeat
    elif start is None and unit in ("month", "year"):
        start = DEFAULT_START
    head = f"DTSTART:{start:%Y%m%d}\n" if start is not None else ""
    return head + "RRULE:" + ";".join(parts)


def read_built(schedule: Schedule) -> dict[str, Any] | None:
    """The repeat inputs that wrote ``schedule.rrule``, if they did (else None)."""
    if schedule.rrule is None:
        return None
    match = _BUILT.fullmatch(schedule.rrule)
    if match is None:
        return None
    every = int(match["every"]) if match["every"] else None
    freq = match["freq"]
    try:
        start = date(int(match["start"][:4]), int(match["start"][4:6]), int(match["start"][6:]))
    except (TypeError, ValueError):
        start = None
    month_days = [int(day) for day in match["month_days"].split(",")] if match["month_days"] else []
    values: dict[str, Any] = {
        "every": every,
        "unit": UNIT_OF[freq] if every is not None else "week",
        "starting": start,
        "month_days": month_days,
    }
    if every is not None and UNIT_OF[freq] in ("month", "year") and start == DEFAULT_START:
        values["starting"] = None
    # Read back only what the inputs would write again, letter for letter.
    rebuilt = _rrule(
        every,
        values["unit"],
        values["starting"],
        month_days,
        schedule.days_of_week,
        schedule.months_of_year,
    )
    if rebuilt != schedule.rrule:
        return None
    return values


class _Hours(ScheduleForm):
    """A window's times of day."""

    time_from = WallTimeField(_l("From time"), description=_l("Optional, e.g. 08:00."))
    time_until = WallTimeField(
        _l("Until time"),
        description=_l(
            "Optional, not included: until 20:00 ends at 20:00. Before the start: "
            "past midnight (22:00 to 02:00)."
        ),
    )
    more_hours = HoursInput(
        _l("More hours"),
        description=_l("Optional, separated by commas: 12:00-14:00, 18:00-22:00."),
    )


class ExceptForm(_Hours):
    """An exception: what it matches, read as a window, is taken out of the schedule."""


class WindowForm(_Hours):
    """An availability window: when something is open."""

    excluded = FormField(ExceptForm, _l("Except"))
    remove = BooleanField(_l("Remove this schedule"))


class RecurrenceForm(ScheduleForm):
    """A recurrence: the moments a period begins (a limit resets, stock renews)."""

    times = TimesInput(
        _l("At these times"),
        description=_l("Optional, separated by commas: 08:00 or 08:00, 20:00. Empty: at midnight."),
    )
    excluded = FormField(ExceptForm, _l("Except"))
    remove = BooleanField(_l("Remove this schedule"))


# --- Lists and single schedules -------------------------------------------------------------


class ScheduleList(ListBase):
    """Several schedules: the saved ones, then one blank to add (see the module's doc)."""

    def __init__(
        self,
        form_class: type[ScheduleForm],
        label: Any = None,
        validators: Any = None,
        *,
        max_entries: int = MAX_ENTRIES,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            FormField(form_class),
            label,
            validators,
            min_entries=0,
            max_entries=max_entries,
            **kwargs,
        )
        self.form_class = form_class
        self.kept: list[int] = []
        self.list_errors: list[str] = []
        self.adding = False

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        saved = [] if data is unset_value or not data else list(data)
        # The list's "Add another schedule" button: the form comes back with what was typed and
        # one more blank entry, and is not saved (see :meth:`validate`).
        self.adding = bool(formdata) and formdata.get(MORE) == self.name
        if formdata and not any(str(key).startswith(f"{self.name}-") for key in formdata):
            formdata = None  # posted without the list at all (not from the page): keep it
        super().process(formdata, [self.form_class.initial(item) for item in saved], extra_filters)
        self.kept = list(range(len(self.entries)))
        room = self.max_entries is None or len(self.entries) < self.max_entries
        if room and (self.adding or not any(form.is_blank() for form in self.forms())):
            self.append_entry()

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        """Checks the entries; never valid while adding an entry, so that a page re-renders
        the form (with no error) rather than saving it."""
        valid = bool(super().validate(form, extra_validators))
        return valid and not self.adding

    def forms(self) -> list[ScheduleForm]:
        return [cast(ScheduleForm, entry.form) for entry in self.entries]

    def value(self) -> list[dict[str, Any]]:
        """The filled-in entries, as the API takes them (blank and removed ones left out)."""
        self.kept, found = [], []
        for index, form in enumerate(self.forms()):
            value = form.value()
            if value is not None:
                self.kept.append(index)
                found.append(value)
        return found

    def place_error(self, loc: Loc, message: str) -> None:
        """An error at ``loc`` (``[n, ...]``, n counting the entries :meth:`value` kept)."""
        head = str(loc[0]) if loc else ""
        if head.isdigit():
            number = int(head)
            index = self.kept[number] if number < len(self.kept) else number
            if index < len(self.entries):
                self.forms()[index].place_error(loc[1:], message)
                self._gather()
                return
        self.list_errors.append(message)
        self._gather()

    def _gather(self) -> None:
        found = [entry.errors for entry in self.entries if entry.errors]
        self.errors = [*self.list_errors, *found]


class ScheduleField(_FormFieldBase):
    """One schedule (``FormField`` of a :class:`ScheduleForm` subclass) filled from a saved
    one like :class:`ScheduleList`; ``value()`` is None while left blank."""

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        if data is not unset_value and data is not None:
            data = cast(type[ScheduleForm], self.form_class).initial(data)
        super().process(formdata, data, extra_filters)

    def value(self) -> dict[str, Any] | None:
        return cast(ScheduleForm, self.form).value()

    def place_error(self, loc: Loc, message: str) -> None:
        cast(ScheduleForm, self.form).place_error(loc, message)


# --- Sections that open on demand -----------------------------------------------------------


def shows_something(field: Field) -> bool:
    """Whether ``field`` holds a value other than its default, or an error: a folded section
    (``<details>``) holding it opens. Lists count their entries and rows (and a list being
    added to); a choice left at its default, an unticked box and a blank entry hold nothing."""
    if field.errors or getattr(field, "list_errors", None) or getattr(field, "adding", False):
        return True
    entries = getattr(field, "entries", None)
    if entries is not None:
        return any(shows_something(entry) for entry in entries)
    if isinstance(field, FormField):
        inner = field.form
        if isinstance(inner, ScheduleForm):
            return not inner.is_blank() or bool(inner.errors)
        return any(shows_something(sub) for sub in inner)
    data = field.data
    if data is None or data == "" or data is False or data == []:
        return False
    return bool(data != field.default)


class Sections:
    """For a form whose advanced options fold into ``<details>``: ``{% if form.holds("a",
    "b") %} open{% endif %}`` opens a section while one of its fields holds something."""

    def holds(self, *names: str) -> bool:
        return any(shows_something(self[name]) for name in names)  # type: ignore[index]


# --- Checking with the API's model ----------------------------------------------------------


def _say(error: ErrorDetails) -> str:
    """The model's message in words a person reads (translated where we know it)."""
    message = error["msg"].removeprefix("Value error, ")
    kind = error["type"]
    names = [part for part in error["loc"] if isinstance(part, str)]
    last = names[-1] if names else ""
    if kind == "missing" or (kind.endswith("_type") and error.get("input") is None):
        return _("Fill this in.")
    if kind == "too_long":
        return _("Too many: at most %(n)s.", n=(error.get("ctx") or {}).get("max_length", ""))
    if "ends before it starts" in message:
        return _("The end date is before the start date.")
    if last == "time_ranges" and "is empty" in message:
        return _("A time range must end at another time than it starts.")
    if "not an IANA time zone name" in message:
        return str(ZONE_REFUSAL)
    if "the schedule is empty" in message:
        return _("Say when: tick days or months, or give dates, times or a repeat.")
    if "never matches" in message:
        return _("This never happens (like 30 February): change the days or the rule.")
    return message


def place_form_errors(
    form: Form,
    errors: Iterable[tuple[str | Loc, str]],
    fields: Mapping[str, str] | None = None,
) -> list[str]:
    """Put each ``(location, message)`` next to its input, into schedules too; return those
    that belong to no field, to show above the form. A location is a dotted string
    (``"availability.0.dates"``) or a Pydantic ``loc``; ``fields`` renames schema paths (the
    longest match wins) to form fields."""
    renames = sorted((fields or {}).items(), key=lambda pair: -len(pair[0]))
    rest: list[str] = []
    for where, message in errors:
        loc: tuple[str | int, ...] = (
            tuple(where.split(".")) if isinstance(where, str) else tuple(where)
        )
        loc = tuple(part for part in loc if part != "")
        dotted = ".".join(str(part) for part in loc)
        target: Field | None = None
        tail: tuple[str | int, ...] = ()
        for prefix, name in renames:
            if dotted == prefix or dotted.startswith(prefix + "."):
                target = form._fields.get(name)
                tail = loc[len(prefix.split(".")) :]
                break
        else:
            if loc:
                target, tail = form._fields.get(str(loc[0])), loc[1:]
        placer = getattr(target, "place_error", None)
        if placer is not None:
            placer(tail, message)
        elif target is not None:
            target.errors = [*target.errors, message]
        else:
            rest.append(f"{dotted}: {message}" if dotted else message)
    return rest


def validate_form(
    schema: type[M], data: dict[str, Any], form: Form, fields: Mapping[str, str] | None = None
) -> tuple[M | None, list[str]]:
    """``helpers.validate`` that also reaches into schedules: the API's own model checks the
    form; each error goes next to its input, the rest come back to show above the form."""
    try:
        return schema.model_validate(data), []
    except ValidationError as error:
        found = [(tuple(e["loc"]), _say(e)) for e in error.errors()]
        return None, place_form_errors(form, found, fields)


# --- A schedule in words --------------------------------------------------------------------
