"""Use cases of outgoing webhooks: endpoints (with their secrets), replays and test
messages. Each checks ``webhook.manage`` on the endpoint's shop; none calls out: a message
is sent by ``delivery``'s job after commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete

from stampbook.accounts.models import User
from stampbook.core import clock, egress
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.unit_of_work import after_commit
from stampbook.webhooks import delivery, queries, rules
from stampbook.webhooks.models import (
    DisabledReason,
    MessageStatus,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)
from stampbook.webhooks.schemas import WebhookEndpointOut, WebhookMessageOut


def create_endpoint(
    actor: User,
    shop_id: int,
    *,
    url: str,
    event_types: list[str],
    description: str | None = None,
) -> WebhookEndpointOut:
    queries.load_shop(actor, shop_id)
    endpoint = WebhookEndpoint(
        shop_id=shop_id,
        url=egress.check_url(url),
        event_types=list(event_types),
        description=description,
        secret=rules.new_secret(),
        enabled=True,
    )
    db.session.add(endpoint)
    db.session.flush()
    return queries.endpoint_out(endpoint)


def update_endpoint(actor: User, endpoint_id: int, changes: dict[str, Any]) -> WebhookEndpointOut:
    endpoint, _shop = queries.load_endpoint(actor, endpoint_id)
    if "url" in changes:
        endpoint.url = egress.check_url(changes["url"])
    if "event_types" in changes:
        endpoint.event_types = list(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "enabled" in changes and changes["enabled"] != endpoint.enabled:
        endpoint.enabled = changes["enabled"]
        # Turned back on, it starts afresh; turned off, the team did it.
        endpoint.disabled_reason = None if endpoint.enabled else DisabledReason.MANUAL
        endpoint.failing_since = None
    db.session.flush()
    return queries.endpoint_out(endpoint)


def delete_endpoint(actor: User, endpoint_id: int) -> None:
    """The endpoint goes with its messages and their attempts."""
    endpoint, _shop = queries.load_endpoint(actor, endpoint_id)
    db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint.id))
    db.session.execute(delete(WebhookMessage).where(WebhookMessage.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.flush()


def rotate_secret(
    actor: User, endpoint_id: int, *, now: datetime | None = None
) -> WebhookEndpointOut:
    """A new secret; the one it replaces still signs (both signatures are sent) for the
    grace period, so receivers can switch without losing a message."""
    endpoint, _shop = queries.load_endpoint(actor, endpoint_id)
    now = now or clock.now()
    grace = timedelta(hours=current_app.config["WEBHOOKS_SECRET_GRACE_HOURS"])
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, now + grace
    endpoint.secret = rules.new_secret()
    db.session.flush()
    return queries.endpoint_out(endpoint)


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict(code="endpoint_disabled")


def replay_message(
    actor: User, message_id: int, *, now: datetime | None = None
) -> WebhookMessageOut:
    """A new series of attempts, starting now, with the same ``webhook-id`` and body."""
    message, endpoint, _shop = queries.load_message(actor, message_id)
    _require_enabled(endpoint)
    now = now or clock.now()
    message.status, message.attempts, message.next_attempt_at = MessageStatus.PENDING, 0, now
    db.session.flush()
    queued = message.id
    after_commit(lambda: delivery.deliver.enqueue(queued))
    return WebhookMessageOut.of(message)


def send_test(actor: User, endpoint_id: int, *, now: datetime | None = None) -> WebhookMessageOut:
    """A ``webhook.test`` message to this endpoint, whatever types it wants."""
    endpoint, shop = queries.load_endpoint(actor, endpoint_id)
    _require_enabled(endpoint)
    now = now or clock.now()
    data = {"shop_id": shop.id, "endpoint_id": endpoint.id}
    body = delivery.body_of(rules.TEST_TYPE, now, data)
    return WebhookMessageOut.of(delivery.new_message(endpoint.id, rules.TEST_TYPE, body, now))
