"""Shop use cases: shops, their team roles, invitations, deletion and merging.

Services never commit. A deleted shop is soft-deleted (``deleted_at``): its programs are
archived and their memberships keep their balances and entries, readable through the
memberships endpoints. Locks: shop rows in id order, then program rows, then membership
rows in id order (see ``stampbook.programs.services``), then reward rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from stampbook.accounts.models import User
from stampbook.accounts.queries import confirmed_owner
from stampbook.core import egress
from stampbook.core.db import db
from stampbook.core.errors import Conflict, Forbidden, NotFound
from stampbook.core.policy import require
from stampbook.programs.models import Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import (
    InvitationStatus,
    Role,
    Shop,
    ShopInvitation,
    ShopPrivacy,
    ShopRoleType,
)
from stampbook.shops.policy import (
    ALL,
    ROLE_RANK,
    ShopAction,
    ShopPermission,
    permissions_for,
    role_of,
    team_member,
)
from stampbook.shops.queries import load_shop, present, role_out
from stampbook.shops.rules import foreign_ids
from stampbook.shops.schemas import RoleOut, ShopOut
from stampbook.tasks.models import Task

# --- Shops ----------------------------------------------------------------------------------


def _checked_chat_url(url: str | None) -> str | None:
    """A chat webhook's URL the app may call (egress: a public address), or None."""
    return egress.check_url(url) if url else None


def create_shop(actor: User, *, now: datetime | None = None, **fields: Any) -> ShopOut:
    if "chat_webhook_url" in fields:
        fields["chat_webhook_url"] = _checked_chat_url(fields["chat_webhook_url"])
    shop = Shop(created_by=actor.id, **fields)
    db.session.add(shop)
    db.session.flush()
    return present(actor, shop, now=now)


def get_shop(actor: User | None, shop_id: int, *, now: datetime | None = None) -> ShopOut:
    return present(actor, load_shop(actor, shop_id), now=now)


def update_shop(
    actor: User, shop_id: int, changes: dict[str, Any], *, now: datetime | None = None
) -> ShopOut:
    shop = load_shop(actor, shop_id, ShopAction.SHOP_EDIT)
    if "order_program_ids" in changes:
        own = db.session.scalars(
            select(Program.id).where(Program.shop_id == shop.id, Program.archived_at.is_(None))
        )
        _refuse_foreign("order_program_ids", changes["order_program_ids"], own, "program")
    if changes.get("order_reward_ids"):
        own = db.session.scalars(
            select(Reward.id).where(
                Reward.shop_id == shop.id,
                Reward.deleted_at.is_(None),
                Reward.id.in_(changes["order_reward_ids"]),
            )
        )
        _refuse_foreign("order_reward_ids", changes["order_reward_ids"], own, "reward")
    # Checked when it changes (a page saves every field each time; the unchanged URL was
    # checked when saved, and is again at each call).
    if changes.get("chat_webhook_url", shop.chat_webhook_url) != shop.chat_webhook_url:
        changes["chat_webhook_url"] = _checked_chat_url(changes["chat_webhook_url"])
    for field, value in changes.items():
        setattr(shop, field, value)
    db.session.flush()
    return present(actor, shop, now=now)


def _refuse_foreign(field: str, wanted: list[int], own: Any, kind: str) -> None:
    foreign = foreign_ids(wanted, own)
    if foreign:
        raise NotFound(
            thing=f"shop_{kind}s",
            field=field,
            ids=", ".join(map(str, foreign)),
            count=len(foreign),
        )


def close_shop(shop: Shop, now: datetime) -> None:
    """The shop's own part of its deletion: pending invitations revoked, the shop soft-deleted."""
    revoke_shop_invitations(shop.id, now)
    shop.deleted_at = now
    db.session.flush()


def revoke_shop_invitations(shop_id: int, now: datetime) -> None:
    db.session.execute(
        update(ShopInvitation)
        .where(
            ShopInvitation.shop_id == shop_id,
            ShopInvitation.program_id.is_(None),
            ShopInvitation.status == InvitationStatus.PENDING,
        )
        .values(status=InvitationStatus.REVOKED, responded_at=now)
    )


def merge_roles(source: Shop, target: Shop) -> int:
    """Managers and assistants join the target's team; anyone in both keeps the stronger."""
    count = 0
    roles = db.session.scalars(
        select(Role)
        .where(
            Role.shop_id == source.id,
            Role.role_type.in_([ShopRoleType.MANAGER, ShopRoleType.ASSISTANT]),
        )
        .order_by(Role.id)
    ).all()
    for role in roles:
        if role.user_id == target.created_by:
            continue
        existing = role_of(role.user_id, target.id)
        if existing is None:
            role.shop_id = target.id
        elif ROLE_RANK[role.role_type] > ROLE_RANK[existing.role_type]:
            existing.role_type = role.role_type
            existing.permission_settings = dict(role.permission_settings)
            existing.reward_id, existing.task_id = role.reward_id, role.task_id
        else:
            continue
        count += 1
    db.session.flush()
    return count


# --- Roles ----------------------------------------------------------------------------------


def _actor_permissions(actor: User, shop: Shop) -> frozenset[ShopPermission]:
    if actor.is_admin:
        return ALL
    member = team_member(actor, shop)
    return member.permissions if member is not None else frozenset()


