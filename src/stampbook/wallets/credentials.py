"""Which certificate and issuer a shop's passes use: the shop's own settings, field by field,
else the platform's (``WALLET_*`` in the config). A config value may be the PEM or JSON text
itself or the path of a file holding it (a certificate kept out of the environment)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from stampbook.wallets.models import WalletSettings


@dataclass(frozen=True)
class AppleCredentials:
    pass_type_id: str
    team_id: str
    certificate: str
    private_key: str
    wwdr_certificate: str


@dataclass(frozen=True)
class GoogleCredentials:
    issuer_id: str
    service_account: str


def _platform(name: str) -> str | None:
    value = current_app.config.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if not text.startswith(("-----", "{")) and len(text) < 4096:
        path = Path(text)
        if path.is_file():
            return path.read_text()
    return text


def _pick(own: str | None, setting: str) -> str | None:
    return own if own else _platform(setting)


def apple(settings: WalletSettings | None) -> AppleCredentials | None:
    """The shop's Apple pass credentials, or None where any part is missing."""
    own = settings or WalletSettings()
    parts = (
        _pick(own.apple_pass_type_id, "WALLET_APPLE_PASS_TYPE_ID"),
        _pick(own.apple_team_id, "WALLET_APPLE_TEAM_ID"),
        _pick(own.apple_certificate, "WALLET_APPLE_CERTIFICATE"),
        _pick(own.apple_private_key, "WALLET_APPLE_PRIVATE_KEY"),
        _pick(own.apple_wwdr_certificate, "WALLET_APPLE_WWDR_CERTIFICATE"),
    )
    if not all(parts):
        return None
    return AppleCredentials(*(str(part) for part in parts))


def google(settings: WalletSettings | None) -> GoogleCredentials | None:
    own = settings or WalletSettings()
    issuer = _pick(own.google_issuer_id, "WALLET_GOOGLE_ISSUER_ID")
    account = _pick(own.google_service_account, "WALLET_GOOGLE_SERVICE_ACCOUNT")
    if not issuer or not account:
        return None
    return GoogleCredentials(issuer, account)
