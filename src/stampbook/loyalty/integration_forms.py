"""The store connection page's form; the API's own model (``IntegrationIn``) checks what it
holds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class StoreForm(FlaskForm):  # type: ignore[misc]
    shop_domain = StringField(
        _l("Store domain"),
        validators=[DataRequired(), Length(max=255)],
        description=_l("As the store's admin shows it, e.g. corner-cafe.myshopify.com."),
    )
    secret = PasswordField(
        _l("API secret key"),
        validators=[DataRequired(), Length(max=255)],
        description=_l(
            "The app's API secret key, from its credentials in Shopify: it signs the store's "
            "webhooks. It is kept to check them and never shown again."
        ),
    )
    program_id = SelectField(
        _l("Points program"),
        coerce=int,
        description=_l("The program the store's customers earn in."),
    )
