"""Shops API: shops, their team roles, invitations, merges."""

from __future__ import annotations

from typing import Any

from stampbook.accounts.auth import current_user, me
from stampbook.accounts.models import User
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.shops import queries, services
from stampbook.shops.models import Shop
from stampbook.shops.policy import ShopAction
from stampbook.shops.schemas import (
    InvitationIn,
    InvitationOut,
    InvitationPage,
    InvitationQuery,
    MemberMatches,
    MemberSearchQuery,
    RoleIn,
    RoleOut,
    RolePage,
    RolePatch,
    ShopIn,
    ShopOut,
    ShopPage,
    ShopPatch,
    ShopQuery,
)

bp = ApiBlueprint("shops", __name__, url_prefix="/api/v1", tag="Shops")


@bp.get("/shops")
@route(Access.PUBLIC, action=ShopAction.SHOP_VIEW)
@bp.input(ShopQuery, location="query", arg_name="query")
@bp.output(ShopPage)
@bp.doc(summary="Public shops and the shops I belong to, newest first; ?q= searches names")
def list_shops(query: ShopQuery) -> ShopPage:
    return queries.list_shops(current_user(), query)


@bp.post("/shops")
@route(Access.USER)
@bp.input(ShopIn, arg_name="body")
@bp.output(ShopOut, status_code=201)
@bp.doc(summary="Open a shop; you are its creator")
def create_shop(body: ShopIn) -> ShopOut:
    return services.create_shop(me(), **body.model_dump(mode="json"))


@bp.get("/shops/<int:shop_id>")
@route(Access.PUBLIC, action=ShopAction.SHOP_VIEW)
@bp.output(ShopOut)
@bp.doc(summary="A shop, with whether it is open now", responses=[404])
def get_shop(shop_id: int) -> ShopOut:
    return services.get_shop(current_user(), shop_id)


@bp.patch("/shops/<int:shop_id>")
@route(Access.USER, action=ShopAction.SHOP_EDIT, subject=queries.load_shop)
@bp.input(ShopPatch, arg_name="body")
@bp.output(ShopOut)
@bp.doc(summary="Edit a shop (creator and managers)", responses=[403, 404])
def update_shop(shop_id: int, body: ShopPatch) -> ShopOut:
    return services.update_shop(me(), shop_id, body.model_dump(mode="json", exclude_unset=True))


@bp.get("/shops/<int:shop_id>/roles")
@route(Access.PUBLIC, action=ShopAction.ROLE_VIEW, subject=queries.load_shop)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(RolePage)
@bp.doc(summary="The shop's team, as each person's privacy allows", responses=[404])
def list_roles(shop_id: int, query: PageQuery) -> RolePage:
    return queries.list_roles(current_user(), shop_id, query)


@bp.post("/shops/<int:shop_id>/roles")
@route(Access.USER, action=ShopAction.ROLE_MANAGE, subject=queries.load_shop)
@bp.input(RoleIn, arg_name="body")
@bp.output(RoleOut, status_code=201)
@bp.doc(summary="Add someone to the team (creator and managers)", responses=[403, 404, 409])
def create_role(shop_id: int, body: RoleIn) -> RoleOut:
    return services.create_role(me(), shop_id, **body.model_dump(mode="json"))


def _managed_shop(actor: User, role_id: int) -> Shop:
    """What changing a role is decided on: its shop."""
    return queries.managed_role(actor, role_id)[1]


@bp.patch("/roles/<int:role_id>")
@route(Access.USER, action=ShopAction.ROLE_MANAGE, subject=_managed_shop)
@bp.input(RolePatch, arg_name="body")
@bp.output(RoleOut)
@bp.doc(summary="Change a role's type, permissions or scope", responses=[403, 404])
def update_role(role_id: int, body: RolePatch) -> RoleOut:
    return services.update_role(me(), role_id, body.model_dump(mode="json", exclude_unset=True))


@bp.delete("/roles/<int:role_id>")
@route(Access.USER, action=ShopAction.ROLE_MANAGE)
@bp.output({}, status_code=204)
@bp.doc(summary="Remove someone from the team, or leave it yourself", responses=[403, 404])
def delete_role(role_id: int) -> tuple[str, int]:
    services.delete_role(me(), role_id)
    return "", 204


@bp.get("/shops/<int:shop_id>/invitations")
@route(Access.USER, action=ShopAction.SHOP_INVITE, subject=queries.load_shop)
@bp.input(InvitationQuery, location="query", arg_name="query")
@bp.output(InvitationPage)
@bp.doc(summary="The invitations of the shop and its programs (managers)", responses=[403, 404])
def list_shop_invitations(shop_id: int, query: InvitationQuery) -> InvitationPage:
    return queries.shop_invitations(me(), shop_id, query)


@bp.post("/shops/<int:shop_id>/invitations")
@route(Access.USER, action=ShopAction.SHOP_INVITE, subject=queries.load_shop)
@bp.input(InvitationIn, arg_name="body")
@bp.output(InvitationOut, status_code=201)
@bp.doc(summary="Invite someone into an invite-only shop", responses=[403, 404, 409])
def invite_to_shop(shop_id: int, body: InvitationIn) -> Any:
    return services.invite_to_shop(me(), shop_id, **body.model_dump(mode="json"))


@bp.get("/invitations")
@route(Access.USER)
@bp.input(InvitationQuery, location="query", arg_name="query")
@bp.output(InvitationPage)
@bp.doc(
    operation_id="list_my_invitations",
    summary="My invitations (pending ones unless ?status= says otherwise)",
)
def my_invitations(query: InvitationQuery) -> InvitationPage:
    return queries.my_invitations(me(), query)


@bp.get("/shops/<int:shop_id>/members")
@route(Access.USER, action=ShopAction.SHOP_SEARCH_MEMBERS, subject=queries.load_shop)
@bp.input(MemberSearchQuery, location="query", arg_name="query")
@bp.output(MemberMatches)
@bp.doc(
    summary="Find the shop's members by the start of their name or email (its stamping team)",
    responses=[403, 404],
)
def search_members(shop_id: int, query: MemberSearchQuery) -> MemberMatches:
    return queries.search_members(current_user(), shop_id, query)
