"""The counter's forms: a card code scanned or typed, and a reward redeemed for the member
found. (Stamping posts the tasks' own stamp form.)"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length

from stampbook.ui.forms import ActionForm


class CardCodeForm(ActionForm):
    card_code = StringField(_l("Card code"), validators=[DataRequired(), Length(max=64)])


class CounterRedeemForm(ActionForm):
    membership_id = IntegerField(validators=[DataRequired()])
    reward_id = IntegerField(validators=[DataRequired()])
