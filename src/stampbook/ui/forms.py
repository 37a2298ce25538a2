"""Forms of the pages (Flask-WTF: every POST form carries its CSRF token).

They read what a person types; the API's input models (``ShopIn``, ``TaskIn``...) then check
it, so a page and the API accept exactly the same things.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.validators import DataRequired, Length, Optional

MAX_POINTS = 10**12
TIME_ZONES = sorted(available_timezones())
COLOR_HELP = _l("Optional, as #rrggbb, e.g. #6f4e37.")
ICON_HELP = _l("Optional: a short icon name, e.g. cup.")


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """A select's options from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something and carries nothing but its CSRF token."""


# --- What names and shows a thing -------------------------------------------------------------


def summary_field(description: Any = "") -> StringField:
    return StringField(
        _l("Summary"), validators=[Optional(), Length(max=280)], description=description
    )


def color_field(*checks: Any, **kwargs: Any) -> StringField:
    """A colour as #rrggbb (the API's model checks it; ``checks`` check it in the form too)."""
    return StringField(
        _l("Colour"), validators=[Optional(), *checks], description=COLOR_HELP, **kwargs
    )


def icon_field(description: Any = ICON_HELP) -> StringField:
    return StringField(_l("Icon"), validators=[Optional(), Length(max=64)], description=description)


class IdentityFields:
    """The fields that name and show a shop, a program, a task, a reward or a person, as the
    API's models take them; a form that says one of them otherwise redefines it (with
    :func:`summary_field`, :func:`color_field`, :func:`icon_field`)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    summary = summary_field()
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    color = color_field()
    icon = icon_field()


IDENTITY_FIELDS = ("name", "summary", "description", "color", "icon")


# --- The team's stamps and receipts -----------------------------------------------------------
