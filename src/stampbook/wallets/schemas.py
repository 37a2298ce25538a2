"""The wallets' API shapes: a shop's wallet settings (``/shops/{id}/wallet-settings``: the
private key and the service account's key are write-only), a membership's Google Wallet link,
and the bodies of Apple's pass web service (``pushToken``, ``serialNumbers``, ``logs``), in
Apple's own names."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from stampbook.core.schemas import Input, Output

PassTypeId = Annotated[
    str,
    StringConstraints(min_length=6, max_length=255, pattern=r"^pass\.[A-Za-z0-9][A-Za-z0-9.-]*$"),
    Field(examples=["pass.com.example.stampcard"]),
]
TeamId = Annotated[
    str, StringConstraints(pattern=r"^[A-Z0-9]{10}$"), Field(examples=["A1B2C3D4E5"])
]
Pem = Annotated[
    str,
    StringConstraints(min_length=1, max_length=10_000),
    Field(description="PEM text (-----BEGIN ...-----)."),
]
IssuerId = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{1,30}$"), Field(examples=["3388000000022195611"])
]
LogoPng = Annotated[
    str,
    StringConstraints(min_length=4, max_length=350_000, pattern=r"^[A-Za-z0-9+/]+={0,2}$"),
    Field(
        description="The shop's logo for its passes: a PNG file (at most 256 KiB and 1024 "
        "pixels a side; a wide logo fits the pass best, up to 480 x 150), base64-encoded."
    ),
]
ServiceAccountJson = Annotated[
    str,
    StringConstraints(min_length=2, max_length=10_000),
    Field(description="The service account's JSON key file, as Google gives it."),
]


class WalletSettingsIn(Input):
    """The shop's wallet settings as a whole. The two secrets (``apple_private_key``,
    ``google_service_account``) are never shown back, and the logo is large: each left out
    keeps the stored one; null removes it."""

    apple_pass_type_id: PassTypeId | None = None
    apple_team_id: TeamId | None = None
    apple_certificate: Pem | None = None
    apple_private_key: Pem | None = None
    apple_wwdr_certificate: Pem | None = None
    google_issuer_id: IssuerId | None = None
    google_service_account: ServiceAccountJson | None = None
    logo_png: LogoPng | None = None


class WalletSettingsOut(Output):
    shop_id: int
    apple_pass_type_id: str | None
    apple_team_id: str | None
    apple_certificate: str | None
    apple_certificate_expires_at: datetime | None
    apple_private_key_set: bool = Field(description="Whether a private key is stored.")
    apple_wwdr_certificate: str | None
    google_issuer_id: str | None
    google_service_account_set: bool
    google_client_email: str | None
    logo_set: bool = Field(description="Whether the shop uploaded a logo for its passes.")
    logo_url: str = Field(
        description="The passes' logo as Google fetches it: the uploaded one, else the shop's "
        "picture on https, else a stamp on the shop's colour."
    )
    apple_ready: bool = Field(
        description="Passes can be made: the shop's or the platform's certificate is complete."
    )
    google_ready: bool


class GoogleLinkOut(Output):
    url: str = Field(description="https://pay.google.com/gp/v/save/<signed JWT>")


class PushTokenIn(Input):
    pushToken: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9]+$")  # noqa: N815


class UpdatedQuery(Input):
    passesUpdatedSince: str | None = Field(  # noqa: N815
        None, max_length=30, pattern=r"^[0-9]{1,18}$", description="A lastUpdated tag."
    )


class SerialNumbersOut(Output):
    serialNumbers: list[str]  # noqa: N815
    lastUpdated: str  # noqa: N815


class LogsIn(Input):
    logs: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(max_length=100)
