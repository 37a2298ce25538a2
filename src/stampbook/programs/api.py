"""Programs API: programs of a shop, their memberships, invitations into them, merges."""

from __future__ import annotations

from typing import Any

from stampbook.accounts.auth import current_user, me
from stampbook.accounts.models import User
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.programs import queries, services
from stampbook.programs import queries as programs_queries
from stampbook.programs.models import Program
from stampbook.programs.policy import ProgramAction
from stampbook.programs.schemas import (
    Leaderboard,
    LeaderboardQuery,
    MembershipIn,
    MembershipOut,
    MembershipPage,
    MembershipPatch,
    MembershipQuery,
    ProgramIn,
    ProgramOut,
    ProgramPage,
    ProgramPatch,
    ProgramQuery,
)
from stampbook.shops.policy import ShopAction
from stampbook.shops.queries import load_shop
from stampbook.shops.schemas import InvitationOut, ProgramInvitationIn

bp = ApiBlueprint("programs", __name__, url_prefix="/api/v1", tag="Programs")


@bp.get("/shops/<int:shop_id>/programs")
@route(
    Access.PUBLIC,
    action=ProgramAction.PROGRAM_VIEW,
    subject=load_shop,
    subject_action=ShopAction.SHOP_VIEW,
    key_scope="read",
)
@bp.input(ProgramQuery, location="query", arg_name="query")
@bp.output(ProgramPage)
@bp.doc(summary="The shop's programs the caller may see, newest first", responses=[404])
def list_programs(shop_id: int, query: ProgramQuery) -> ProgramPage:
    return queries.list_programs(current_user(), shop_id, query)


@bp.post("/shops/<int:shop_id>/programs")
@route(Access.USER, action=ProgramAction.PROGRAM_CREATE, subject=load_shop)
@bp.input(ProgramIn, arg_name="body")
@bp.output(ProgramOut, status_code=201)
@bp.doc(
    summary="Create a program (shop creator, managers, assistants); you become its manager",
    responses=[403, 404],
)
def create_program(shop_id: int, body: ProgramIn) -> Any:
    return services.create_program(me(), shop_id, **body.model_dump(mode="json"))


@bp.get("/programs/<int:program_id>")
@route(Access.PUBLIC, action=ProgramAction.PROGRAM_VIEW, key_scope="read")
@bp.output(ProgramOut)
@bp.doc(summary="A program", responses=[404])
def get_program(program_id: int) -> Any:
    return programs_queries.load_program(current_user(), program_id)


@bp.patch("/programs/<int:program_id>")
@route(Access.USER, action=ProgramAction.PROGRAM_EDIT, subject=programs_queries.load_program)
@bp.input(ProgramPatch, arg_name="body")
@bp.output(ProgramOut)
@bp.doc(summary="Edit a program (its managers)", responses=[403, 404, 409])
def update_program(program_id: int, body: ProgramPatch) -> Any:
    changes = body.model_dump(mode="json", exclude_unset=True)
    return services.update_program(me(), program_id, changes)


@bp.delete("/programs/<int:program_id>")
@route(Access.USER, action=ProgramAction.PROGRAM_DELETE)
@bp.output({}, status_code=204)
@bp.doc(
    summary="Delete a program (shop creator or managers): archived, balances kept readable",
    description=(
        "The program is kept, archived, for its ledger: members read their balances and "
        "entries through their memberships. For the API it is gone: its path and every path "
        "under it answer 404; its team and former members find it in the shop's programs "
        "with `archived=true`. A program merged away is gone the same way."
    ),
    responses=[403, 404],
)
def delete_program(program_id: int) -> tuple[str, int]:
    services.delete_program(me(), program_id)
    return "", 204


@bp.get("/programs/<int:program_id>/memberships")
@route(
    Access.PUBLIC,
    action=ProgramAction.MEMBERSHIP_VIEW,
    subject=programs_queries.load_program,
    subject_action=ProgramAction.PROGRAM_VIEW,
    key_scope="read",
)
@bp.input(MembershipQuery, location="query", arg_name="query")
@bp.output(MembershipPage)
@bp.doc(summary="The program's members and balances, as privacy allows", responses=[404])
def list_memberships(program_id: int, query: MembershipQuery) -> MembershipPage:
    return queries.list_memberships(current_user(), program_id, query)


