"""Cards API: who a scanned card is (the team at the counter, or a POS with a write key),
and a member's own card code, read and replaced. Stamping and redeeming by card are flows
(``flows/card_api.py``): they call the tasks' and the rewards' services."""

from __future__ import annotations

from typing import Any

from stampbook.accounts.auth import current_user
from stampbook.cards import queries, services
from stampbook.cards.policy import CardAction
from stampbook.cards.schemas import CardOut, CardScanIn, CardScanOut
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.programs.queries import get_program, load_membership

bp = ApiBlueprint("cards", __name__, url_prefix="/api/v1", tag="Cards")


def scan_out(scan: queries.Scan) -> dict[str, Any]:
    return {
        "membership_id": scan.membership_id,
        "name": scan.name,
        "initials": scan.initials,
        "balance": scan.balance,
        "redeemable": [{"id": r.id, "name": r.name, "cost": r.cost} for r in scan.redeemable],
    }


@bp.post("/programs/<int:program_id>/card-scans")
@route(Access.USER, action=CardAction.SCAN, subject=get_program, key_scope="write")
@bp.input(CardScanIn, arg_name="body")
@bp.output(CardScanOut)
@bp.doc(
    operation_id="scan_card",
    summary="Who a member's card is, at the program's counter: name, balance, what they can "
    "redeem now; changes nothing (the team that stamps, and API keys with the write scope)",
    description="Refusals, each its own code: `card_unknown` (404: no card has this code), "
    "`card_retired` (410: its member replaced it), `card_other_program` (409: a card of "
    "another program; nothing is said about its member).",
    responses=[403, 404, 409, 410, 422],
)
def scan_card(program_id: int, body: CardScanIn) -> dict[str, Any]:
    return scan_out(queries.scan(current_user(), program_id, body.card_code))


@bp.get("/memberships/<int:membership_id>/card")
@route(Access.USER, action=CardAction.VIEW, subject=load_membership)
@bp.output(CardOut)
@bp.doc(
    operation_id="get_my_card",
    summary="My card code in this program, to show at the counter (the member only)",
    responses=[403, 404],
)
def get_card(membership_id: int) -> dict[str, Any]:
    membership = queries.own_card(current_user(), membership_id)
    return {"membership_id": membership.id, "card_code": membership.card_code}


@bp.post("/memberships/<int:membership_id>/card")
@route(Access.USER, action=CardAction.REPLACE, idempotent=True, subject=load_membership)
@bp.output(CardOut, status_code=201)
@bp.doc(
    operation_id="replace_my_card",
    summary="Replace my card code (if it leaked): a new one; a scan of the old one is "
    "refused as `card_retired` from then on. Accepts Idempotency-Key",
    responses=[403, 404],
)
def replace_card(membership_id: int) -> dict[str, Any]:
    code = services.replace_card(current_user(), membership_id=membership_id)
    return {"membership_id": membership_id, "card_code": code}
