"""The API keys page's form; the API's own model (``ApiKeyIn``) checks what it holds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from stampbook.apikeys.words import ACCESS_WORDS
from stampbook.ui.forms import options


class ApiKeyForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("What the key is for, e.g. the online store."),
    )
    access = SelectField(
        _l("What it may do"),
        choices=options(ACCESS_WORDS.items()),
        default="read",
        description=_l(
            "Read only: see programs, members, balances and rewards. Read and write: also add "
            "customers and adjust points."
        ),
    )
