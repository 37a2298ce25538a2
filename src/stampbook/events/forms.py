"""The door's forms: a ticket code typed (or read by the camera) with the scan's nonce, so a
form sent twice checks the ticket in once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from stampbook.ui.forms import ActionForm


class CheckInForm(ActionForm):
    ticket_code = StringField(_l("Ticket code"), validators=[DataRequired(), Length(max=64)])
    nonce = HiddenField(validators=[Length(max=64)])
