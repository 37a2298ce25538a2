"""The store connection page's form; the API's own model (``IntegrationIn``) checks what it
holds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

ACCESS_TOKEN_HINT = _l(
    "Optional: the token of an app installed on the store with the write_discounts and "
    "read_discounts scopes. With it, redeeming a discount reward makes its code in the "
    "store; without it, the team honours the codes. It is never shown again."
)


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
    access_token = PasswordField(
        _l("Admin API access token"),
        validators=[Optional(), Length(max=255)],
        description=ACCESS_TOKEN_HINT,
    )


class TokenForm(FlaskForm):  # type: ignore[misc]
    """A connection's access token, given or replaced; the remove button clears it."""

    access_token = PasswordField(
        _l("Admin API access token"),
        validators=[Optional(), Length(max=255)],
        description=ACCESS_TOKEN_HINT,
    )
