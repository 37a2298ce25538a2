"""Forms of the program and task pages: programs, tasks with every option, per-member
overrides, stamps and their notes, and the filters of points histories and member lists.

Like ``forms.py``: they read what a person types, and the API's input models (``ProgramIn``,
``TaskIn``, ``TaskPatch``, ``OverrideIn``...) then check it, so a page and the API accept the
same things. Lists of bonuses are rows of small forms; a "more rows" button adds one without
JavaScript.
"""

from __future__ import annotations

import re
from typing import Any

from babel.numbers import get_currency_name
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from stampbook.core.money import DEFAULT_CURRENCY, currencies
from stampbook.programs.expiry_forms import EXPIRY_FIELDS, ExpiryFields
from stampbook.programs.models import (
    POINTS_NAME_MAX,
    MembershipMode,
    MembershipRole,
    MembershipStatus,
    ProgramPrivacy,
    StampSystem,
)
from stampbook.programs.schemas import POINTS_NAME_PATTERN
from stampbook.ui.forms import IDENTITY_FIELDS, IdentityFields, options

# --- Programs -------------------------------------------------------------------------------

# Offered first in the currency list; the rest follow by code.
COMMON_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "MXN")

# Shown under "Who stamps", and again when a self-stamped program is created.
SELF_STAMPING_HINT = _l(
    "Members who stamp themselves (or each other) can give stamps at will: give each task a "
    "limit, such as once a day, opening hours or a maximum number of stamps."
)


def _plain_name(form: Any, field: Any) -> None:
    """A name of the points is shown as typed: plain text of one line (as ``PointsName``)."""
    if re.fullmatch(POINTS_NAME_PATTERN, field.data or "x") is None:
        raise ValidationError(str(_l("Plain text of one line, without < or >.")))


def _stripped(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


def _both_names(form: Any, field: Any) -> None:
    if bool(form.points_currency_singular.data) != bool(field.data):
        raise StopValidation(str(_l("Give both names, or leave both empty.")))


class ProgramForm(IdentityFields, ExpiryFields, FlaskForm):  # type: ignore[misc]
    privacy_mode = SelectField(
        _l("Who sees the program"),
        choices=options(
            [
                (ProgramPrivacy.PUBLIC, _l("Whoever sees the shop")),
                (ProgramPrivacy.MEMBERS, _l("Its members")),
                (ProgramPrivacy.PRIVATE, _l("The team")),
            ]
        ),
        default=ProgramPrivacy.PUBLIC,
    )
    membership_mode = SelectField(
        _l("Who may join"),
        choices=options(
            [
                (MembershipMode.PUBLIC, _l("Anyone who sees it")),
                (MembershipMode.INVITE, _l("By invitation")),
                (MembershipMode.PERSONAL, _l("Nobody: a personal tracker")),
            ]
        ),
        default=MembershipMode.PUBLIC,
    )
    stamp_system_type = SelectField(
        _l("Who stamps"),
        choices=options(
            [
                (StampSystem.STAMPERS, _l("Only the team and stampers")),
                (StampSystem.SELF, _l("Members stamp themselves")),
                (StampSystem.MEMBERS, _l("Members stamp each other")),
            ]
        ),
        default=StampSystem.STAMPERS,
        description=SELF_STAMPING_HINT,
    )
    currency = SelectField(
        _l("Currency"),
        default=DEFAULT_CURRENCY,
        description=_l("What its orders and its purchase rule are priced in."),
    )
    points_currency_singular = StringField(
        _l("Your name for one point"),
        validators=[Optional(), Length(max=POINTS_NAME_MAX), _plain_name],
        filters=[_stripped],
        description=_l(
            "E.g. star: members then read “1 star”. Leave both names empty to say point."
        ),
    )
    points_currency_plural = StringField(
        _l("Your name for several points"),
        validators=[_both_names, Optional(), Length(max=POINTS_NAME_MAX), _plain_name],
        filters=[_stripped],
        description=_l("E.g. stars: “5 stars”."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency.choices = currency_options()


def currency_options() -> list[tuple[str, str]]:
    """Every ISO 4217 currency, named in the reader's language: the common ones first."""
    locale = str(get_locale() or "en")
    rest = sorted(currencies() - set(COMMON_CURRENCIES))
    return [
        (code, f"{code} · {get_currency_name(code, locale=locale)}")
        for code in (*COMMON_CURRENCIES, *rest)
    ]


PROGRAM_FIELDS = (
    *IDENTITY_FIELDS,
    "privacy_mode",
    "membership_mode",
    "stamp_system_type",
    "currency",
    "points_currency_singular",
    "points_currency_plural",
    *EXPIRY_FIELDS,
)


class HistoryFilterForm(FlaskForm):  # type: ignore[misc]
    """A GET form: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (included)"), validators=[Optional()])


# A membership's status, for the lists' filters ("": any).
MEMBERSHIP_STATUSES = [
    ("", _l("Every status")),
    (MembershipStatus.ACTIVE.value, _l("Active")),
    (MembershipStatus.INVITED.value, _l("Invited")),
    (MembershipStatus.LEFT.value, _l("Left")),
    (MembershipStatus.REMOVED.value, _l("Removed")),
    (MembershipStatus.ARCHIVED.value, _l("Archived")),
]


class MemberFilterForm(FlaskForm):  # type: ignore[misc]
    """The team's choice of which members to list (a GET form, no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=options(MEMBERSHIP_STATUSES), default="")


# --- Stamps ---------------------------------------------------------------------------------


# --- Tasks ----------------------------------------------------------------------------------


MEMBERSHIP_ROLES = [
    (MembershipRole.MEMBER.value, _l("Member")),
    (MembershipRole.STAMPER.value, _l("Stamper")),
    (MembershipRole.ASSISTANT.value, _l("Assistant")),
    (MembershipRole.MANAGER.value, _l("Manager")),
]


class MemberRoleForm(FlaskForm):  # type: ignore[misc]
    role_type = SelectField(_l("Role in the program"), choices=options(MEMBERSHIP_ROLES))


class CustomerForm(FlaskForm):  # type: ignore[misc]
    """An unclaimed customer: someone without an account yet, known by email or shop id."""

    email = EmailField(
        _l("Their email"),
        validators=[Optional(), Length(max=254)],
        description=_l("Their points wait for the account that will hold this address."),
    )
    external_id = StringField(
        _l("Or your own customer number"),
        validators=[Optional(), Length(max=100)],
        description=_l("E.g. the customer's id in your till or web shop."),
    )


class ProgramInviteForm(FlaskForm):  # type: ignore[misc]
    """Shown beside the customer form: its ids differ from that form's."""

    email = EmailField(
        _l("Their email"), validators=[DataRequired(), Length(max=254)], id="invite-email"
    )
    role_type = SelectField(
        _l("Role in the program"),
        choices=options(MEMBERSHIP_ROLES),
        default=MembershipRole.MEMBER.value,
        id="invite-role",
    )
