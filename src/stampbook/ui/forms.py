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
from wtforms.validators import DataRequired, Length, Optional, StopValidation

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


# --- Time zones -------------------------------------------------------------------------------

ZONE_REFUSAL = _l("Choose a time zone from the list, like Europe/Madrid.")
# What a person may type for a zone: its name in any case, spaces for underscores.
_ZONE_NAMES = {zone.lower(): zone for zone in TIME_ZONES}
_KNOWN_ZONES = frozenset(TIME_ZONES)


def _zone_name(text: Any) -> Any:
    """The zone's own spelling for ``europe/madrid`` or ``America/New York``."""
    if not isinstance(text, str):
        return text
    typed = text.strip()
    return _ZONE_NAMES.get(typed.lower().replace(" ", "_"), typed)


def _known_zone(form: Any, field: Any) -> None:
    if not field.raw_data:
        raise StopValidation  # left out of the post (not from the page): keep what it holds
    if field.data not in _KNOWN_ZONES:
        raise StopValidation(str(ZONE_REFUSAL))


class TimeZoneField(StringField):
    """A time zone chosen from a searchable list: a text input with a ``<datalist>`` of every
    IANA zone (render it with ``zone_field`` of ``_field.html``). ``static/zone.js`` fills it
    with the browser's zone while it is empty, and offers the browser's zone where another is
    chosen; without the script a person types or picks one. Anything but a listed zone is
    refused with :data:`ZONE_REFUSAL` (``refuse=False`` leaves that to the API's model checked
    by ``schedule_forms.validate_form``, which says it in the same words, so that the form's
    other errors show at the same time); a field left out of the post keeps its value."""

    zones = TIME_ZONES

    def __init__(self, label: Any = None, *, refuse: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        checks = [_known_zone] if refuse else []
        super().__init__(label, validators=checks, filters=[_zone_name], **kwargs)

    def __call__(self, **kwargs: Any) -> Any:
        kwargs.setdefault("list", f"{self.id}-zones")
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("spellcheck", "false")
        kwargs.setdefault("data-browser-zone", "")
        return super().__call__(**kwargs)


# --- The team's stamps and receipts -----------------------------------------------------------
