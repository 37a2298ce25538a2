"""The wallets' use cases: a shop's settings, a member's Apple pass and Google link.

A membership's pass row (serial number, token, update tag) is made the first time the pass
or the link is asked for. Asking is a GET (a browser opens the ``.pkpass`` link), which runs
read-only: the row is made as work found due (``core.due``), in a short write of its own,
then the read runs again; ``INSERT ... ON CONFLICT DO NOTHING`` makes it once under
concurrency.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from stampbook.accounts.models import User
from stampbook.core import clock, due
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.policy import require
from stampbook.programs.models import Membership
from stampbook.shops.models import Shop
from stampbook.wallets import (
    credentials,
    google,
    images,
    packaging,
    queries,
    rules,
    signing,
    words,
)
from stampbook.wallets.models import WalletPass, WalletSettings
from stampbook.wallets.policy import WalletAction
from stampbook.wallets.schemas import WalletSettingsIn, WalletSettingsOut

DUE_KIND = "wallet_pass"
WEB_SERVICE_PATH = "/api/v1/wallet"
SECRETS = ("apple_private_key", "google_service_account")
PLAIN = (
    "apple_pass_type_id",
    "apple_team_id",
    "apple_certificate",
    "apple_wwdr_certificate",
    "google_issuer_id",
)


class WalletNotConfigured(Conflict):
    code, title = "wallet_not_configured", "Wallet not set up"


class KeyDoesNotMatch(Conflict):
    status, code, title = 422, "wallet_key_mismatch", "Key does not match the certificate"


class LogoInvalid(Conflict):
    status, code, title = 422, "wallet_logo_invalid", "Logo not usable"


# --- Settings ---------------------------------------------------------------------------------


def settings_out(shop: Shop, row: WalletSettings | None) -> WalletSettingsOut:
    own = row or WalletSettings()
    expires: datetime | None = None
    if own.apple_certificate:
        expires = signing.certificate(
            own.apple_certificate, "apple_certificate"
        ).not_valid_after_utc
    email = None
    if own.google_service_account:
        email = signing.service_account(own.google_service_account).client_email
    return WalletSettingsOut(
        shop_id=shop.id,
        apple_pass_type_id=own.apple_pass_type_id,
        apple_team_id=own.apple_team_id,
        apple_certificate=own.apple_certificate,
        apple_certificate_expires_at=expires,
        apple_private_key_set=bool(own.apple_private_key),
        apple_wwdr_certificate=own.apple_wwdr_certificate,
        google_issuer_id=own.google_issuer_id,
        google_service_account_set=bool(own.google_service_account),
        google_client_email=email,
        logo_set=row is not None and row.has_logo,
        logo_url=logo_url(shop, row),
        apple_ready=credentials.apple(row) is not None,
        google_ready=credentials.google(row) is not None,
    )


def get_settings(actor: User | None, shop_id: int) -> WalletSettingsOut:
    shop = queries.load_shop(shop_id)
    require(actor, WalletAction.SETTINGS, shop)
    return settings_out(shop, queries.settings_of(shop.id))


def _check(row: WalletSettings) -> None:
    """Each PEM and JSON readable, and the key the certificate's (a pass signed with another
    key would be refused by every phone)."""
    cert = (
        signing.certificate(row.apple_certificate, "apple_certificate")
        if row.apple_certificate
        else None
    )
    if row.apple_wwdr_certificate:
        signing.certificate(row.apple_wwdr_certificate, "apple_wwdr_certificate")
    key = signing.private_key(row.apple_private_key) if row.apple_private_key else None
    if cert is not None and key is not None:
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        mine = key.public_key().public_bytes(serialization.Encoding.DER, public)
        theirs = cert.public_key().public_bytes(serialization.Encoding.DER, public)
        if mine != theirs:
            raise KeyDoesNotMatch()
    if row.google_service_account:
        signing.service_account(row.google_service_account)


def _logo(encoded: str) -> bytes:
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise LogoInvalid() from error
    if images.logo_size(data) is None:
        raise LogoInvalid()
    return data


def put_settings(actor: User | None, shop_id: int, body: WalletSettingsIn) -> WalletSettingsOut:
    shop = queries.load_shop(shop_id)
    require(actor, WalletAction.SETTINGS, shop)
    row = queries.settings_of(shop.id)
    if row is None:
        row = WalletSettings(shop_id=shop.id)
        db.session.add(row)
    for name in PLAIN:
        value = getattr(body, name)
        setattr(
            row, name, value.strip() + "\n" if name.endswith("certificate") and value else value
        )
    for name in SECRETS:
        if name in body.model_fields_set:  # left out: the stored secret stays
            setattr(row, name, getattr(body, name))
    if "logo_png" in body.model_fields_set:  # left out: the stored logo stays
        row.logo_png = None if body.logo_png is None else _logo(body.logo_png)
    _check(row)
    db.session.flush()
    return settings_out(shop, row)


# --- Passes -----------------------------------------------------------------------------------


def make_passes(membership_ids: Sequence[int]) -> None:
    """Each membership's pass row, made once (a concurrent maker's row is kept)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    now = clock.now()
    for membership_id in membership_ids:
        db.session.execute(
            dialect.insert(WalletPass)
            .values(
                membership_id=membership_id,
                serial_number=secrets.token_hex(16),
                authentication_token=secrets.token_urlsafe(32),
                update_tag=rules.next_tag(0, now),
                updated_at=now.replace(microsecond=0),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["membership_id"])
        )