@bp.post("/programs/<int:program_id>/memberships")
@route(
    Access.USER,
    action=ProgramAction.MEMBERSHIP_JOIN,
    subject=programs_queries.load_program,
    subject_action=ProgramAction.PROGRAM_VIEW,
    key_scope="write",
)
@bp.input(MembershipIn, arg_name="body")
@bp.output(MembershipOut, status_code=201)
@bp.doc(
    summary="Join ({}), or as the team invite a user (user_id, role_type) or add an unclaimed "
    "customer (email or external_id)",
    responses=[403, 404, 409],
)
def create_membership(program_id: int, body: MembershipIn) -> Any:
    return services.add_membership(me(), program_id, **body.model_dump(mode="json"))


@bp.get("/memberships")
@route(Access.USER)
@bp.input(MembershipQuery, location="query", arg_name="query")
@bp.output(MembershipPage)
@bp.doc(
    operation_id="list_my_memberships",
    summary="My memberships in every program, whatever their status",
)
def my_memberships(query: MembershipQuery) -> MembershipPage:
    return queries.my_memberships(me(), query)


@bp.get("/memberships/<int:membership_id>")
@route(Access.PUBLIC, action=ProgramAction.MEMBERSHIP_VIEW, key_scope="read")
@bp.output(MembershipOut)
@bp.doc(summary="A membership and its balance", responses=[404])
def get_membership(membership_id: int) -> MembershipOut:
    return queries.get_membership(current_user(), membership_id)


def _program_of_membership(actor: User | None, membership_id: int) -> Program:
    """What managing a membership is decided on: its program, read as the service reads it."""
    membership = programs_queries.load_membership(actor, membership_id)
    return programs_queries.load_program(actor, membership.program_id)


@bp.patch("/memberships/<int:membership_id>")
@route(Access.USER, action=ProgramAction.MEMBERSHIP_MANAGE, subject=_program_of_membership)
@bp.input(MembershipPatch, arg_name="body")
@bp.output(MembershipOut)
@bp.doc(summary="Change a member's role or permissions (managers)", responses=[403, 404, 409])
def update_membership(membership_id: int, body: MembershipPatch) -> Any:
    changes = body.model_dump(mode="json", exclude_unset=True)
    return services.update_membership(me(), membership_id, changes)


@bp.delete("/memberships/<int:membership_id>")
@route(Access.USER, action=ProgramAction.MEMBERSHIP_LEAVE)
@bp.output({}, status_code=204)
@bp.doc(
    summary="Leave (your own) or remove (managers) a membership; its points and history stay",
    responses=[403, 404, 409],
)
def delete_membership(membership_id: int) -> tuple[str, int]:
    services.end_membership(me(), membership_id)
    return "", 204


@bp.post("/programs/<int:program_id>/invitations")
@route(Access.USER, action=ProgramAction.MEMBERSHIP_MANAGE, subject=programs_queries.load_program)
@bp.input(ProgramInvitationIn, arg_name="body")
@bp.output(InvitationOut, status_code=201)
@bp.doc(summary="Invite someone into the program, by user id or email", responses=[403, 404, 409])
def invite_to_program(program_id: int, body: ProgramInvitationIn) -> Any:
    return services.invite(me(), program_id, **body.model_dump(mode="json"))


@bp.get("/programs/<int:program_id>/leaderboard")
@route(Access.PUBLIC, action=ProgramAction.PROGRAM_VIEW, subject=programs_queries.load_program)
@bp.input(LeaderboardQuery, location="query", arg_name="query")
@bp.output(Leaderboard)
@bp.doc(summary="The program's top members by balance, as their privacy allows", responses=[404])
def get_leaderboard(program_id: int, query: LeaderboardQuery) -> Leaderboard:
    return queries.leaderboard(current_user(), program_id, query)
