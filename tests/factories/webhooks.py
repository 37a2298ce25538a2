"""Webhook endpoints for tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from stampbook.shops.models import Shop
from stampbook.webhooks import rules
from stampbook.webhooks.models import MessageStatus, WebhookEndpoint, WebhookMessage


def make_endpoint(session: Session, shop: Shop, url: str, **fields: Any) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        shop_id=shop.id,
        url=url,
        event_types=fields.pop("event_types", []),
        secret=fields.pop("secret", None) or rules.new_secret(),
        enabled=fields.pop("enabled", True),
        **fields,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def make_message(
    session: Session, endpoint: WebhookEndpoint, now: datetime, **fields: Any
) -> WebhookMessage:
    """A pending test message due at ``now`` (no job queued: tests send it themselves)."""
    message = WebhookMessage(
        endpoint_id=endpoint.id,
        msg_id=rules.new_msg_id(),
        type=fields.pop("type", rules.TEST_TYPE),
        body=fields.pop("body", "{}"),
        status=fields.pop("status", MessageStatus.PENDING),
        attempts=fields.pop("attempts", 0),
        next_attempt_at=fields.pop("next_attempt_at", now),
        created_at=now,
        **fields,
    )
    session.add(message)
    session.flush()
    return message