due.register(DUE_KIND, make_passes)


def pass_for(membership: Membership) -> WalletPass:
    """The membership's pass row, made the first time (see the module's text)."""
    found = queries.pass_of(membership.id)
    if found is None:
        due.settle(DUE_KIND, [membership.id])
        found = queries.pass_of(membership.id)
    assert found is not None
    return found


def web_service_url() -> str:
    config = current_app.config
    base = config.get("PUBLIC_URL") or (
        f"{config['PREFERRED_URL_SCHEME']}://{config.get('SERVER_NAME') or 'localhost:5000'}"
    )
    return base.rstrip("/") + WEB_SERVICE_PATH


def render(
    membership: Membership,
    wallet_pass: WalletPass,
    apple: credentials.AppleCredentials,
    settings: WalletSettings | None,
) -> bytes:
    """The ``.pkpass`` as it is now, with the logo of the shop's ``settings`` if it has one."""
    return packaging.pkpass(
        queries.card_of(membership, wallet_pass),
        apple,
        web_service_url=web_service_url(),
        labels=words.labels_by_language(),
        logo=settings.logo_png if settings is not None and settings.has_logo else None,
    )


def _membership(actor: User | None, membership_id: int) -> Membership:
    membership = queries.load_membership(membership_id)
    require(actor, WalletAction.PASS, membership)
    return membership


def apple_pass(actor: User | None, membership_id: int) -> tuple[bytes, WalletPass]:
    membership = _membership(actor, membership_id)
    _program, shop, _owner = queries.parts_of(membership)
    settings = queries.settings_of(shop.id)
    apple = credentials.apple(settings)
    if apple is None:
        raise WalletNotConfigured(wallet="Apple Wallet")
    wallet_pass = pass_for(membership)
    return render(membership, wallet_pass, apple, settings), wallet_pass


def logo_url(shop: Shop, settings: WalletSettings | None) -> str:
    """Where Google fetches the passes' logo: the logo the team uploaded (the wallets' pages
    serve it), else the shop's own picture where it has one on https, else the stamp on its
    colour (served where the uploaded logo would be)."""
    uploaded = settings is not None and settings.has_logo
    if not uploaded and shop.image_url and shop.image_url.startswith("https://"):
        return shop.image_url
    path = current_app.url_map.bind("").build("wallet_pages.shop_logo", {"shop_id": shop.id})
    return web_service_url().removesuffix(WEB_SERVICE_PATH) + path


def google_link(actor: User | None, membership_id: int) -> str:
    """The "Save to Google Wallet" link; the pass is then kept up to date at Google."""
    membership = _membership(actor, membership_id)
    program, shop, _owner = queries.parts_of(membership)
    settings = queries.settings_of(shop.id)
    found = credentials.google(settings)
    if found is None:
        raise WalletNotConfigured(wallet="Google Wallet")
    wallet_pass = pass_for(membership)
    card = queries.card_of(membership, wallet_pass)
    class_id, object_id = rules.google_ids(found.issuer_id, program.id, wallet_pass.serial_number)
    account = signing.service_account(found.service_account)
    origin = web_service_url().removesuffix(WEB_SERVICE_PATH)
    if wallet_pass.google_saved_at is None:
        due.settle(GOOGLE_DUE_KIND, [wallet_pass.id])
    return google.save_link(
        account,
        loyalty_class=rules.loyalty_class(
            card,
            class_id=class_id,
            logo_url=logo_url(shop, settings),
            program_id=program.id,
        ),
        loyalty_object=rules.loyalty_object(card, class_id=class_id, object_id=object_id),
        origins=[origin],
        now=int(clock.now().timestamp()),
    )


GOOGLE_DUE_KIND = "wallet_google_saved"


def _mark_google(pass_ids: Sequence[int]) -> None:
    """From now on the pass's object at Google is kept up to date (the member took the link;
    a PATCH of an object never saved answers 404 and is let go)."""
    now = clock.now()
    for wallet_pass in db.session.query(WalletPass).filter(WalletPass.id.in_(pass_ids)):
        if wallet_pass.google_saved_at is None:
            wallet_pass.google_saved_at = now


due.register(GOOGLE_DUE_KIND, _mark_google)
