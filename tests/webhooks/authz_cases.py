"""The webhooks domain's part of the authorization suites (tests/reliability/authz_*.py):
an endpoint of the world's shop with one message, and the bodies of its writes.

The endpoint's address is on loopback and the world's app keeps the SSRF guard on, so an
allowed test message or replay is refused at the guard and never leaves the machine; the
bodies that save an address name a public one by number (no DNS lookup)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from stampbook.shops.models import Shop
from tests.factories.webhooks import make_endpoint, make_message

if TYPE_CHECKING:
    from tests.reliability.authz_world import World

# A public address written as a number: saved without resolving anything.
PUBLIC_URL = "https://93.184.215.14/stampbook"
ENDPOINT = {"endpoint_id": "webhook_endpoint"}
MESSAGE = {"message_id": "webhook_message"}


def webhook_objects(session: Session, shop: Shop) -> dict[str, int]:
    """The seeded world's endpoint of its shop, with one pending message (see ``build_world``)."""
    endpoint = make_endpoint(session, shop, "http://127.0.0.1:9/authz")
    message = make_message(session, endpoint, utcnow())
    return {"webhook_endpoint": endpoint.id, "webhook_message": message.id}


def new_endpoint(world: World, role: str) -> dict[str, Any]:
    return {"url": PUBLIC_URL, "event_types": ["points.earned"]}


def endpoint_form(world: World, role: str) -> dict[str, Any]:
    return {"url": PUBLIC_URL, "event_types": ["points.earned"], "enabled": "y"}
