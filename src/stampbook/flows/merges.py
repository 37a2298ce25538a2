"""Merging shops and programs: everything of the source moves into the target, every point
is kept (each move is a ledger entry), and the source is left marked with where it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from stampbook.accounts.models import User
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict, NotFound
from stampbook.core.policy import require
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.programs.models import (
    Membership,
    MembershipStatus,
    Program,
)
from stampbook.programs.policy import (
    ProgramAction,
    shop_of,
)
from stampbook.programs.rules import identity_of, merged_status, require_live, stronger_role
from stampbook.programs.schemas import ProgramMergeOut, ProgramOut
from stampbook.programs.services import close_invitations, lock_programs, move_invitations
from stampbook.rewards.services import move_payments, move_rewards
from stampbook.shops.models import (
    InvitationStatus,
    Shop,
    ShopInvitation,
)
from stampbook.shops.policy import ShopAction
from stampbook.shops.queries import present
from stampbook.shops.rules import ordered
from stampbook.shops.schemas import ShopMergeOut
from stampbook.shops.services import merge_roles, revoke_shop_invitations
from stampbook.tasks.services import move_tasks


def merge_shops(
    actor: User, *, target_id: int, source_id: int, now: datetime | None = None
) -> ShopMergeOut:
    """Fold ``source`` into ``target`` (the creator of both): everything moves over.

    Its programs move with their members and points (memberships are untouched, so every
    balance stays as it was), its rewards move (``move_rewards``), its managers and
    assistants join the target's team (keeping the stronger role of anyone in both), and
    the source is soft-deleted with ``merged_into_id``.
    """
    now = now or utcnow()
    shops = {
        shop.id: shop
        for shop in db.session.scalars(
            select(Shop)
            .where(Shop.id.in_([target_id, source_id]))
            .order_by(Shop.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    if set(shops) != {target_id, source_id}:
        raise NotFound(thing="shop")
    target, source = shops[target_id], shops[source_id]
    require(actor, ShopAction.SHOP_MERGE, target)
    require(actor, ShopAction.SHOP_MERGE, source)
    if target is source:
        raise Conflict(code="same_shop")

    moved = db.session.scalars(select(Program).where(Program.shop_id == source.id)).all()
    for program in moved:
        program.shop_id = target.id
    db.session.execute(
        update(ShopInvitation)
        .where(ShopInvitation.shop_id == source.id, ShopInvitation.program_id.is_not(None))
        .values(shop_id=target.id)
    )
    revoke_shop_invitations(source.id, now)
    moved_roles = merge_roles(source, target)
    moved_rewards = move_rewards(from_shop_id=source.id, to_shop_id=target.id)
    live = [program.id for program in moved if not program.is_archived]
    target.order_program_ids = ordered(
        target.order_program_ids, [*[i for i in source.order_program_ids if i in live], *live]
    )
    target.order_reward_ids = ordered(target.order_reward_ids, source.order_reward_ids)
    source.deleted_at = now
    source.merged_into_id = target.id
    db.session.flush()
    return ShopMergeOut(
        shop=present(actor, target, now=now),
        moved_programs=len(moved),
        moved_rewards=moved_rewards,
        moved_roles=moved_roles,
    )


def merge_programs(
    actor: User, *, target_id: int, source_id: int, now: datetime | None = None
) -> ProgramMergeOut:
    """Fold ``source`` into ``target`` (same shop): members, points and tasks move over.

    A member of only the source moves as they are (same membership, balance and history).
    A person in both ends with their target membership holding the sum: the source balance
    moves by a ledger transfer (kind ``merge``) and the source membership is archived; they
    keep the stronger of their two roles and are active if they were active in either. The
    source program is archived with ``merged_into_id``. The total of all balances is
    unchanged. Locks: both programs in id order, then all their memberships in id order.
    """
    now = now or utcnow()
    programs = lock_programs([target_id, source_id])
    if set(programs) != {target_id, source_id}:
        raise NotFound(thing="program")
    target, source = programs[target_id], programs[source_id]
    require(actor, ProgramAction.PROGRAM_MERGE, target)
    require(actor, ProgramAction.PROGRAM_MERGE, source)
    if target is source:
        raise Conflict(code="same_program")
    if target.shop_id != source.shop_id:
        raise Conflict(code="different_shops")
    require_live(target)
    require_live(source)

    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.program_id.in_([target.id, source.id]))
        .order_by(Membership.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    in_target = {
        identity_of(m): m for m in memberships if m.program_id == target.id and identity_of(m)
    }
    membership_map: dict[int, int] = {}
    moved = points = 0
    for membership in (m for m in memberships if m.program_id == source.id):
        twin = in_target.get(identity_of(membership))
        if twin is None:
            membership.program_id = target.id
            moved += 1
            continue
        if membership.balance > 0:
            points += membership.balance
            ledger.transfer(
                from_membership_id=membership.id,
                to_membership_id=twin.id,
                amount=membership.balance,
                kind=EntryKind.MERGE,
                actor_id=actor.id,
                cause_type="program_merge",
                cause_id=source.id,
                note=f"Program {source.id} merged into program {target.id}",
            )
        twin.role_type = stronger_role(twin.role_type, membership.role_type)
        status = merged_status(twin.status, membership.status)
        if twin.user_id is not None and status != twin.status == MembershipStatus.INVITED:
            # Active through the source: the pending invitation is answered by the merge.
            close_invitations(target.id, twin.user_id, InvitationStatus.ACCEPTED, now)
        twin.status = status
        membership.status = MembershipStatus.ARCHIVED
        membership_map[membership.id] = twin.id
    db.session.flush()
    move_invitations(source, target, now)
    moved_tasks = move_tasks(
        from_program_id=source.id, to_program_id=target.id, membership_map=membership_map
    )
    move_payments(membership_map)
    source.archived_at = now
    source.merged_into_id = target.id
    shop = shop_of(target)
    shop.order_program_ids = [i for i in shop.order_program_ids if i != source.id]
    db.session.flush()
    return ProgramMergeOut(
        program=ProgramOut.model_validate(target),
        moved_memberships=moved,
        merged_memberships=len(membership_map),
        points_moved=points,
        moved_tasks=moved_tasks,
    )
