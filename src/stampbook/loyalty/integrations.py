"""Use cases of store connections: connect a shop's Shopify store to one of its programs, and
disconnect it (the team's choice, or the app uninstalled). Disconnected, a connection is kept
for its log and its webhooks are refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Conflict, NotFound
from stampbook.loyalty import integration_queries as queries
from stampbook.loyalty.integration_schemas import IntegrationIn
from stampbook.loyalty.models import Integration
from stampbook.programs.models import Program
from stampbook.programs.rules import require_live


def connect(
    actor: User, shop_id: int, body: IntegrationIn, *, now: datetime | None = None
) -> Integration:
    """A live connection of the store ``body.shop_domain`` to ``body.program_id``, a live
    program of the shop (another shop's is 404, an archived one 409 ``archived``). A store
    has one live connection at a time (409 ``store_connected``)."""
    shop = queries.load_shop(actor, shop_id)
    program = db.session.get(Program, body.program_id)
    if program is None or program.shop_id != shop.id:
        raise NotFound(thing="program")
    require_live(program)
    if queries.live_connection(body.shop_domain) is not None:
        raise Conflict(code="store_connected", domain=body.shop_domain)
    integration = Integration(
        shop_id=shop.id,
        kind=body.kind,
        shop_domain=body.shop_domain,
        secret=body.secret,
        access_token=body.access_token,
        program_id=program.id,
        created_by=actor.id,
        created_at=now or clock.now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(integration)
    except IntegrityError as error:
        # Connected at the same moment by another request: the unique live domain said no.
        raise Conflict(code="store_connected", domain=body.shop_domain) from error
    return integration


def set_access_token(actor: User, integration_id: int, token: str | None) -> Integration:
    """Give a connection the store's Admin API access token, replace it, or (None) remove
    it; a disconnected store's is refused (409 ``store_disconnected``)."""
    integration, _shop = queries.load_integration(actor, integration_id)
    if not integration.is_live:
        raise Conflict(code="store_disconnected", domain=integration.shop_domain)
    integration.access_token = token
    db.session.flush()
    return integration


def disconnect(actor: User, integration_id: int, *, now: datetime | None = None) -> Integration:
    """Its webhooks are refused from now on; disconnecting twice keeps the first date."""
    integration, _shop = queries.load_integration(actor, integration_id)
    disable(integration, now=now)
    return integration


def disable(integration: Integration, *, now: datetime | None = None) -> None:
    """Disconnect ``integration`` (also what the store's app/uninstalled does); its access
    token, of no more use, is forgotten."""
    if integration.disabled_at is None:
        integration.disabled_at = now or clock.now()
        integration.access_token = None
        db.session.flush()
