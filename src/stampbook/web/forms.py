"""Forms of the pages (Flask-WTF: every POST form carries its CSRF token).

They read what a person types; the API's input models (``ShopIn``, ``TaskIn``...) then check
it, so a page and the API accept exactly the same things.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from stampbook.programs.models import MembershipMode, ProgramPrivacy, StampSystem
from stampbook.rewards.rules import SortOrder
from stampbook.shops.models import ShopPrivacy
from stampbook.tasks.models import TaskPrivacy
from stampbook.tasks.rules import StreakPeriod, TimeUnit

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


class ShopForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    summary = StringField("Summary", validators=[Optional(), Length(max=280)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    color = StringField("Colour", validators=[Optional()], description=COLOR_HELP)
    time_zone = StringField(
        "Time zone",
        default="UTC",
        validators=[DataRequired()],
        description="An IANA name, e.g. Europe/Madrid: days and opening hours are read in it.",
    )
    privacy_mode = SelectField(
        "Who sees the shop",
        choices=options(
            [
                (ShopPrivacy.PUBLIC, "Everyone (public)"),
                (ShopPrivacy.INVITE, "Invited people (invite only)"),
                (ShopPrivacy.PRIVATE, "The team only (private)"),
            ]
        ),
        default=ShopPrivacy.PUBLIC,
    )
    review_points = IntegerField(
        "Points per review",
        validators=[Optional(), NumberRange(min=1, max=MAX_POINTS)],
        description="Optional: what a member earns for reviewing an item.",
    )


class ProgramForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    summary = StringField("Summary", validators=[Optional(), Length(max=280)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    color = StringField("Colour", validators=[Optional()], description=COLOR_HELP)
    privacy_mode = SelectField(
        "Who sees the program",
        choices=options(
            [
                (ProgramPrivacy.PUBLIC, "Whoever sees the shop"),
                (ProgramPrivacy.MEMBERS, "Its members"),
                (ProgramPrivacy.PRIVATE, "The team"),
            ]
        ),
        default=ProgramPrivacy.PUBLIC,
    )
    membership_mode = SelectField(
        "Who may join",
        choices=options(
            [
                (MembershipMode.PUBLIC, "Anyone who sees it"),
                (MembershipMode.INVITE, "By invitation"),
                (MembershipMode.PERSONAL, "Nobody: a personal tracker"),
            ]
        ),
        default=MembershipMode.PUBLIC,
    )
    stamp_system_type = SelectField(
        "Who stamps",
        choices=options(
            [
                (StampSystem.SELF, "Members stamp themselves"),
                (StampSystem.MEMBERS, "Members stamp each other"),
                (StampSystem.STAMPERS, "Only the team and stampers"),
            ]
        ),
        default=StampSystem.SELF,
    )


class TaskForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    summary = StringField("Summary", validators=[Optional(), Length(max=280)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    privacy_mode = SelectField(
        "Who sees the task",
        choices=options(
            [
                (TaskPrivacy.PUBLIC, "Whoever sees the program"),
                (TaskPrivacy.MEMBERS, "Its members"),
                (TaskPrivacy.PRIVATE, "The team"),
            ]
        ),
        default=TaskPrivacy.PUBLIC,
    )
    point_value = IntegerField(
        "Points per stamp", default=1, validators=[DataRequired(), NumberRange(min=0)]
    )
    allows_partial = BooleanField("Partial stamps allowed")
    point_value_partial = IntegerField(
        "Points per partial stamp", validators=[Optional(), NumberRange(min=0)]
    )
    allows_multiple = BooleanField("One stamp may count several times")
    max_multiple = IntegerField(
        "Most times one stamp counts", validators=[Optional(), NumberRange(min=1, max=1000)]
    )
    target = IntegerField(
        "Target per member",
        validators=[Optional(), NumberRange(min=1)],
        description="Optional: no stamps beyond it.",
    )
    deadline = DateTimeLocalField(
        "Deadline",
        validators=[Optional()],
        description="Optional, in your time zone: no stamps from then on.",
    )
    frequency_quantity = IntegerField(
        "At most this many stamps", validators=[Optional(), NumberRange(min=1)]
    )
    frequency_span = IntegerField(
        "every", default=1, validators=[Optional(), NumberRange(min=1, max=366)]
    )
    frequency_unit = SelectField(
        "units of",
        choices=options((u.value, f"{u.value}s") for u in TimeUnit),
        default=TimeUnit.DAY.value,
    )
    first_time_bonus = IntegerField(
        "Bonus for a member's first stamp", validators=[Optional(), NumberRange(min=0)]
    )
    completion_bonus = IntegerField(
        "Bonus on reaching the target", validators=[Optional(), NumberRange(min=0)]
    )
    streak_length = IntegerField("Streak length", validators=[Optional(), NumberRange(min=1)])
    streak_period = SelectField(
        "Streak counted in",
        choices=options((p.value, f"{p.value}s") for p in StreakPeriod),
        default=StreakPeriod.DAY.value,
    )
    streak_points = IntegerField("Streak bonus points", validators=[Optional(), NumberRange(min=1)])
    streak_repeats = BooleanField("Pay the streak bonus again every time the length is reached")


# Schema fields (dotted) shown on the TaskForm fields that hold them.
TASK_FIELDS = {
    "frequency_settings.quantity": "frequency_quantity",
    "frequency_settings.time_unit_quantity": "frequency_span",
    "frequency_settings.time_unit": "frequency_unit",
    "frequency_settings": "frequency_quantity",
    "bonus_values.first_time_only": "first_time_bonus",
    "bonus_values.reach_total": "completion_bonus",
    "bonus_values.streaks.0.length": "streak_length",
    "bonus_values.streaks.0.points": "streak_points",
    "bonus_values.streaks.0.period": "streak_period",
    "bonus_values.streaks": "streak_length",
}


class RewardForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    summary = StringField("Summary", validators=[Optional(), Length(max=280)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    color = StringField("Colour", validators=[Optional()], description=COLOR_HELP)
    cost = IntegerField(
        "Cost in points",
        validators=[DataRequired(), NumberRange(min=1, max=MAX_POINTS)],
        description="For a group reward: the pot that members fill together.",
    )
    quantity = IntegerField(
        "Stock",
        validators=[Optional(), NumberRange(min=0, max=MAX_POINTS)],
        description="Leave empty for unlimited.",
    )
    user_limit = IntegerField(
        "Redemptions per member",
        validators=[Optional(), NumberRange(min=1, max=MAX_POINTS)],
        description="Leave empty for no limit.",
    )
    group_limit = IntegerField(
        "Redemptions for everyone together",
        validators=[Optional(), NumberRange(min=1, max=MAX_POINTS)],
        description="Leave empty for no limit.",
    )
    expiry_date = DateTimeLocalField(
        "Expires", validators=[Optional()], description="Optional, in your time zone."
    )
    is_group_reward = BooleanField("Group reward: members pool their points")
    is_giftable = BooleanField("May be given as a gift")


class RedeemForm(FlaskForm):  # type: ignore[misc]
    membership_id = SelectField("Pay with", coerce=int, validators=[DataRequired()])
    quantity = IntegerField(
        "How many", default=1, validators=[DataRequired(), NumberRange(min=1, max=1000)]
    )


class ContributeForm(FlaskForm):  # type: ignore[misc]
    membership_id = SelectField("Pay with", coerce=int, validators=[DataRequired()])
    points = IntegerField(
        "Points to put in", validators=[DataRequired(), NumberRange(min=1, max=MAX_POINTS)]
    )


class StampForm(FlaskForm):  # type: ignore[misc]
    membership_id = IntegerField(validators=[DataRequired()])
    quantity = IntegerField(
        "How many", default=1, validators=[Optional(), NumberRange(min=1, max=1000)]
    )
    partial = BooleanField("Partial")
    note = StringField("Note", validators=[Optional(), Length(max=500)])


class MemberStampForm(FlaskForm):  # type: ignore[misc]
    """The team stamps a member found by the search: which task, for which membership."""

    membership_id = IntegerField(validators=[DataRequired()])
    task_id = IntegerField("Task", validators=[DataRequired()])
    quantity = IntegerField(
        "How many", default=1, validators=[Optional(), NumberRange(min=1, max=1000)]
    )


class CancelForm(FlaskForm):  # type: ignore[misc]
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])


class ReceiptFilterForm(FlaskForm):  # type: ignore[misc]
    """A GET form: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    shop_id = SelectField("Shop", coerce=int, default=0)
    since = DateField("From", validators=[Optional()])
    until = DateField("To (included)", validators=[Optional()])


REWARD_SORTS = [
    (SortOrder.DEFAULT.value, "Favourites and redeemable first"),
    (SortOrder.COST.value, "Cheapest first"),
    (SortOrder.COST_DESC.value, "Dearest first"),
    (SortOrder.NAME.value, "Name"),
    (SortOrder.NEWEST.value, "Newest first"),
]
