"""The team's customer pages' forms: a CSV file to import, a search of the customers, and the
points activity's filter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional


class ImportForm(FlaskForm):  # type: ignore[misc]
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose the CSV file to import."))],
        description=_l("UTF-8 CSV whose first row names its columns."),
    )


class CustomerSearchForm(FlaskForm):  # type: ignore[misc]
    """A GET form: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name, email or store id"),
        validators=[Optional(), Length(max=100)],
        description=_l("Part of the name, the start of the email, or the whole store id."),
    )


class ActivityFilterForm(FlaskForm):  # type: ignore[misc]
    """A GET form: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    customer = StringField(
        _l("Customer"),
        validators=[Optional(), Length(max=254)],
        description=_l("Their email or store id; empty for everyone."),
    )
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (included)"), validators=[Optional()])