def _check_grant(actor: User, shop: Shop, role_type: str, settings: dict[str, Any]) -> None:
    """Nobody hands out (or takes away) more than they hold themselves."""
    if not permissions_for(role_type, settings) <= _actor_permissions(actor, shop):
        raise Forbidden(code="escalation")


def _check_scope(shop: Shop, role_type: str, reward_id: int | None, task_id: int | None) -> None:
    # The body alone cannot break these (its schema says so); with what the role has now, it can.
    if reward_id is not None and task_id is not None:
        raise Conflict(code="invalid_scope")
    if role_type == ShopRoleType.MANAGER and (reward_id is not None or task_id is not None):
        raise Conflict(code="invalid_scope")
    if reward_id is not None:
        found = db.session.scalar(
            select(Reward.id).where(
                Reward.id == reward_id, Reward.shop_id == shop.id, Reward.deleted_at.is_(None)
            )
        )
        if found is None:
            raise NotFound(thing="scope_reward")
    if task_id is not None:
        found = db.session.scalar(
            select(Task.id)
            .join(Program, Program.id == Task.program_id)
            .where(Task.id == task_id, Program.shop_id == shop.id, Task.deleted_at.is_(None))
        )
        if found is None:
            raise NotFound(thing="scope_task")


def create_role(
    actor: User,
    shop_id: int,
    *,
    user_id: int,
    role_type: str,
    permission_settings: dict[str, bool],
    reward_id: int | None = None,
    task_id: int | None = None,
) -> RoleOut:
    """Add someone to the team (creator and managers; within their own permissions)."""
    shop = load_shop(actor, shop_id, ShopAction.ROLE_MANAGE)
    user = db.session.get(User, user_id)
    if user is None or user.is_deleted:
        raise NotFound(thing="user")
    if user.id == shop.created_by:
        raise Conflict(code="is_creator")
    if user.id == actor.id:
        raise Forbidden(code="own_role")
    if role_of(user.id, shop.id) is not None:
        raise Conflict(code="already_in_team")
    _check_grant(actor, shop, role_type, permission_settings)
    _check_scope(shop, role_type, reward_id, task_id)
    role = Role(
        shop_id=shop.id,
        user_id=user.id,
        created_by=actor.id,
        role_type=role_type,
        permission_settings=dict(permission_settings),
        reward_id=reward_id,
        task_id=task_id,
    )
    db.session.add(role)
    db.session.flush()
    return role_out(role)


def _load_role(actor: User, role_id: int) -> tuple[Role, Shop]:
    role = db.session.get(Role, role_id)
    if role is None:
        raise NotFound(thing="role")
    shop = db.session.get(Shop, role.shop_id)
    assert shop is not None
    require(actor, ShopAction.ROLE_VIEW, shop)
    return role, shop


def update_role(actor: User, role_id: int, changes: dict[str, Any]) -> RoleOut:
    role, shop = _load_role(actor, role_id)
    require(actor, ShopAction.ROLE_MANAGE, shop)
    if role.user_id == actor.id and not actor.is_admin:
        raise Forbidden(code="own_role")
    _check_grant(actor, shop, role.role_type, role.permission_settings)
    merged = {
        "role_type": role.role_type,
        "permission_settings": role.permission_settings,
        "reward_id": role.reward_id,
        "task_id": role.task_id,
        **changes,
    }
    _check_grant(actor, shop, merged["role_type"], merged["permission_settings"])
    _check_scope(shop, merged["role_type"], merged["reward_id"], merged["task_id"])
    role.role_type = merged["role_type"]
    role.permission_settings = dict(merged["permission_settings"])
    role.reward_id, role.task_id = merged["reward_id"], merged["task_id"]
    db.session.flush()
    return role_out(role)


def delete_role(actor: User, role_id: int) -> None:
    """Remove someone from the team (within one's own permissions), or leave it oneself."""
    role, shop = _load_role(actor, role_id)
    if role.user_id != actor.id:
        require(actor, ShopAction.ROLE_MANAGE, shop)
        _check_grant(actor, shop, role.role_type, role.permission_settings)
    db.session.delete(role)
    db.session.flush()


# --- Invitations ----------------------------------------------------------------------------


def invite_to_shop(
    actor: User, shop_id: int, *, user_id: int | None = None, email: str | None = None
) -> ShopInvitation:
    """Invite someone to see an ``invite`` shop (managers, ``manage_members``)."""
    shop = load_shop(actor, shop_id, ShopAction.SHOP_INVITE)
    if shop.privacy_mode != ShopPrivacy.INVITE:
        raise Conflict(code="not_invite_only")
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None or user.is_deleted:
            raise NotFound(thing="user")
    else:
        assert email is not None
        email = email.strip().lower()
        # An address not confirmed by its account keeps the invitation by email until it is.
        user = confirmed_owner(email)
    pending = select(ShopInvitation.id).where(
        ShopInvitation.shop_id == shop.id,
        ShopInvitation.program_id.is_(None),
        ShopInvitation.status == InvitationStatus.PENDING,
        ShopInvitation.user_id == user.id if user else ShopInvitation.email == email,
    )
    if db.session.scalar(pending) is not None:
        raise Conflict(code="already_invited")
    invitation = ShopInvitation(
        shop_id=shop.id,
        user_id=user.id if user else None,
        email=None if user else email,
        created_by=actor.id,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation
