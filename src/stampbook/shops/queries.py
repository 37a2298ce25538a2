"""Reads of shops, team roles and invitations for the API, as the caller may see them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import visible_user_ids
from stampbook.core.db import cached_read, db, utcnow
from stampbook.core.errors import Conflict, NotFound
from stampbook.core.folding import fold
from stampbook.core.pagination import PageQuery, newest_first
from stampbook.core.policy import require
from stampbook.loyalty.models import CustomerProfile
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.policy import ProgramAction, is_invitee
from stampbook.programs.queries import filtered_page
from stampbook.rewards.models import Reward
from stampbook.shops.models import (
    InvitationStatus,
    Role,
    Shop,
    ShopInvitation,
    ShopRoleType,
)
from stampbook.shops.policy import (
    CREATOR,
    ROLE_RANK,
    ShopAction,
    ShopPermission,
    invited_clause,
    permissions_for,
    remember_role,
    team_member,
    visible_shops_clause,
)
from stampbook.shops.rules import is_open_at
from stampbook.shops.schemas import (
    InvitationPage,
    InvitationQuery,
    MemberMatch,
    MemberMatches,
    MemberSearchQuery,
    RoleOut,
    RolePage,
    ShopOut,
    ShopPage,
    ShopQuery,
)
from stampbook.tasks.models import Task


def list_shops(actor: User | None, query: ShopQuery, *, now: datetime | None = None) -> ShopPage:
    """Public shops and those the caller belongs to (team, member, invited), newest first."""
    shops = select(Shop).where(visible_shops_clause(actor))
    if query.q:
        # Accents and case ignored (core.folding): "cafe luna" finds "Café Luna".
        key = func.coalesce(Shop.search_name, func.lower(Shop.name))
        shops = shops.where(key.contains(fold(query.q), autoescape=True))
    items, next_cursor = newest_first(shops, Shop.id, query)
    now = now or utcnow()
    return ShopPage(items=[present(actor, s, now=now) for s in items], next_cursor=next_cursor)


def list_roles(actor: User | None, shop_id: int, query: PageQuery) -> RolePage:
    """The team sees the whole team; others see those whose privacy shows their shops."""
    shop = load_shop(actor, shop_id, ShopAction.ROLE_VIEW)
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
    shop = load_shop(actor, shop_id, ShopAction.SHOP_INVITE)
    invitations = select(ShopInvitation).where(ShopInvitation.shop_id == shop.id)
    if query.status is not None:
        invitations = invitations.where(ShopInvitation.status == query.status)
    items, next_cursor = newest_first(invitations, ShopInvitation.id, query)
    return InvitationPage.model_validate({"items": items, "next_cursor": next_cursor})


def _prefix(text: str) -> str:
    """``text%`` for LIKE, its own wildcards escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_members(actor: User | None, shop_id: int, query: MemberSearchQuery) -> MemberMatches:
    """Active members of the shop's programs whose name or email starts with ``q``, or whose
    store customer id is ``q``.

    Matches on the memberships' own copies of the name (folded: accents and case ignored,
    ``core.folding``) and the email in lower case (kept by the database's triggers), read by
    program (indexed); only the matches are joined to their users. (An index on the copies
    goes unused: the OR of the prefixes, parameterised by each of the shop's programs, is
    planned as a filter.)
    """
    shop = load_shop(actor, shop_id, ShopAction.SHOP_SEARCH_MEMBERS)
    name_prefix, email_prefix = _prefix(fold(query.q)), _prefix(query.q.lower())
    rows = db.session.execute(
        select(
            Membership,
            Program.name,
            User.name,
            User.email,
            CustomerProfile.first_name,
            CustomerProfile.last_name,
        )
        .join(Program, Program.id == Membership.program_id)
        .outerjoin(User, User.id == Membership.user_id)
        # The name a customer import gave a customer without an account (loyalty).
        .outerjoin(CustomerProfile, CustomerProfile.membership_id == Membership.id)
        .where(
            Program.shop_id == shop.id,
            Membership.status == MembershipStatus.ACTIVE,
            or_(
                Membership.search_name.like(name_prefix, escape="\\"),
                CustomerProfile.search_name.like(name_prefix, escape="\\"),
                *(
                    Membership.search_email.like(prefix, escape="\\")
                    for prefix in dict.fromkeys((email_prefix, name_prefix))
                ),
                Membership.external_id == query.q.strip(),
            ),
        )
        .order_by(func.coalesce(Membership.search_name, Membership.search_email), Membership.id)
        .limit(query.limit)
    ).all()
    return MemberMatches(
        items=[
            MemberMatch(
                membership_id=membership.id,
                program_id=membership.program_id,
                program_name=program_name,
                user_id=membership.user_id,
                name=name or " ".join(n for n in (first, last) if n) or None,
                email=email or membership.email,
                external_id=membership.external_id,
                balance=membership.balance,
            )
            for membership, program_name, name, email, first, last in rows
        ]
    )


# --- For the team's pages -------------------------------------------------------------------


@dataclass(frozen=True)
class ShopItems:
    """A shop's live rewards and tasks, to scope a role or filter receipts by."""

    rewards: list[tuple[int, str]]  # (reward id, name)
    tasks: list[tuple[int, str, str]]  # (task id, name, program name)


def shop_items(shop_id: int, *, tasks: bool = True) -> ShopItems:
    """The shop's live rewards and (unless ``tasks`` is false) the live tasks of its live
    programs, by name, in one query each."""
    rewards = db.session.execute(
        select(Reward.id, Reward.name)
        .where(Reward.shop_id == shop_id, Reward.deleted_at.is_(None))
        .order_by(Reward.name, Reward.id)
    ).all()
    if not tasks:
        return ShopItems(rewards=[(row[0], row[1]) for row in rewards], tasks=[])
    found = db.session.execute(
        select(Task.id, Task.name, Program.name)
        .join(Program, Program.id == Task.program_id)
        .where(
            Program.shop_id == shop_id,
            Program.archived_at.is_(None),
            Task.deleted_at.is_(None),
        )
        .order_by(Program.name, Task.name, Task.id)
    ).all()
    return ShopItems(
        rewards=[(row[0], row[1]) for row in rewards],
        tasks=[(row[0], row[1], row[2]) for row in found],
    )


def mergeable_shops(actor: User, shop_id: int) -> list[tuple[int, str]]:
    """The other live shops ``actor`` created: those they may merge into this one."""
    rows = db.session.execute(
        select(Shop.id, Shop.name)
        .where(Shop.created_by == actor.id, Shop.deleted_at.is_(None), Shop.id != shop_id)
        .order_by(Shop.name, Shop.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


@dataclass(frozen=True)
class ShopMergePreview:
    """What ``merge_shops`` would move from ``source`` into ``target``, read without a change."""

    target: Shop
    source: Shop
    programs: int  # every program of the source moves (archived ones too)
    live_programs: int
    active_members: int  # active memberships of those programs: they move as they are
    memberships: int
    points: int  # the sum of their balances: every point stays with its membership
    tasks: int  # live tasks of those programs
    rewards: int  # live rewards (deleted ones move too, with their receipts)
    deleted_rewards: int
    roles: int  # managers and assistants who join the target's team or get a stronger role
    invitations: int  # pending invitations into the source shop itself: withdrawn


def merge_preview(actor: User, *, target_id: int, source_id: int) -> ShopMergePreview:
    """The counts a merge confirmation states, checked by the same rule as the merge."""
    target = load_shop(actor, target_id, ShopAction.SHOP_MERGE)
    source = load_shop(actor, source_id, ShopAction.SHOP_MERGE)
    if target.id == source.id:
        raise Conflict(code="same_shop")
    programs, archived = db.session.execute(
        select(func.count(Program.id), func.count(Program.archived_at)).where(
            Program.shop_id == source.id
        )
    ).one()
    active = case((Membership.status == MembershipStatus.ACTIVE, 1), else_=0)
    memberships, active_members, points = db.session.execute(
        select(
            func.count(Membership.id),
            func.coalesce(func.sum(active), 0),
            func.coalesce(func.sum(Membership.balance), 0),
        )
        .join(Program, Program.id == Membership.program_id)
        .where(Program.shop_id == source.id)
    ).one()
    tasks = db.session.scalar(
        select(func.count(Task.id))
        .join(Program, Program.id == Task.program_id)
        .where(Program.shop_id == source.id, Task.deleted_at.is_(None))
    )
    rewards, deleted_rewards = db.session.execute(
        select(func.count(Reward.id), func.count(Reward.deleted_at)).where(
            Reward.shop_id == source.id
        )
    ).one()
    invitations = db.session.scalar(
        select(func.count(ShopInvitation.id)).where(
            ShopInvitation.shop_id == source.id,
            ShopInvitation.program_id.is_(None),
            ShopInvitation.status == InvitationStatus.PENDING,
        )
    )
    return ShopMergePreview(
        target=target,
        source=source,
        programs=programs,
        live_programs=programs - archived,
        active_members=int(active_members),
        memberships=memberships,
        points=int(points),
        tasks=tasks or 0,
        rewards=rewards - deleted_rewards,
        deleted_rewards=deleted_rewards,
        roles=_joining_roles(source, target),
        invitations=invitations or 0,
    )


def _joining_roles(source: Shop, target: Shop) -> int:
    """How many of the source's managers and assistants ``_merge_roles`` would move over or
    strengthen in the target (the same rule, read only)."""
    joining = (ShopRoleType.MANAGER, ShopRoleType.ASSISTANT)
    rows = db.session.execute(
        select(Role.shop_id, Role.user_id, Role.role_type).where(
            Role.shop_id.in_([source.id, target.id])
        )
    ).all()
    in_target = {user_id: kind for shop_id, user_id, kind in rows if shop_id == target.id}
    count = 0
    for shop_id, user_id, kind in rows:
        if shop_id != source.id or kind not in joining or user_id == target.created_by:
            continue
        existing = in_target.get(user_id)
        if existing is None or ROLE_RANK[kind] > ROLE_RANK[existing]:
            count += 1
    return count


@dataclass(frozen=True)
class ShopTotals:
    live_programs: int
    active_members: int
    points: int  # held by the active members of its live programs


def shop_totals(shop_id: int) -> ShopTotals:
    """What a deletion archives, for its confirmation page (two queries)."""
    live_programs = db.session.scalar(
        select(func.count(Program.id)).where(
            Program.shop_id == shop_id, Program.archived_at.is_(None)
        )
    )
    members, points = db.session.execute(
        select(func.count(Membership.id), func.coalesce(func.sum(Membership.balance), 0))
        .join(Program, Program.id == Membership.program_id)
        .where(
            Program.shop_id == shop_id,
            Program.archived_at.is_(None),
            Membership.status == MembershipStatus.ACTIVE,
        )
    ).one()
    return ShopTotals(live_programs or 0, members, int(points))


def live_programs(shop_id: int) -> list[tuple[int, str]]:
    """``(id, name)`` of the shop's live programs, oldest first (one query)."""
    rows = db.session.execute(
        select(Program.id, Program.name)
        .where(Program.shop_id == shop_id, Program.archived_at.is_(None))
        .order_by(Program.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def managed_role(actor: User, role_id: int) -> tuple[Role, Shop]:
    """A role and its shop, for those who may manage the shop's team (404, then 403, as
    ``PATCH /roles/{id}`` answers)."""
    role = db.session.get(Role, role_id)
    if role is None:
        raise NotFound(thing="role")
    return role, load_shop(actor, role.shop_id, ShopAction.ROLE_MANAGE)


def load_invitation(actor: User, invitation_id: int, action: str) -> ShopInvitation:
    """An invitation ``actor`` may answer (``invitation.respond``: the invitee only) or
    withdraw (``invitation.revoke``), whatever its status; 404 or 403 otherwise."""
    invitation = db.session.get(ShopInvitation, invitation_id)
    if invitation is None:
        raise NotFound(thing="invitation")
    require(actor, action, invitation)
    if action == ProgramAction.INVITATION_RESPOND and not is_invitee(actor, invitation):
        raise NotFound(thing="invitation")
    return invitation


def removable_role(actor: User, role_id: int) -> tuple[Role, Shop]:
    """A role ``actor`` may end, as ``DELETE /roles/{id}`` checks: their own (leaving the
    team) or, for those who manage the team, anyone's (404, then 403)."""
    role = db.session.get(Role, role_id)
    if role is None:
        raise NotFound(thing="role")
    action = ShopAction.ROLE_VIEW if role.user_id == actor.id else ShopAction.ROLE_MANAGE
    return role, load_shop(actor, role.shop_id, action)


def load_shop(actor: User | None, shop_id: int, action: str = ShopAction.SHOP_VIEW) -> Shop:
    """The shop, if ``actor`` may do ``action`` on it (404 or 403 otherwise)."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(thing="shop")
    require(actor, action, shop)
    return shop


def present(actor: User | None, shop: Shop, *, now: datetime | None = None) -> ShopOut:
    """The shop as the API shows it, open or closed at ``now`` in the shop's time zone."""
    data = {column.key: getattr(shop, column.key) for column in Shop.__mapper__.column_attrs}
    member = team_member(actor, shop)
    editor = member is not None and member.may(ShopPermission.EDIT_SHOP)
    return ShopOut.model_validate(
        {
            **data,
            "is_open_now": is_open_at(shop.availability_schedule, shop.time_zone, now or utcnow()),
            "my_role": member.role_type if member else None,
            "chat_webhook_url": shop.chat_webhook_url if editor else None,
        }
    )


def role_out(role: Role) -> RoleOut:
    permissions = permissions_for(role.role_type, role.permission_settings)
    return RoleOut.model_validate(
        {
            **{column.key: getattr(role, column.key) for column in Role.__mapper__.column_attrs},
            "permissions": sorted(permissions),
        }
    )


def shop_name(shop_id: int | None) -> str | None:
    if shop_id is None:
        return None
    return db.session.scalar(select(Shop.name).where(Shop.id == shop_id))


@dataclass(frozen=True)
class RunShop:
    """A shop the user runs (created it, or holds a role in its team)."""

    shop: Shop
    role_type: str  # "creator" or a ShopRoleType


def shops_run_by(actor: User) -> list[RunShop]:
    """The live shops ``actor`` created or has a team role in, by name (one query).

    Each shop's role is remembered for the request (``policy.remember_role``), so asking what
    the actor may do in these shops reads nothing more."""
    rows = db.session.execute(
        select(Shop, Role)
        .outerjoin(Role, and_(Role.shop_id == Shop.id, Role.user_id == actor.id))
        .where(
            Shop.deleted_at.is_(None),
            or_(Shop.created_by == actor.id, Role.id.is_not(None)),
        )
        .order_by(func.lower(Shop.name), Shop.id)
    ).all()
    found = []
    for shop, role in rows:
        remember_role(actor.id, shop.id, role)
        creator = shop.created_by == actor.id
        found.append(RunShop(shop, CREATOR if creator or role is None else role.role_type))
    return found


def pending_invitation_count(actor: User) -> int:
    """How many pending invitations are addressed to ``actor`` (one query): the header's
    badge, remembered until the session next writes (the home page asks again)."""

    def count() -> int:
        found = db.session.scalar(
            select(func.count(ShopInvitation.id)).where(
                invited_clause(actor), ShopInvitation.status == InvitationStatus.PENDING
            )
        )
        return int(found or 0)

    return cached_read(("pending_invitations", actor.id), count)
