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


class SelfCheckInForm(ActionForm):
    """A member's own check-in: the door screen's code (from its QR code's link, or typed)."""

    door_code = StringField(_l("Door code"), validators=[DataRequired(), Length(max=64)])
    nonce = HiddenField(validators=[Length(max=64)])


class DoorSwitchForm(ActionForm):
    """Self check-in switched on ("1") or off (anything else) by the event's managers."""

    on = HiddenField()
