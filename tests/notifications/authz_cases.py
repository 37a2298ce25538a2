"""The notifications domain's part of the authorization suites (tests/reliability/authz_*.py):
the member's notice, a template's kind, channel and language, an unsubscribe token."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.notifications.links import unsubscribe_token
from tests.factories.notifications import make_notification


def notification_objects(
    app: Flask, session: Session, users: dict[str, User], shop_id: int
) -> dict[str, Any]:
    """The member's notice (theirs alone to mark read), a template of the shop, and the
    member's unsubscribe token for the shop's news (strings where the URL takes words)."""
    with app.app_context():
        token = unsubscribe_token(users["member"].id, shop_id, "shop_news")
    return {
        "notification": make_notification(session, users["member"]).id,
        "template_kind": "redemption_receipt",
        "template_channel": "email",
        "template_language": "es",
        "unsubscribe_token": token,
    }


TEMPLATE_BODY = {"subject": "Hola {{ user_name }}", "body": "Tu recibo: {{ reward_name }}"}
PREVIEW_BODY = {"kind": "redemption_receipt", "channel": "email", "language": "en", **TEMPLATE_BODY}
PREFERENCES_BODY = {"preferences": [{"kind": "new_message", "channel": "email", "enabled": True}]}
