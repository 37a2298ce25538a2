"""Reads of outgoing webhooks: loaders that check the caller may manage them, and lists."""

from __future__ import annotations

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.pagination import PageQuery, newest_first
from stampbook.core.policy import require
from stampbook.shops.models import Shop
from stampbook.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from stampbook.webhooks.policy import WebhookAction
from stampbook.webhooks.schemas import (
    WebhookAttemptOut,
    WebhookAttemptPage,
    WebhookEndpointOut,
    WebhookEndpointPage,
    WebhookMessageOut,
    WebhookMessagePage,
)


def load_shop(actor: User | None, shop_id: int) -> Shop:
    """The shop whose webhooks ``actor`` manages (404 or 403 otherwise)."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(thing="shop")
    require(actor, WebhookAction.WEBHOOK_MANAGE, shop)
    return shop


def load_endpoint(actor: User | None, endpoint_id: int) -> tuple[WebhookEndpoint, Shop]:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(thing="webhook_endpoint")
    return endpoint, load_shop(actor, endpoint.shop_id)


def load_message(
    actor: User | None, message_id: int
) -> tuple[WebhookMessage, WebhookEndpoint, Shop]:
    message = db.session.get(WebhookMessage, message_id)
    if message is None:
        raise NotFound(thing="webhook_message")
    endpoint, shop = load_endpoint(actor, message.endpoint_id)
    return message, endpoint, shop


def endpoint_shop(actor: User | None, endpoint_id: int) -> Shop:
    """What acting on an endpoint is decided on: its shop (a route's ``subject``)."""
    return load_endpoint(actor, endpoint_id)[1]


def message_shop(actor: User | None, message_id: int) -> Shop:
    return load_message(actor, message_id)[2]


def endpoint_out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut.model_validate(endpoint)


def list_endpoints(actor: User | None, shop_id: int, page: PageQuery) -> WebhookEndpointPage:
    load_shop(actor, shop_id)
    query = select(WebhookEndpoint).where(WebhookEndpoint.shop_id == shop_id)
    items, cursor = newest_first(query, WebhookEndpoint.id, page)
    return WebhookEndpointPage(items=[endpoint_out(e) for e in items], next_cursor=cursor)


def list_messages(actor: User | None, endpoint_id: int, page: PageQuery) -> WebhookMessagePage:
    load_endpoint(actor, endpoint_id)
    query = select(WebhookMessage).where(WebhookMessage.endpoint_id == endpoint_id)
    items, cursor = newest_first(query, WebhookMessage.id, page)
    return WebhookMessagePage(items=[WebhookMessageOut.of(m) for m in items], next_cursor=cursor)


def list_attempts(
    actor: User | None, endpoint_id: int, page: PageQuery, *, message_id: int | None = None
) -> WebhookAttemptPage:
    """The endpoint's attempts, newest first (one message's, given ``message_id``)."""
    load_endpoint(actor, endpoint_id)
    query = select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id)
    if message_id is not None:
        query = query.where(WebhookAttempt.message_id == message_id)
    items, cursor = newest_first(query, WebhookAttempt.id, page)
    found = select(WebhookMessage.id, WebhookMessage.msg_id).where(
        WebhookMessage.id.in_({a.message_id for a in items})
    )
    msg_ids = {row.id: row.msg_id for row in db.session.execute(found)}
    return WebhookAttemptPage(
        items=[
            WebhookAttemptOut(
                id=a.id,
                message_id=a.message_id,
                msg_id=msg_ids[a.message_id],
                endpoint_id=a.endpoint_id,
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                response=a.response,
                error=a.error,
                duration_ms=a.duration_ms,
                next_attempt_at=a.next_attempt_at,
            )
            for a in items
        ],
        next_cursor=cursor,
    )


def latest_messages(endpoint_id: int, limit: int) -> list[WebhookMessage]:
    """The endpoint's latest messages (its page shows them with their attempts)."""
    query = (
        select(WebhookMessage)
        .where(WebhookMessage.endpoint_id == endpoint_id)
        .order_by(WebhookMessage.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def attempts_of(message_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    """Each message's attempts, newest first."""
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in message_ids}
    query = (
        select(WebhookAttempt)
        .where(WebhookAttempt.message_id.in_(message_ids))
        .order_by(WebhookAttempt.id.desc())
    )
    for attempt in db.session.scalars(query):
        found[attempt.message_id].append(attempt)
    return found
