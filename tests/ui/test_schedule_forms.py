"""The schedule form component: schedules in and out of inputs a person fills in, checked
by the API's own models, errors next to the inputs, several lists on one page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, render_template_string
from pydantic import BaseModel
from werkzeug.datastructures import MultiDict
from wtforms import Form

from stampbook.rewards.forms import LimitResetForm, QuantityRenewalForm
from stampbook.rewards.rules import LimitReset, QuantityRenewal, Recurrence
from stampbook.schedules.rules import Schedule
from stampbook.ui.schedule_forms import (
    RecurrenceForm,
    ScheduleField,
    ScheduleList,
    WindowForm,
    place_form_errors,
    shows_something,
    validate_form,
)
from stampbook.ui.schedule_words import describe


class Page(Form):
    """Two lists of windows and recurrences on one form, plus one single schedule."""

    availability = ScheduleList(WindowForm, "When")
    resets = ScheduleList(RecurrenceForm, "Resets")
    limits = ScheduleList(LimitResetForm, "Limits")
    renewals = ScheduleList(QuantityRenewalForm, "Renewals")
    opening = ScheduleField(WindowForm, "Opening")


class Model(BaseModel):
    availability: list[Schedule] = []
    resets: list[Recurrence] = []
    limits: list[LimitReset] = []
    renewals: list[QuantityRenewal] = []


@pytest.fixture(autouse=True)
def _request(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


def _posted(form: Form) -> MultiDict[str, str]:
    """What a browser sends for ``form`` as rendered: every input, ticked boxes only."""
    sent: MultiDict[str, str] = MultiDict()

    def add(fields: Any) -> None:
        for field in fields:
            if field.type == "ScheduleList":
                for entry in field.entries:
                    add(entry.form)
            elif field.type in ("FormField", "ScheduleField"):
                add(field.form)
            elif field.type == "Checkboxes":
                for option in field:
                    if option.checked:
                        sent.add(field.name, option.data)
            elif field.type == "SelectField":
                sent.add(field.name, str(field.data))
            elif field.type == "BooleanField":
                if field.data:
                    sent.add(field.name, "y")
            else:
                sent.add(field.name, field._value())

    add(form)
    return sent


def _through_the_form(name: str, saved: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """saved -> an edit page's inputs -> what the browser sends back -> schedules."""
    shown = Page(**{name: saved})
    posted = Page(_posted(shown))
    assert posted.validate(), posted.errors
    values: list[dict[str, Any]] = getattr(posted, name).value()
    return values


