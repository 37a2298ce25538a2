"""The wallets' part of the authorization suites (tests/reliability/authz_*.py): the shop's
wallet settings (the test's pass certificate and Google service account) and the member's
pass, whose serial number the web service's routes are called with (without its token)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from stampbook.wallets.models import WalletPass, WalletSettings
from tests.wallets.certificates import PASS_TYPE_ID, apple_settings, google_settings

SERIAL = "a17b5e1a1a17b5e1a1a17b5e1a1a17b5"
DEVICE = "authzdeviceauthzdeviceauthzdevic"
PUSH = {"pushToken": "0123456789abcdef0123456789abcdef"}
LOGS = {"logs": ["A device's log line"]}


def wallet_objects(session: Session, shop_id: int, membership_id: int) -> dict[str, Any]:
    session.add(WalletSettings(shop_id=shop_id, **apple_settings(), **google_settings()))
    now = utcnow()
    session.add(
        WalletPass(
            membership_id=membership_id,
            serial_number=SERIAL,
            authentication_token="authz-token-authz-token-authz-token-authz-t",
            update_tag=1,
            updated_at=now.replace(microsecond=0),
        )
    )
    session.flush()
    return {"wallet_device": DEVICE, "pass_type": PASS_TYPE_ID, "pass_serial": SERIAL}


def settings_form(world: Any, role: str) -> dict[str, Any]:
    return apple_settings()


def page_objects(session: Session, shop_id: int) -> None:
    """The Spanish pages' (tests/ui/test_spanish_everywhere.py): the café's wallets set up, so
    the program's page shows the member's buttons and the settings page says it is ready."""
    session.add(WalletSettings(shop_id=shop_id, **apple_settings(), **google_settings()))
    session.flush()
