"""The team's wallet settings form. The API's own model (``WalletSettingsIn``) checks what is
typed. The two secrets are never put back in the form: left empty, the stored one stays;
"remove" removes it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, Optional

_PEM = _l("PEM text, from -----BEGIN to -----END.")


class WalletSettingsForm(FlaskForm):  # type: ignore[misc]
    apple_pass_type_id = StringField(
        _l("Pass type identifier"),
        validators=[Optional(), Length(max=255)],
        description=_l("From Apple's developer account, e.g. pass.com.example.stampcard."),
    )
    apple_team_id = StringField(
        _l("Team identifier"),
        validators=[Optional(), Length(max=20)],
        description=_l("Ten letters and digits, from Apple's developer account."),
    )
    apple_certificate = TextAreaField(
        _l("Pass certificate"), validators=[Optional(), Length(max=10_000)], description=_PEM
    )
    apple_private_key = TextAreaField(
        _l("The certificate's private key"),
        validators=[Optional(), Length(max=10_000)],
        description=_l("Never shown again. Leave empty to keep the one saved."),
    )
    remove_apple_private_key = BooleanField(_l("Remove the saved private key"))
    apple_wwdr_certificate = TextAreaField(
        _l("Apple WWDR intermediate certificate"),
        validators=[Optional(), Length(max=10_000)],
        description=_PEM,
    )
    google_issuer_id = StringField(
        _l("Google Wallet issuer ID"),
        validators=[Optional(), Length(max=40)],
        description=_l("From the Google Pay & Wallet Console."),
    )
    google_service_account = TextAreaField(
        _l("Service account key (JSON)"),
        validators=[Optional(), Length(max=10_000)],
        description=_l("Never shown again. Leave empty to keep the one saved."),
    )
    remove_google_service_account = BooleanField(_l("Remove the saved service account key"))
    logo = FileField(
        _l("Logo for the passes"),
        description=_l(
            "A PNG file, at most 256 KiB and 1024 pixels a side; a wide logo (up to 480 x 150) "
            "fits the pass best. Leave empty to keep the one saved."
        ),
    )
    remove_logo = BooleanField(_l("Remove the saved logo"))