def _canonical(model: type[BaseModel], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [model.model_validate(item).model_dump(mode="json") for item in items]


WINDOWS = [
    {"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["09:00", "17:00"]]},
    {"time_ranges": [["22:00", "02:00"], ["12:00", "14:00"], ["18:00:30", "19:00"]]},
    {"months_of_year": [6, 7, 8], "dates": ["2026-12-24", "2026-12-31"]},
    {"date_ranges": [["2026-06-01", "2026-08-31"], ["2026-12-20", "2027-01-06"]]},
    {"date_ranges": [["2026-06-01", "9999-12-31"]]},
    {"date_ranges": [["0001-01-01", "2026-06-01"]]},
    {"date_ranges": [["0001-01-01", "9999-12-31"]], "dates": ["2026-01-01"]},
    {
        "days_of_week": [5, 6],
        "excluded": {"dates": ["2026-12-26"], "time_ranges": [["13:00", "14:00"]]},
    },
    # Repeats the inputs write: every N days, weeks (on days), months, years.
    {"rrule": "RRULE:FREQ=DAILY;INTERVAL=3"},
    {"rrule": "DTSTART:20260102\nRRULE:FREQ=DAILY;INTERVAL=2"},
    {"days_of_week": [0, 3], "rrule": "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"},
    {"rrule": "DTSTART:20260105\nRRULE:FREQ=WEEKLY;INTERVAL=2"},
    {"rrule": "DTSTART:20000101\nRRULE:FREQ=MONTHLY;INTERVAL=3"},
    {"rrule": "DTSTART:20260115\nRRULE:FREQ=MONTHLY;INTERVAL=1"},
    {"rrule": "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1,1,15"},
    {"months_of_year": [12], "rrule": "DTSTART:20000101\nRRULE:FREQ=YEARLY;INTERVAL=1;BYMONTH=12"},
    {
        "rrule": "DTSTART:20000101\nRRULE:FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=13;BYDAY=FR",
        "days_of_week": [4],
    },
    # An expert's rule stays as typed.
    {"rrule": "FREQ=MONTHLY;BYDAY=1MO"},
    {"rrule": "DTSTART:20260105T000000\nRRULE:FREQ=WEEKLY;INTERVAL=2"},
    {"rrule": "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "days_of_week": [1]},
]


@pytest.mark.parametrize("window", WINDOWS, ids=range(len(WINDOWS)))
def test_a_window_comes_back_the_same_through_its_edit_page(window: dict[str, Any]) -> None:
    got = _through_the_form("availability", [window])
    assert _canonical(Schedule, got) == _canonical(Schedule, [window])


RECURRENCES = [
    {"days_of_week": [0]},
    {"days_of_week": [0], "times": ["00:00"]},
    {"times": ["08:00", "20:30", "06:15:10"]},
    {"rrule": "RRULE:FREQ=MONTHLY;BYMONTHDAY=1", "times": ["09:00"]},
    {
        "rrule": "DTSTART:20260105\nRRULE:FREQ=WEEKLY;INTERVAL=2",
        "excluded": {"months_of_year": [8]},
    },
    {"dates": ["2026-01-01"], "date_ranges": [["2026-03-01", "2026-03-07"]]},
]


@pytest.mark.parametrize("recurrence", RECURRENCES, ids=range(len(RECURRENCES)))
def test_a_recurrence_comes_back_the_same_through_its_edit_page(
    recurrence: dict[str, Any],
) -> None:
    got = _through_the_form("resets", [recurrence])
    assert _canonical(Recurrence, got) == _canonical(Recurrence, [recurrence])


def test_entries_with_more_than_a_schedule_come_back_the_same() -> None:
    limits = [
        {"schedule": {"days_of_week": [0]}, "limit_type": "user"},
        {"schedule": {"rrule": "RRULE:FREQ=MONTHLY;BYMONTHDAY=1"}, "limit_type": "both"},
    ]
    renewals = [
        {"schedule": {"times": ["08:00"]}, "renewal_quantity": 5, "cap": 20},
        {"schedule": {"days_of_week": [0]}, "renewal_quantity": 1, "cap": None},
    ]
    assert _canonical(LimitReset, _through_the_form("limits", limits)) == _canonical(
        LimitReset, limits
    )
    assert _canonical(QuantityRenewal, _through_the_form("renewals", renewals)) == _canonical(
        QuantityRenewal, renewals
    )


def test_several_schedules_in_order_then_a_blank_one_to_add() -> None:
    saved = [{"days_of_week": [0]}, {"days_of_week": [6]}]
    page = Page(availability=saved)
    entries = page.availability.entries
    assert [e.name for e in entries] == ["availability-0", "availability-1", "availability-2"]
    assert [e.form.is_blank() for e in entries] == [False, False, True]
    assert page.availability.value() == saved
    assert page.resets.value() == [] and len(page.resets.entries) == 1  # just the blank


def test_the_add_button_brings_one_more_blank_entry_and_is_never_valid() -> None:
    posted = MultiDict(
        [("availability-0-days", "0"), ("availability-1-unit", "week"), ("more", "availability")]
    )
    page = Page(posted)
    assert [e.form.is_blank() for e in page.availability.entries] == [False, True, True]
    assert page.availability.adding and not page.resets.adding
    assert not page.validate() and not page.errors  # shown again, with no error
    assert shows_something(page.availability) and not shows_something(page.resets)
    assert page.availability.value() == [{"days_of_week": [0]}]


def test_a_full_list_has_no_blank_entry() -> None:
    page = Page(availability=[{"days_of_week": [day % 7]} for day in range(20)])
    assert len(page.availability.entries) == 20


def test_filled_inputs_become_the_schedule_the_api_takes() -> None:
    page = Page(
        MultiDict(
            [
                ("availability-0-days", "0"),
                ("availability-0-days", "4"),
                ("availability-0-time_from", "08:00"),
                ("availability-0-time_until", "10:00"),
                ("availability-0-more_hours", "17:00 - 19:30, 21:00\u201323:00"),
                ("availability-0-date_from", "2026-06-01"),
                ("availability-0-date_until", ""),
                ("availability-0-dates", "2026-12-24; 2026-12-27 to 2026-12-31\n2027-01-06"),
                ("availability-0-every", "2"),
                ("availability-0-unit", "week"),
                ("availability-0-starting", "2026-06-01"),
                ("availability-0-excluded-dates", "2026-08-15"),
                ("availability-0-excluded-time_from", "13:00"),
                ("availability-0-excluded-time_until", "14:00"),
                ("availability-1-unit", "week"),  # the blank entry
                ("resets-0-months", "1"),
                ("resets-0-month_days", "1"),
                ("resets-0-times", "6:00"),
                ("resets-0-unit", "week"),
                ("limits-0-limit_type", "user"),
                ("limits-0-days", "0"),
                ("renewals-0-renewal_quantity", "10"),
                ("renewals-0-cap", "20"),
                ("renewals-0-times", "08:00"),
            ]
        )
    )
    assert page.validate(), page.errors
    availability = page.availability.value()
    assert availability == [
        {
            "days_of_week": [0, 4],
            "dates": ["2026-12-24", "2027-01-06"],
            "date_ranges": [["2026-06-01", "9999-12-31"], ["2026-12-27", "2026-12-31"]],
            "rrule": "DTSTART:20260601\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR",
            "time_ranges": [["08:00", "10:00"], ["17:00", "19:30"], ["21:00", "23:00"]],
            "excluded": {"dates": ["2026-08-15"], "time_ranges": [["13:00", "14:00"]]},
        }
    ]
    assert page.resets.value() == [
        {
            "months_of_year": [1],
            "rrule": "RRULE:FREQ=MONTHLY;BYMONTH=1;BYMONTHDAY=1",
            "times": ["06:00"],
        }
    ]
    assert page.limits.value() == [{"schedule": {"days_of_week": [0]}, "limit_type": "user"}]
    assert page.renewals.value() == [
        {"schedule": {"times": ["08:00"]}, "renewal_quantity": 10, "cap": 20}
    ]
    body, problems = validate_form(
        Model,
        {
            "availability": availability,
            "resets": page.resets.value(),
            "limits": page.limits.value(),
            "renewals": page.renewals.value(),
        },
        page,
    )
    assert body is not None and problems == []

    # ...and the schedules fill the same inputs again.
    again = Page(
        availability=availability,
        resets=page.resets.value(),
        limits=page.limits.value(),
        renewals=page.renewals.value(),
    )
    shown = again.availability.entries[0].form
    assert shown.days.data == [0, 4]
    assert (shown.time_from._value(), shown.time_until._value()) == ("08:00", "10:00")
    assert shown.more_hours._value() == "17:00-19:30, 21:00-23:00"
    assert shown.date_from._value() == "2026-06-01" and shown.date_until._value() == ""
    assert shown.dates._value() == "2026-12-24, 2027-01-06, 2026-12-27 to 2026-12-31"
    assert (shown.every.data, shown.unit.data, shown.starting.data.isoformat()) == (
        2,
        "week",
        "2026-06-01",
    )
    assert shown.rrule.data is None
    assert shown.excluded.form.dates._value() == "2026-08-15"
    assert shown.excluded.form.time_from._value() == "13:00"
    reset = again.resets.entries[0].form
    assert (reset.months.data, reset.month_days._value(), reset.times._value()) == (
        [1],
        "1",
        "06:00",
    )
    assert again.limits.entries[0].form.limit_type.data == "user"
    renewal = again.renewals.entries[0].form
    assert (renewal.renewal_quantity.data, renewal.cap.data) == (10, 20)


def test_blank_and_removed_entries_are_left_out() -> None:
    page = Page(
        MultiDict(
            [
                ("availability-0-days", "1"),
                ("availability-0-remove", "y"),
                ("availability-1-unit", "day"),
                ("availability-2-days", "2"),
                ("limits-0-limit_type", "group"),  # a choice alone is no schedule
            ]
        )
    )
    assert page.validate(), page.errors
    assert page.availability.value() == [{"days_of_week": [2]}]
    assert page.availability.kept == [2]
    assert page.limits.value() == []


def test_inputs_that_cannot_be_read_are_refused_next_to_them() -> None:
    page = Page(
        MultiDict(
            [
                ("availability-0-dates", "2026-02-30, tomorrow, 2026-01-01 to 2026-01-05"),
                ("availability-0-more_hours", "12-14, 18:00-19:00"),
                ("availability-0-time_from", "25:00"),
                ("availability-0-every", "0"),
                ("availability-0-days", "9"),
                ("resets-0-times", "8 o'clock"),
                ("resets-0-month_days", "1, 32, -40"),
                ("renewals-0-renewal_quantity", "-1"),
            ]
        )
    )
    assert not page.validate()
    window = page.availability.entries[0].form
    assert window.dates.errors == [
        "Not a date: “2026-02-30”, “tomorrow”. Write dates as 2026-12-24 and ranges as "
        "2026-12-27 to 2026-12-31."
    ]
    assert window.more_hours.errors == ["Not a time range: “12-14”. Write ranges as 12:00-14:00."]
    assert window.time_from.errors and window.every.errors and window.days.errors
    # The text typed stays in the input, to be corrected.
    assert window.dates._value() == "2026-02-30, tomorrow, 2026-01-01 to 2026-01-05"
    reset = page.resets.entries[0].form
    assert reset.times.errors == ["Not a time: “8 o'clock”. Write times as 08:00 or 20:30."]
    assert reset.month_days.errors[0].startswith("Not a day of the month: “32”, “-40”.")
    assert page.renewals.entries[0].form.renewal_quantity.errors


def test_inputs_that_do_not_go_together_are_refused_next_to_them() -> None:
    page = Page(
        MultiDict(
            [
                ("availability-0-every", "2"),
                ("availability-0-unit", "week"),
                ("availability-0-rrule", "FREQ=DAILY"),
                ("availability-1-starting", "2026-01-01"),
                ("availability-1-days", "0"),
                ("resets-0-every", "1"),
                ("resets-0-unit", "week"),
                ("resets-0-month_days", "1"),
            ]
        )
    )
    assert not page.validate()
    first, second = (e.form for e in page.availability.entries[:2])
    assert first.rrule.errors == ["Use either the repeat above or a rule, not both."]
    assert second.starting.errors == ["A start date counts for a repeat: fill in “every”."]
    assert page.resets.entries[0].form.month_days.errors == [
        "Days of the month do not go with a repeat in weeks."
    ]


def test_the_api_models_errors_land_next_to_the_right_input_of_the_right_entry() -> None:
    page = Page(
        MultiDict(
            [
                ("availability-0-unit", "week"),  # blank: skipped in the API's numbering
                ("availability-1-date_from", "2026-06-01"),
                ("availability-1-date_until", "2026-05-01"),
                ("availability-2-time_from", "10:00"),
                ("availability-2-time_until", "10:00"),
                ("availability-3-rrule", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
                ("availability-4-excluded-dates", "2026-01-01 to 2025-01-01"),
                ("resets-0-excluded-days", "6"),  # an exception alone: nothing recurs
                ("renewals-0-days", "0"),  # no quantity
            ]
        )
    )
    assert page.validate(), page.errors
    data = {
        "availability": page.availability.value(),
        "resets": page.resets.value(),
        "renewals": page.renewals.value(),
    }
    body, problems = validate_form(Model, data, page)
    assert body is None and problems == []
    forms = [entry.form for entry in page.availability.entries]
    assert forms[0].errors == {}
    assert forms[1].date_until.errors == ["The end date is before the start date."]
    assert forms[2].time_until.errors == ["A time range must end at another time than it starts."]
    assert forms[3].rrule.errors and "never" in forms[3].rrule.errors[0]
    assert forms[4].excluded.form.dates.errors == ["The end date is before the start date."]
    assert page.resets.entries[0].form.form_errors == [
        "Say when: tick days or months, or give dates, times or a repeat."
    ]
    assert page.renewals.entries[0].form.renewal_quantity.errors == ["Fill this in."]
    assert page.availability.errors and page.resets.errors  # the page answers 422


def test_errors_by_dotted_name_and_renamed_fields() -> None:
    page = Page(availability=[{"days_of_week": [0]}, {"days_of_week": [1]}])
    page.availability.value()
    rest = place_form_errors(
        page,
        [
            ("schedule_settings.availability.1.days_of_week", "No Tuesdays."),
            ("schedule_settings.availability", "Too many."),
            ("opening.rrule", "Bad rule."),
            ("elsewhere", "Not ours."),
            ("", "About everything."),
        ],
        {"schedule_settings.availability": "availability"},
    )
    assert page.availability.entries[1].form.days.errors == ["No Tuesdays."]
    assert page.availability.list_errors == ["Too many."]
    assert page.opening.form.every.errors == ["Bad rule."]  # no typed rule: the repeat
    assert rest == ["elsewhere: Not ours.", "About everything."]


def test_a_single_schedule_field() -> None:
    page = Page(opening={"days_of_week": [2], "time_ranges": [["10:00", "11:00"]]})
    assert page.opening.value() == {"days_of_week": [2], "time_ranges": [["10:00", "11:00"]]}
    assert Page().opening.value() is None


def test_a_list_posted_without_any_of_its_inputs_keeps_what_was_saved() -> None:
    page = Page(MultiDict([("other", "x")]), availability=[{"days_of_week": [3]}])
    assert page.availability.value() == [{"days_of_week": [3]}]


RENDER = """{% from "_schedule.html" import schedules, schedule %}
{{ schedules(form.availability) }}{{ schedules(form.limits) }}
{{ schedule(form.opening.form, "Open") }}"""


def test_every_input_has_a_label_and_filled_parts_open() -> None:
    page = Page(
        availability=[{"days_of_week": [0], "dates": ["2026-01-01"]}],
        limits=[{"schedule": {"rrule": "FREQ=MONTHLY;BYDAY=1MO"}, "limit_type": "user"}],
    )
    html = render_template_string(RENDER, form=page)
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    assert len(ids) > 100
    for control in ids:
        assert f'for="{control}"' in html, control
    assert '<input checked class="form-check-input" id="availability-0-days-0"' in html
    assert 'name="limits-0-limit_type"' in html
    assert html.count('<details class="mb-3" open>') == 2  # the dates, the expert's rule
    assert "Remove this schedule" in html and "Add a schedule (optional)" in html


def test_a_schedule_in_words() -> None:
    assert describe({}) == "always"
    assert (
        describe(
            {
                "days_of_week": [0, 1, 2, 3, 4],
                "time_ranges": [["09:00", "17:00"], ["22:00", "02:00"]],
                "excluded": {"dates": ["2026-12-25"]},
            }
        )
        == "weekdays · 09:00 to 17:00, 22:00 to 02:00 · except on 2026-12-25"
    )
    assert (
        describe({"months_of_year": [8, 7], "date_ranges": [["2026-06-01", "9999-12-31"]]})
        == "in July, August · from 2026-06-01"
    )
    assert (
        describe({"days_of_week": [6, 0], "dates": ["2026-01-01"], "times": ["20:00", "08:00"]})
        == "Mondays, Sundays · on 2026-01-01 · at 08:00, 20:00"
    )
    assert (
        describe({"rrule": "DTSTART:20260105\nRRULE:FREQ=WEEKLY;INTERVAL=2"})
        == "every 2 weeks, starting 2026-01-05"
    )
    assert (
        describe({"rrule": "RRULE:FREQ=MONTHLY;BYMONTHDAY=-2,-1,1,15"})
        == "on day 1, 15 of the month, on the last day of the month, "
        "on day 2 from the end of the month"
    )
    assert describe({"rrule": "FREQ=MONTHLY;BYDAY=1MO"}) == (
        "on the dates of the rule FREQ=MONTHLY;BYDAY=1MO"
    )
