"""The loyalty domain's part of the authorization suites (tests/reliability/authz_*.py): the
program's purchase rule and a custom activity, and minimal bodies of a store's calls."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from stampbook.loyalty.models import (
    Campaign,
    CustomerImport,
    CustomerImportFailure,
    EarningRule,
    Integration,
)
from stampbook.programs.models import Program

if TYPE_CHECKING:
    from tests.reliability.authz_world import World


def loyalty_objects(session: Session, program_id: int) -> dict[str, int]:
    purchase = EarningRule(program_id=program_id, kind="purchase", points=1, per_amount=100)
    activity = EarningRule(program_id=program_id, kind="activity", activity="survey", points=5)
    now = utcnow()
    campaign = Campaign(
        program_id=program_id,
        name="Double",
        kind="multiplier",
        multiplier_percent=200,
        starts_at=now,
        ends_at=now + timedelta(days=1),
    )
    session.add_all([purchase, activity, campaign])
    session.flush()
    return {
        "earning_rule": purchase.id,
        "campaign": campaign.id,
        **integration_objects(session, program_id),
        **import_objects(session, program_id),
    }


def import_objects(session: Session, program_id: int) -> dict[str, int]:
    """A customer import of the program, done, with a row it could not apply."""
    program = session.get(Program, program_id)
    assert program is not None
    imported = CustomerImport(
        program_id=program_id,
        created_by=program.created_by,
        file_name="authz.csv",
        status="done",
        rows_total=2,
        rows_done=2,
        rows_applied=1,
        rows_failed=1,
    )
    session.add(imported)
    session.flush()
    session.add(
        CustomerImportFailure(import_id=imported.id, row=2, code="email_invalid", identifier="b")
    )
    session.flush()
    return {"customer_import": imported.id}


def integration_objects(session: Session, program_id: int) -> dict[str, int]:
    """The shop's Shopify store, connected to the program."""
    program = session.get(Program, program_id)
    assert program is not None
    integration = Integration(
        shop_id=program.shop_id,
        shop_domain="authz-store.myshopify.com",
        secret="shpss_authz-store-secret",
        program_id=program.id,
        created_by=program.created_by,
    )
    session.add(integration)
    session.flush()
    return {"integration": integration.id}


NEW_RULE = {"kind": "signup", "points": 5}
# A store connection's Admin API access token (the API's PATCH and the page's form).
ACCESS_TOKEN = {"access_token": "shpat_authz-store-access-token"}
ACTIVITY = {"activity": "survey", "external_id": "authz-customer"}
ORDER = {
    "order_id": "authz-1",
    "external_id": "authz-customer",
    "currency": "USD",
    "subtotal": "10.00",
    "total": "10.00",
}
REFUND = {"refund_id": "authz-r1", "order_id": "authz-1", "currency": "USD", "amount": "5.00"}
NEW_CAMPAIGN = {
    "name": "Bonus week",
    "kind": "bonus",
    "bonus_points": 5,
    "starts_at": "2030-01-01T00:00:00Z",
    "ends_at": "2030-01-08T00:00:00Z",
}


def new_store_form(world: World, role: str) -> dict[str, Any]:
    """Another store, connected to the program (the page's form)."""
    return {
        "shop_domain": "authz-new.myshopify.com",
        "secret": "shpss_authz-new-store-secret",
        "program_id": world.ids["program"],
    }


def new_integration(world: World, role: str) -> dict[str, Any]:
    return {"kind": "shopify", **new_store_form(world, role)}


IMPORT_ROWS = {"rows": [{"identifier": "authz-row", "external_id": "authz-customer", "points": 5}]}


def import_upload(world: World, role: str) -> dict[str, Any]:
    """The import page's upload: a file of one row."""
    content = b"identifier,external_id,points\nauthz-file-row,authz-customer,5\n"
    return {"file": (io.BytesIO(content), "authz.csv")}
