"""Forms of the webhook pages; the API's own models check what they hold."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from stampbook.core.schemas import MAX_URL
from stampbook.ui.forms import options
from stampbook.webhooks.rules import SHOP_TYPES
from stampbook.webhooks.words import EVENT_TYPE_WORDS


class CheckboxesField(SelectMultipleField):
    """Several choices, each a labelled checkbox."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):  # type: ignore[misc]
    url = URLField(
        _l("Address (URL)"),
        validators=[DataRequired(), Length(max=MAX_URL)],
        description=_l("Where messages are sent: an https:// address on the internet."),
    )
    description = StringField(_l("Description"), validators=[Optional(), Length(max=280)])
    event_types = CheckboxesField(
        _l("What to send"),
        choices=options((t, EVENT_TYPE_WORDS.get(t, t)) for t in SHOP_TYPES),
        description=_l("None ticked sends everything."),
    )


class EditEndpointForm(EndpointForm):
    enabled = BooleanField(_l("Enabled"))
