"""Ledger API: a membership's points history and manual adjustments by the shop team."""

from __future__ import annotations

from typing import Any

from stampbook.accounts.auth import current_user
from stampbook.core.pagination import HistoryQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.core.schemas import fields_of
from stampbook.ledger import queries
from stampbook.ledger.policy import LedgerAction
from stampbook.ledger.schemas import AdjustmentIn, EntryOut, EntryPage, ProgramEntryQuery
from stampbook.ledger.services import adjust
from stampbook.programs.queries import load_membership, load_program

bp = ApiBlueprint("ledger", __name__, url_prefix="/api/v1", tag="Points history")


@bp.get("/memberships/<int:membership_id>/entries")
@route(
    Access.USER,
    action=LedgerAction.MEMBERSHIP_VIEW_ENTRIES,
    subject=load_membership,
    key_scope="read",
)
@bp.input(HistoryQuery, location="query", arg_name="query")
@bp.output(EntryPage)
@bp.doc(summary="A membership's points history, newest first", responses=[404])
def list_entries(membership_id: int, query: HistoryQuery) -> dict[str, Any]:
    items, next_cursor = queries.history(current_user(), membership_id, query)
    return {"items": [fields_of(e, EntryOut) for e in items], "next_cursor": next_cursor}


@bp.get("/programs/<int:program_id>/entries")
@route(
    Access.USER,
    action=LedgerAction.PROGRAM_VIEW_ENTRIES,
    subject=load_program,
    key_scope="read",
)
@bp.input(ProgramEntryQuery, location="query", arg_name="query")
@bp.output(EntryPage)
@bp.doc(
    summary="A program's points activity: every member's entries, newest first (the team)",
    description=(
        "The shop's creator and managers read every change of points in the program, of one "
        "member or customer with membership_id, within since and until."
    ),
    responses=[403, 404],
)
def list_program_entries(program_id: int, query: ProgramEntryQuery) -> dict[str, Any]:
    items, next_cursor = queries.program_history(current_user(), program_id, query)
    return {"items": [fields_of(e, EntryOut) for e in items], "next_cursor": next_cursor}


@bp.post("/memberships/<int:membership_id>/adjustments")
@route(
    Access.USER,
    action=LedgerAction.MEMBERSHIP_ADJUST,
    idempotent=True,
    subject=load_membership,
    key_scope="write",
)
@bp.input(AdjustmentIn, arg_name="body")
@bp.output(EntryOut, status_code=201)
@bp.doc(
    summary="Add or remove points by hand (shop creator or manager); accepts Idempotency-Key",
    responses=[404, 409, 422],
)
def create_adjustment(membership_id: int, body: AdjustmentIn) -> Any:
    return adjust(current_user(), membership_id, amount=body.amount, note=body.note)
