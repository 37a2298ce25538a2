"""Web forms of accounts (Flask-WTF: CSRF token included)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from stampbook.accounts.models import Privacy, Section
from stampbook.accounts.phones import E164
from stampbook.accounts.schemas import DAYS_OF_THE_YEAR
from stampbook.core.schemas import MAX_ORDERED
from stampbook.people.page_order import OrderChoices
from stampbook.ui.forms import (
    IdentityFields,
    TimeZoneField,
    color_field,
    icon_field,
    options,
    summary_field,
)

COLOR = r"^#[0-9a-fA-F]{6}$"
# What people type between a number's digits: "+34 600 12-34-56", "+1 (555) 010.9999".
PHONE_SEPARATORS = re.compile(r"[\s().-]")
PRIVACY_LEVELS = [
    (Privacy.PUBLIC.value, _l("Everyone")),
    (Privacy.MEMBERS.value, _l("My buddies and the people in my shops")),
    (Privacy.FRIENDS.value, _l("My buddies only")),
    (Privacy.PRIVATE.value, _l("Only me")),
]
MESSAGE_LEVELS = [
    (Privacy.PUBLIC.value, _l("Everyone")),
    (Privacy.MEMBERS.value, _l("My buddies and the people in my shops")),
    (Privacy.FRIENDS.value, _l("My buddies only")),
    (Privacy.PRIVATE.value, _l("Nobody (people I write to may still answer)")),
]
SECTION_LABELS = {
    Section.PAGE: _l("My page"),
    Section.BUDDIES: _l("My buddies"),
    Section.SHOPS: _l("Shops, programs, tasks and rewards I created or help run"),
    Section.MEMBERSHIPS: _l("Programs I am in, with my points"),
    Section.TASK_HISTORY: _l("My stamp history"),
    Section.REDEMPTIONS: _l("Rewards I redeemed or put points toward"),
    Section.FAVORITES: _l("My starred rewards"),
    Section.MESSAGES: _l("Who may write to me first"),
}
SECTION_HELP = {
    Section.PAGE: _l("Whoever may not see your page sees none of it."),
    Section.MESSAGES: _l("Anyone may answer a message you sent them."),
}


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class RegisterForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(min=10, max=1024, message=_l("Use at least 10 characters (1024 at most).")),
        ],
        description=_l("At least 10 characters."),
    )
    time_zone = TimeZoneField(
        _l("Time zone"),
        description=_l(
            "Times are shown in it and your days count in it. Filled in from this device; "
            "type to search the list, e.g. Madrid."
        ),
    )


class PasswordChangeForm(FlaskForm):  # type: ignore[misc]
    old_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=1024)]
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=10, max=1024, message=_l("Use at least 10 characters (1024 at most).")),
        ],
        description=_l("At least 10 characters."),
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


class ProfileForm(IdentityFields, FlaskForm):  # type: ignore[misc]
    summary = summary_field(_l("One line about you, shown under your name."))
    description = TextAreaField(
        _l("About me"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 4}
    )
    color = color_field(Regexp(COLOR, message=_l("Write the colour as #rrggbb, e.g. #6f4e37.")))
    icon = icon_field(_l("Optional: an emoji or a short word, e.g. ☕."))
    time_zone = TimeZoneField(
        _l("Time zone"),
        description=_l(
            "Times on every page are shown in it; streaks and days count in it. Type to "
            "search the list, e.g. Madrid."
        ),
    )
    phone = TelField(
        _l("Phone for text messages"),
        filters=[lambda typed: PHONE_SEPARATORS.sub("", typed) if typed else typed],
        validators=[
            Optional(),
            Regexp(
                E164,
                message=_l("Write the number with its country code, e.g. +34 600 123 456."),
            ),
        ],
        render_kw={"autocomplete": "tel"},
        description=_l(
            "Optional, and seen by you alone: notices you choose to get by text message come to it."
        ),
    )
    birthday = StringField(
        _l("Birthday"),
        validators=[
            Optional(),
            AnyOf(DAYS_OF_THE_YEAR, message=_l("Write the month and day as MM-DD, e.g. 07-14.")),
        ],
        render_kw={"placeholder": "MM-DD", "inputmode": "numeric"},
        description=_l(
            "Optional, month and day only, seen by you alone: shops with birthday points give "
            "them on it."
        ),
    )


class PrivacyForm(FlaskForm):  # type: ignore[misc]
    """One select per section of ``Section`` (the field is named after the section)."""

    page = SelectField(
        SECTION_LABELS[Section.PAGE],
        choices=options(PRIVACY_LEVELS),
        description=SECTION_HELP[Section.PAGE],
    )
    buddies = SelectField(SECTION_LABELS[Section.BUDDIES], choices=options(PRIVACY_LEVELS))
    shops = SelectField(SECTION_LABELS[Section.SHOPS], choices=options(PRIVACY_LEVELS))
    memberships = SelectField(SECTION_LABELS[Section.MEMBERSHIPS], choices=options(PRIVACY_LEVELS))
    task_history = SelectField(
        SECTION_LABELS[Section.TASK_HISTORY], choices=options(PRIVACY_LEVELS)
    )
    redemptions = SelectField(SECTION_LABELS[Section.REDEMPTIONS], choices=options(PRIVACY_LEVELS))
    favorites = SelectField(SECTION_LABELS[Section.FAVORITES], choices=options(PRIVACY_LEVELS))
    messages = SelectField(
        SECTION_LABELS[Section.MESSAGES],
        choices=options(MESSAGE_LEVELS),
        description=SECTION_HELP[Section.MESSAGES],
    )


def order_form(choices: OrderChoices) -> FlaskForm:
    """A position box for each of my shops (``shop_<id>``) and each task of my programs
    (``task_<id>``), prefilled with the order they have now."""

    class OrderForm(FlaskForm):  # type: ignore[misc]
        pass

    def position(label: str, default: int) -> Any:
        return IntegerField(
            label,
            default=default,
            validators=[Optional(), NumberRange(min=1, max=MAX_ORDERED)],
            render_kw={"inputmode": "numeric"},
        )

    for place, (shop_id, name) in enumerate(choices.shops, 1):
        setattr(OrderForm, f"shop_{shop_id}", position(name, place))
    for program in choices.programs:
        for place, (task_id, name) in enumerate(program.tasks, 1):
            setattr(OrderForm, f"task_{task_id}", position(name, place))
    return OrderForm()


class StarredShopForm(FlaskForm):  # type: ignore[misc]
    shop_id = SelectField(_l("My starred shop"), coerce=int, default=0)


class EmailForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("New email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=1024)],
        description=_l("To confirm that it is you."),
    )


class DeleteAccountForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    confirm = BooleanField(
        _l("I understand: my account is deleted for good."),
        validators=[DataRequired(message=_l("Tick this box to confirm."))],
    )


class PasswordResetRequestForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class PasswordResetForm(FlaskForm):  # type: ignore[misc]
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=10, max=1024, message=_l("Use at least 10 characters (1024 at most).")),
        ],
        description=_l("At least 10 characters."),
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )
