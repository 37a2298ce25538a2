"""Reads of shops, team roles and invitations for the API, as the caller may see them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select

from stampbook.accounts.models import Section, User
from stampbook.db import db, utcnow
from stampbook.pagination import PageQuery, newest_first
from stampbook.policy.accounts import visible_user_ids
from stampbook.policy.shops import invited_clause, team_member, visible_shops_clause
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.queries import filtered_page
from stampbook.shops.models import Role, Shop, ShopInvitation
from stampbook.shops.schemas import (
    InvitationPage,
    InvitationQuery,
    MemberMatch,
    MemberMatches,
    MemberSearchQuery,
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

        def shown(batch: Sequence[Role]) -> list[Role]:
            seen = visible_user_ids(actor, {r.user_id for r in batch}, Section.SHOPS)
            return [role for role in batch if role.user_id in seen]

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


def search_members(actor: User | None, shop_id: int, query: MemberSearchQuery) -> MemberMatches:
    """Active members of the shop's programs whose name or email starts with ``q``.

    Reads the shop's memberships by program (indexed) and joins their users: the cost grows
    with the shop, never with the whole platform.
    """
    shop = load_shop(actor, shop_id, "shop.search_members")
    prefix = query.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = db.session.execute(
        select(Membership, Program.name, User.name, User.email)
        .join(Program, Program.id == Membership.program_id)
        .outerjoin(User, User.id == Membership.user_id)
        .where(
            Program.shop_id == shop.id,
            Membership.status == MembershipStatus.ACTIVE,
            or_(
                func.lower(User.name).like(prefix, escape="\\"),
                User.email.like(prefix, escape="\\"),
                Membership.email.like(prefix, escape="\\"),
            ),
        )
        .order_by(func.lower(func.coalesce(User.name, Membership.email)), Membership.id)
        .limit(query.limit)
    ).all()
    return MemberMatches(
        items=[
            MemberMatch(
                membership_id=membership.id,
                program_id=membership.program_id,
                program_name=program_name,
                user_id=membership.user_id,
                name=name,
                email=email or membership.email,
                balance=membership.balance,
            )
            for membership, program_name, name, email in rows
        ]
    )
