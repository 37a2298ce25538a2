"""Forms of the pages (Flask-WTF: every POST form carries its CSRF token).

They read what a person types; the API's input models (``ShopIn``, ``TaskIn``...) then check
it, so a page and the API accept exactly the same things.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from stampbook.rewards.rules import SortOrder

MAX_POINTS = 10**12
COLOR_HELP = "Optional, as #rrggbb, e.g. #6f4e37."


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """A select's options from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something and carries nothing but its CSRF token."""


class PasswordChangeForm(FlaskForm):  # type: ignore[misc]
    old_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=10, max=1024, message="Use at least 10 characters (1024 at most)."),
        ],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", message="The two passwords differ.")],
    )


class MemberStampForm(FlaskForm):  # type: ignore[misc]
    """The team stamps a member found by the search: which task, for which membership."""

    membership_id = IntegerField(validators=[DataRequired()])
    task_id = IntegerField("Task", validators=[DataRequired()])
    quantity = IntegerField(
        "How many", default=1, validators=[Optional(), NumberRange(min=1, max=1000)]
    )


class CancelForm(FlaskForm):  # type: ignore[misc]
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])


REWARD_SORTS = [
    (SortOrder.DEFAULT.value, "Favourites and redeemable first"),
    (SortOrder.COST.value, "Cheapest first"),
    (SortOrder.COST_DESC.value, "Dearest first"),
    (SortOrder.NAME.value, "Name"),
    (SortOrder.NEWEST.value, "Newest first"),
]
