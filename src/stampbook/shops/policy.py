"""The shop team: who is in it, in which role, and what each role may do; who sees a shop.

The creator (``Shop.created_by``) may do everything, and alone may delete or merge the shop.
Managers may do everything else. Assistants work in the seed's "simple" mode by default:
they create programs and rewards and control those they created or were assigned (a role
scoped to one reward or task). Viewers see the team's views and analytics. A role's
``permission_settings`` (the seed's "ideal" modular roles) turns single permissions on or
off, e.g. ``{"stamp": true, "edit_rewards": false}``; ``manage_roles`` is for managers only.

Who sees a shop: a ``public`` shop, everyone; an ``invite`` or ``private`` shop, its team and
the active members of its programs, and for ``invite`` shops also the users holding a pending
or accepted invitation to the shop or one of its programs. A deleted shop is seen by nobody
(admins aside). Everyone else gets 404, never 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select

from stampbook.accounts.models import User
from stampbook.core.db import cached_read, db
from stampbook.core.policy import Decision, gone_when, in_shop, rule
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.shops.models import (
    InvitationStatus,
    Role,
    Shop,
    ShopInvitation,
    ShopPrivacy,
    ShopRoleType,
)


class ShopAction(StrEnum):
    """The actions this domain's rules decide."""

    ROLE_MANAGE = "role.manage"
    ROLE_VIEW = "role.view"
    SHOP_DELETE = "shop.delete"
    SHOP_EDIT = "shop.edit"
    SHOP_INVITE = "shop.invite"
    SHOP_MERGE = "shop.merge"
    SHOP_SEARCH_MEMBERS = "shop.search_members"
    SHOP_VIEW = "shop.view"


CREATOR = "creator"


class ShopPermission(StrEnum):
    EDIT_SHOP = "edit_shop"
    MANAGE_ROLES = "manage_roles"  # managers only: assistants and viewers never manage roles
    CREATE_PROGRAMS = "create_programs"
    EDIT_PROGRAMS = "edit_programs"  # every program of the shop, not only one's own
    CREATE_REWARDS = "create_rewards"
    EDIT_REWARDS = "edit_rewards"  # every reward of the shop, not only one's own
    MANAGE_MEMBERS = "manage_members"
    STAMP = "stamp"
    CANCEL_REDEMPTIONS = "cancel_redemptions"
    SEE_ANALYTICS = "see_analytics"


ALL = frozenset(ShopPermission)
ROLE_DEFAULTS: dict[str, frozenset[ShopPermission]] = {
    CREATOR: ALL,
    ShopRoleType.MANAGER: ALL,
    ShopRoleType.ASSISTANT: frozenset(
        {ShopPermission.CREATE_PROGRAMS, ShopPermission.CREATE_REWARDS, ShopPermission.STAMP}
    ),
    ShopRoleType.VIEWER: frozenset({ShopPermission.SEE_ANALYTICS}),
}
MANAGER_ONLY = frozenset({ShopPermission.MANAGE_ROLES})
# Strongest first: a merge keeps the stronger of two roles of one user.
ROLE_RANK = {CREATOR: 3, ShopRoleType.MANAGER: 2, ShopRoleType.ASSISTANT: 1, ShopRoleType.VIEWER: 0}


@dataclass(frozen=True)
class TeamMember:
    """The actor's place in one shop's team."""

    role_type: str  # "creator" or a ShopRoleType
    permissions: frozenset[ShopPermission]
    reward_id: int | None = None  # a role scoped to one reward...
    task_id: int | None = None  # ...or to one task

    @property
    def is_creator(self) -> bool:
        return self.role_type == CREATOR

    @property
    def is_manager(self) -> bool:
        return self.role_type in {CREATOR, ShopRoleType.MANAGER}

    def may(self, permission: ShopPermission) -> bool:
        return permission in self.permissions


def permissions_for(role_type: str, settings: dict[str, Any] | None) -> frozenset[ShopPermission]:
    granted = set(ROLE_DEFAULTS.get(role_type, frozenset()))
    if role_type != CREATOR:
        for name, on in (settings or {}).items():
            if name in ShopPermission.__members__.values():
                (granted.add if on else granted.discard)(ShopPermission(name))
        if role_type != ShopRoleType.MANAGER:
            granted -= MANAGER_ONLY
    return frozenset(granted)


# Built once: asked by nearly every request (see ``stampbook.core.db.with_parents``).
_ROLE = select(Role).where(
    Role.shop_id == bindparam("shop_id"), Role.user_id == bindparam("user_id")
)


def role_of(user_id: int, shop_id: int) -> Role | None:
    return cached_read(
        ("role", user_id, shop_id),
        lambda: db.session.scalars(_ROLE, {"shop_id": shop_id, "user_id": user_id}).first(),
    )


def remember_role(user_id: int, shop_id: int, role: Role | None) -> None:
    """A role read with other rows (see ``policy.programs.with_actor_parts``) answers
    :func:`role_of` for this request."""
    cached_read(("role", user_id, shop_id), lambda: role)


def team_member(actor: User | None, shop: Shop) -> TeamMember | None:
    """The actor's role in ``shop``'s team, or None for people outside the team."""
    if actor is None:
        return None
    if shop.created_by == actor.id:
        return TeamMember(CREATOR, ALL)
    role = role_of(actor.id, shop.id)
    if role is None:
        return None
    return TeamMember(
        role.role_type,
        permissions_for(role.role_type, role.permission_settings),
        role.reward_id,
        role.task_id,
    )


