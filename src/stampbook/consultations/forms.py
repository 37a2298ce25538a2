"""Forms of the consultations' pages: a host (added or changed by the shop's managers, its
weekly hours one field per day, like ``09:00-12:00, 15:00-18:00``), booking a slot,
cancelling, the host's notes, the member's rating, the payment status.

Like every page form, they read what a person types; the API's own models (``HostIn``,
``HostPatch``, ``ConsultationBookingIn``...) and services then check it, so both doors accept
the same things and refuse with the same problems.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from stampbook.consultations.words import (
    DAY_WORDS,
    PAYMENT_WORDS,
    SESSION_WORDS,
    VERIFICATION_WORDS,
)
from stampbook.ui.forms import TimeZoneField, options

_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-\u2013]\s*(\d{1,2}:\d{2})\s*$")
HOURS_HELP = _l("Ranges like 09:00-12:00, 15:00-18:00; empty: closed that day.")


def day_field(index: int) -> StringField:
    return StringField(DAY_WORDS[index], validators=[Optional(), Length(max=200)])


def hours_of(texts: list[str | None]) -> tuple[list[dict[str, Any]], list[int]]:
    """The seven days' fields as the API's weekly hours, and the days whose text is not
    ranges like ``09:00-12:00`` (said next to them)."""
    rows: list[dict[str, Any]] = []
    bad: list[int] = []
    for day, text in enumerate(texts):
        for part in (text or "").split(","):
            if not part.strip():
                continue
            found = _RANGE.match(part)
            if found is None:
                bad.append(day)
                break
            start, end = (value.zfill(5) for value in found.groups())
            rows.append({"day": day, "start": start, "end": end})
    return rows, bad


def day_texts(rows: list[dict[str, Any]]) -> list[str]:
    """The stored weekly hours as the seven days' fields show them."""
    texts: list[list[str]] = [[] for _ in range(7)]
    for row in rows:
        texts[int(row["day"])].append(f"{row['start']}-{row['end']}")
    return [", ".join(parts) for parts in texts]


def lines(text: str | None, *, comma: bool = True) -> list[str]:
    """A list typed one per line (or separated by commas)."""
    parts = re.split(r"[\n,]" if comma else r"\n", text or "")
    return [part.strip() for part in parts if part.strip()]


class HostForm(FlaskForm):  # type: ignore[misc]
    professional_name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("As members see it, like Dr. Ana Ruiz."),
    )
    user_id = SelectField(
        _l("Account"),
        choices=[],
        validate_choice=False,
        description=_l("One of the shop's team, or none for a professional listed by the shop."),
    )
    bio = TextAreaField(_l("About"), validators=[Optional(), Length(max=5000)])
    credentials = StringField(
        _l("Credentials"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Separated by commas, like RD, PhD."),
    )
    specializations = StringField(
        _l("Specialties"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Separated by commas."),
    )
    languages = StringField(
        _l("Languages"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Separated by commas."),
    )
    years_experience = IntegerField(
        _l("Years of experience"), validators=[Optional(), NumberRange(min=0, max=80)]
    )
    consultation_rate = StringField(
        _l("Rate of a session"),
        validators=[Optional(), Length(max=16)],
        description=_l("An amount like 45.00; empty: free of charge."),
    )
    currency = StringField(_l("Currency"), validators=[DataRequired(), Length(min=3, max=3)])
    time_zone = TimeZoneField(_l("Time zone of the hours"))
    day_0 = day_field(0)
    day_1 = day_field(1)
    day_2 = day_field(2)
    day_3 = day_field(3)
    day_4 = day_field(4)
    day_5 = day_field(5)
    day_6 = day_field(6)
    days_off = TextAreaField(
        _l("Days off"),
        validators=[Optional(), Length(max=5000)],
        description=_l("One date a line, like 2026-12-24."),
    )
    slot_minutes = IntegerField(
        _l("Minutes of a session"), validators=[InputRequired(), NumberRange(min=5, max=480)]
    )
    buffer_minutes = IntegerField(
        _l("Minutes between sessions"), validators=[InputRequired(), NumberRange(min=0, max=240)]
    )
    cancel_hours = IntegerField(
        _l("Members cancel until this many hours before"),
        validators=[InputRequired(), NumberRange(min=0, max=720)],
    )
    is_available = BooleanField(_l("Takes bookings"))
    # On the edit page only; checked by the API's model (``HostPatch``).
    verification_status = SelectField(
        _l("Verification"), choices=options(VERIFICATION_WORDS.items()), validate_choice=False
    )

    @property
    def day_fields(self) -> list[StringField]:
        return [getattr(self, f"day_{day}") for day in range(7)]

    def set_team(self, people: list[tuple[int, str]]) -> None:
        self.user_id.choices = options(
            [("", _l("None: a listed professional"))]
            + [(str(user_id), name) for user_id, name in people]
        )


class BookForm(FlaskForm):  # type: ignore[misc]
    starts_at = HiddenField(validators=[DataRequired()])
    # Checked by the API's model (``ConsultationBookingIn``); left out of the post: a video call.
    session_type = SelectField(
        _l("How"), choices=options(SESSION_WORDS.items()), validate_choice=False
    )
    topic = StringField(_l("What about (optional)"), validators=[Optional(), Length(max=500)])


class CancelForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(_l("Why (optional)"), validators=[Optional(), Length(max=200)])


class NotesForm(FlaskForm):  # type: ignore[misc]
    session_notes = TextAreaField(
        _l("Your notes"),
        validators=[Optional(), Length(max=10_000)],
        description=_l("Only you and the member see them."),
    )


class RatingForm(FlaskForm):  # type: ignore[misc]
    user_feedback_rating = SelectField(
        _l("Rating"),
        choices=options([("5", "★★★★★"), ("4", "★★★★"), ("3", "★★★"), ("2", "★★"), ("1", "★")]),
    )
    user_feedback_text = TextAreaField(
        _l("Feedback (optional)"), validators=[Optional(), Length(max=2000)]
    )


class PaymentForm(FlaskForm):  # type: ignore[misc]
    payment_status = SelectField(_l("Payment"), choices=options(PAYMENT_WORDS.items()))
