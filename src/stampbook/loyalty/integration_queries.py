"""Reads of store connections: loaders that check the caller may manage them, the API's
shape of a connection (never its secret), the webhook's address, and a shop's delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, request, url_for
from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.pagination import PageQuery, newest_first
from stampbook.loyalty.integration_schemas import IntegrationOut, IntegrationPage
from stampbook.loyalty.models import Integration, IntegrationDelivery
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.loyalty.shopify import SUBSCRIBED
from stampbook.shops import queries as shops_queries
from stampbook.shops.models import Shop

MANAGE = LoyaltyAction.INTEGRATIONS_MANAGE
# The webhook's endpoint (``loyalty.api``), named here for the address shown to merchants.
WEBHOOK_ENDPOINT = "loyalty.receive_shopify_webhook"


def load_shop(actor: User | None, shop_id: int) -> Shop:
    """The shop whose store connections ``actor`` may manage (404 or 403 otherwise)."""
    return shops_queries.load_shop(actor, shop_id, MANAGE)


def load_integration(actor: User | None, integration_id: int) -> tuple[Integration, Shop]:
    found = db.session.get(Integration, integration_id)
    if found is None:
        raise NotFound(thing="integration")
    return found, load_shop(actor, found.shop_id)


def load_integration_subject(integration_id: int) -> Shop | None:
    """What a route on a connection decides on (its ``subject``): the connection's shop."""
    found = db.session.get(Integration, integration_id)
    return None if found is None else db.session.get(Shop, found.shop_id)


def webhook_url() -> str:
    """The one address every store sends its webhooks to: on the app's public address
    (``PUBLIC_URL``) when it is set, else on the address the request came to."""
    path = url_for(WEBHOOK_ENDPOINT)
    base = current_app.config.get("PUBLIC_URL") or (
        request.host_url if has_request_context() else "http://localhost:5000/"
    )
    return str(base).rstrip("/") + path


def integration_out(integration: Integration) -> IntegrationOut:
    return IntegrationOut(
        id=integration.id,
        shop_id=integration.shop_id,
        kind=integration.kind,
        shop_domain=integration.shop_domain,
        program_id=integration.program_id,
        created_by=integration.created_by,
        created_at=integration.created_at,
        disabled_at=integration.disabled_at,
        webhook_url=webhook_url(),
        topics=[str(topic) for topic in SUBSCRIBED],
        has_access_token=integration.access_token is not None,
    )


def list_integrations(actor: User | None, shop_id: int, page: PageQuery) -> IntegrationPage:
    """The shop's connections, newest first, disconnected ones too."""
    load_shop(actor, shop_id)
    query = select(Integration).where(Integration.shop_id == shop_id)
    items, cursor = newest_first(query, Integration.id, page)
    return IntegrationPage(items=[integration_out(i) for i in items], next_cursor=cursor)


def live_connection(shop_domain: str) -> Integration | None:
    """The store's live connection, if it has one."""
    return db.session.scalars(
        select(Integration).where(
            Integration.shop_domain == shop_domain, Integration.disabled_at.is_(None)
        )
    ).first()


def discount_store(shop_id: int, program_id: int | None) -> Integration | None:
    """The live connection of the shop with an access token where a discount code is made:
    the one whose program the member paid from first, else the newest."""
    return db.session.scalars(
        select(Integration)
        .where(
            Integration.shop_id == shop_id,
            Integration.disabled_at.is_(None),
            Integration.access_token.is_not(None),
        )
        .order_by((Integration.program_id == program_id).desc(), Integration.id.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class LoggedDelivery:
    """A line of a shop's webhook log, as its page shows it."""

    id: int
    shop_domain: str
    topic: str
    received_at: datetime
    processed_at: datetime | None
    outcome: str
    code: str | None
    params: dict[str, Any]
    # The program its store earns in (whose names for its points the log says).
    program_id: int | None = None


def latest_deliveries(shop_id: int, limit: int) -> list[LoggedDelivery]:
    """The shop's last ``limit`` deliveries, of all its connections, newest first."""
    rows = db.session.execute(
        select(IntegrationDelivery, Integration.shop_domain, Integration.program_id)
        .join(Integration, Integration.id == IntegrationDelivery.integration_id)
        .where(Integration.shop_id == shop_id)
        .order_by(IntegrationDelivery.id.desc())
        .limit(limit)
    ).all()
    return [
        LoggedDelivery(
            id=delivery.id,
            shop_domain=domain,
            topic=delivery.topic,
            received_at=delivery.received_at,
            processed_at=delivery.processed_at,
            outcome=delivery.outcome,
            code=delivery.code,
            params=dict(delivery.params or {}),
            program_id=program_id,
        )
        for delivery, domain, program_id in rows
    ]