def shop_role(actor: User | None, shop: Shop) -> str | None:
    member = team_member(actor, shop)
    return member.role_type if member else None


# --- Who sees a shop ------------------------------------------------------------------------


def invited_clause(user: User) -> ColumnElement[bool]:
    """Invitations addressed to ``user``: by id, or by email before they were claimed (once
    the user has confirmed that the address is theirs)."""
    if not user.email_verified:
        return ShopInvitation.user_id == user.id
    return or_(
        ShopInvitation.user_id == user.id,
        and_(ShopInvitation.user_id.is_(None), ShopInvitation.email == user.email),
    )


def _member_of_shop(user: User, shop_id: Any) -> ColumnElement[bool]:
    return exists().where(
        Membership.user_id == user.id,
        Membership.status == MembershipStatus.ACTIVE,
        Program.id == Membership.program_id,
        Program.shop_id == shop_id,
    )


def _invited_to_shop(user: User, shop_id: Any) -> ColumnElement[bool]:
    return exists().where(
        ShopInvitation.shop_id == shop_id,
        ShopInvitation.status.in_([InvitationStatus.PENDING, InvitationStatus.ACCEPTED]),
        invited_clause(user),
    )


def visible_shops_clause(actor: User | None) -> ColumnElement[bool]:
    """SQL for "the actor may see this shop": the ``shop.view`` rule, for list queries."""
    alive = Shop.deleted_at.is_(None)
    if actor is None:
        return and_(alive, Shop.privacy_mode == ShopPrivacy.PUBLIC)
    if actor.is_admin:
        return alive
    return and_(
        alive,
        or_(
            Shop.privacy_mode == ShopPrivacy.PUBLIC,
            Shop.created_by == actor.id,
            exists().where(Role.shop_id == Shop.id, Role.user_id == actor.id),
            _member_of_shop(actor, Shop.id),
            and_(Shop.privacy_mode == ShopPrivacy.INVITE, _invited_to_shop(actor, Shop.id)),
        ),
    )


def may_see_shop(actor: User | None, shop: Shop) -> bool:
    if shop.is_deleted:
        return actor is not None and actor.is_admin
    if shop.privacy_mode == ShopPrivacy.PUBLIC or team_member(actor, shop) is not None:
        return True
    if actor is None:
        return False
    if actor.is_admin or db.session.scalar(select(_member_of_shop(actor, shop.id))):
        return True
    return shop.privacy_mode == ShopPrivacy.INVITE and bool(
        db.session.scalar(select(_invited_to_shop(actor, shop.id)))
    )


def _seen_then(actor: User | None, shop: Shop, allowed: bool) -> Decision:
    if not may_see_shop(actor, shop):
        return Decision.HIDDEN
    return Decision.ALLOW if allowed else Decision.DENY


def _may(actor: User | None, shop: Shop, permission: ShopPermission) -> bool:
    member = team_member(actor, shop)
    return member is not None and member.may(permission)


# --- Rules ----------------------------------------------------------------------------------


# A deleted shop is kept (its programs archived, its ledger whole) but gone for the API.
gone_when(Shop, lambda shop: shop.is_deleted)
# What a shop's API key may be decided on (core.policy): its own shop and what is in it.
in_shop(Shop, lambda shop: shop.id)
in_shop(ShopInvitation, lambda invitation: invitation.shop_id)


@rule(ShopAction.SHOP_VIEW)
def view_shop(actor: User | None, shop: Shop) -> Decision:
    return Decision.ALLOW if may_see_shop(actor, shop) else Decision.HIDDEN


@rule(ShopAction.SHOP_EDIT)
def edit_shop(actor: User | None, shop: Shop) -> Decision:
    return _seen_then(actor, shop, _may(actor, shop, ShopPermission.EDIT_SHOP))


@rule(ShopAction.SHOP_DELETE)
def delete_shop(actor: User | None, shop: Shop) -> Decision:
    return _seen_then(actor, shop, actor is not None and shop.created_by == actor.id)


@rule(ShopAction.SHOP_MERGE)
def merge_shop(actor: User | None, shop: Shop) -> Decision:
    """Checked on both shops: only the creator of both may merge them."""
    return _seen_then(actor, shop, actor is not None and shop.created_by == actor.id)


@rule(ShopAction.SHOP_INVITE)
def invite_to_shop(actor: User | None, shop: Shop) -> Decision:
    """Send, list and revoke the shop's invitations."""
    return _seen_then(actor, shop, _may(actor, shop, ShopPermission.MANAGE_MEMBERS))


@rule(ShopAction.SHOP_SEARCH_MEMBERS)
def search_members(actor: User | None, shop: Shop) -> Decision:
    """Find a member to stamp or manage: team members who may stamp or manage members."""
    allowed = _may(actor, shop, ShopPermission.STAMP) or _may(
        actor, shop, ShopPermission.MANAGE_MEMBERS
    )
    return _seen_then(actor, shop, allowed)


@rule(ShopAction.ROLE_VIEW)
def view_roles(actor: User | None, shop: Shop) -> Decision:
    """Who sees the team list; each person in it is shown as their own privacy allows."""
    return Decision.ALLOW if may_see_shop(actor, shop) else Decision.HIDDEN


@rule(ShopAction.ROLE_MANAGE)
def manage_roles(actor: User | None, shop: Shop) -> Decision:
    """Add, change and remove roles: the creator and managers (``manage_roles``)."""
    return _seen_then(actor, shop, _may(actor, shop, ShopPermission.MANAGE_ROLES))
