"""Notifications for tests: in-app notices as the consumer writes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.notifications.models import MarketingConsent, Notification


def make_notification(session: Session, user: User, **fields: Any) -> Notification:
    values: dict[str, Any] = {
        "kind": "new_message",
        "title": "New message from Bruno",
        "body": "Read it in your messages.",
        "link": "/messages",
        **fields,
    }
    notification = Notification(user_id=user.id, **values)
    session.add(notification)
    session.flush()
    return notification


def consent(session: Session, user: User, shop_id: int) -> MarketingConsent:
    row = MarketingConsent(user_id=user.id, shop_id=shop_id)
    session.add(row)
    session.flush()
    return row
