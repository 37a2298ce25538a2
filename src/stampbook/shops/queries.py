"""Reads of shops, team roles and invitations for the API, as the caller may see them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from stampbook.accounts.models import Section, User
from stampbook.db import db, utcnow
from stampbook.pagination import PageQuery, newest_first
from stampbook.policy.accounts import may_see_section
from stampbook.policy.shops import invited_clause, team_member, visible_shops_clause
from stampbook.programs.queries import filtered_page
from stampbook.shops.models import Role, Shop, ShopInvitation
from stampbook.shops.schemas import (
    InvitationPage,
    InvitationQuery,
    RolePage,
    ShopPage,
    ShopQuery,
)
from stampbook.shops.services import load_shop, present, role_out


def list_shops(actor: User | None, query: ShopQuery, *, now: datetime | None = None) -> ShopPage:
    """Public shops and those the caller belongs to (team, member, invited), newest first."""
    shops = select(Shop).where(visible_shops_clause(actor))
    if query.q:
        shops = shops.where(Shop.name.icontains(query.q, autoescape=True))
    items, next_cursor = newest_first(shops, Shop.id, query)
    now = now or utcnow()
    return ShopPage(items=[present(actor, s, now=now) for s in items], next_cursor=next_cursor)


def list_roles(actor: User | None, shop_id: int, query: PageQuery) -> RolePage:
    """The team sees the whole team; others see those whose privacy shows their shops."""
    shop = load_shop(actor, shop_id, "role.view")
    roles = select(Role).where(Role.shop_id == shop.id)
    if (actor is not None and actor.is_admin) or team_member(actor, shop) is not None:
        items, next_cursor = newest_first(roles, Role.id, query)
    else:

        def shown(role: Role) -> bool:
            user = db.session.get(User, role.user_id)
            return user is not None and may_see_section(actor, user, Section.SHOPS)

        items, next_cursor = filtered_page(roles, Role.id, query, shown)
    return RolePage(items=[role_out(role) for role in items], next_cursor=next_cursor)


def my_invitations(actor: User, query: InvitationQuery) -> InvitationPage:
    invitations = select(ShopInvitation).where(invited_clause(actor))
    if query.status is not None:
        invitations = invitations.where(ShopInvitation.status == query.status)
    items, next_cursor = newest_first(invitations, ShopInvitation.id, query)
    return InvitationPage.model_validate({"items": items, "next_cursor": next_cursor})


def shop_invitations(actor: User, shop_id: int, query: InvitationQuery) -> InvitationPage:
    """Every invitation of the shop and its programs, for those who may send them."""
    shop = load_shop(actor, shop_id, "shop.invite")
    invitations = select(ShopInvitation).where(ShopInvitation.shop_id == shop.id)
    if query.status is not None:
        invitations = invitations.where(ShopInvitation.status == query.status)
    items, next_cursor = newest_first(invitations, ShopInvitation.id, query)
    return InvitationPage.model_validate({"items": items, "next_cursor": next_cursor})
