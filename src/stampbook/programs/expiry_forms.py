"""The program form's part for pending points and expiry (``programs.expiring``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from stampbook.programs.models import ExpiryMode
from stampbook.ui.forms import options

EXPIRY_FIELDS = (
    "pending_days",
    "expiry_mode",
    "expiry_days",
    "expiry_warning_days",
    "expiry_last_chance_days",
)


class ExpiryFields:
    pending_days = IntegerField(
        _l("Days an order's points stay pending"),
        validators=[Optional(), NumberRange(min=1, max=90)],
        description=_l(
            "The return window, 1 to 90 days: members see the points but cannot spend them, "
            "and a refund cancels them. Empty: at once. A change holds only later orders."
        ),
    )
    expiry_mode = SelectField(
        _l("Points expire"),
        choices=options(
            [
                (ExpiryMode.NEVER, _l("Never")),
                (ExpiryMode.AFTER_DAYS, _l("A number of days after they are earned")),
                (ExpiryMode.MONTH_END, _l("At the end of the month, that many days later")),
                (ExpiryMode.YEAR_END, _l("At the end of the year, that many days later")),
                (ExpiryMode.INACTIVITY, _l("All of them, after that many days without activity")),
            ]
        ),
        default=ExpiryMode.NEVER,
        description=_l(
            "Turning expiry on starts every member's clock today; turning it off gives back "
            "nothing that already expired. Points are spent soonest-expiring first."
        ),
    )
    expiry_days = IntegerField(_l("Days"), validators=[Optional(), NumberRange(min=0, max=3650)])
    expiry_warning_days = IntegerField(
        _l("First reminder, days before"),
        validators=[Optional(), NumberRange(min=1, max=365)],
        default=30,
    )
    expiry_last_chance_days = IntegerField(
        _l("Last-chance reminder, days before"),
        validators=[Optional(), NumberRange(min=1, max=365)],
        default=3,
    )
