"""The form of a correction of points by hand."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from stampbook.ledger.book import MAX_AMOUNT

KEY_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class AdjustForm(FlaskForm):  # type: ignore[misc]
    """Points added or removed by hand, with the reason."""

    amount = IntegerField(
        _l("Points"),
        validators=[InputRequired(), NumberRange(min=-MAX_AMOUNT, max=MAX_AMOUNT)],
        description=_l("Positive to add, negative to remove."),
    )
    note = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
