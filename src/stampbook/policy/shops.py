"""The shop team: who is in it, in which role, and what each role may do.

The creator (``Shop.created_by``) may do everything, and alone may delete the shop.
Managers may do everything else. Assistants work in the seed's "simple" mode by default:
they create programs and rewards and control those they created or were assigned (a role
scoped to one reward or task). Viewers see the team's views and analytics. A role's
``permission_settings`` (the seed's "ideal" modular roles) turns single permissions on or
off, e.g. ``{"stamp": true, "edit_rewards": false}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.db import db
from stampbook.shops.models import Role, Shop, ShopRoleType

CREATOR = "creator"


class ShopPermission(StrEnum):
    EDIT_SHOP = "edit_shop"
    MANAGE_ROLES = "manage_roles"
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
    return frozenset(granted)


def team_member(actor: User | None, shop: Shop) -> TeamMember | None:
    """The actor's role in ``shop``'s team, or None for people outside the team."""
    if actor is None:
        return None
    if shop.created_by == actor.id:
        return TeamMember(CREATOR, ALL)
    role = db.session.scalars(
        select(Role).where(Role.shop_id == shop.id, Role.user_id == actor.id)
    ).first()
    if role is None:
        return None
    return TeamMember(
        role.role_type,
        permissions_for(role.role_type, role.permission_settings),
        getattr(role, "reward_id", None),
        getattr(role, "task_id", None),
    )


def shop_role(actor: User | None, shop: Shop) -> str | None:
    member = team_member(actor, shop)
    return member.role_type if member else None
