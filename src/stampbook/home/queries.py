"""Reads that the pages need and the API has no endpoint for, each in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.ledger.models import LedgerEntry
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.rewards.models import Favorite, Reward
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task

RECENT_ACTIVITY = 10
FAVOURITES = 20


@dataclass(frozen=True)
class MembershipLine:
    membership_id: int
    program_id: int
    program_name: str
    shop_id: int
    shop_name: str
    balance: int


@dataclass(frozen=True)
class ActivityLine:
    created_at: datetime
    amount: int
    kind: str
    note: str | None
    program_id: int
    program_name: str
    shop_name: str


@dataclass(frozen=True)
class FavouriteLine:
    reward_id: int
    reward_name: str
    cost: int
    shop_id: int
    shop_name: str


def my_memberships(user_id: int, *, shop_id: int | None = None) -> list[MembershipLine]:
    """The user's active memberships with their balances (in one shop, if given)."""
    query = (
        select(Membership.id, Program.id, Program.name, Shop.id, Shop.name, Membership.balance)
        .join(Program, Program.id == Membership.program_id)
        .join(Shop, Shop.id == Program.shop_id)
        .where(
            Membership.user_id == user_id,
            Membership.status == MembershipStatus.ACTIVE,
            Program.archived_at.is_(None),
        )
        .order_by(Shop.name, Program.name)
    )
    if shop_id is not None:
        query = query.where(Program.shop_id == shop_id)
    return [MembershipLine(*row) for row in db.session.execute(query).all()]


def recent_activity(user_id: int, limit: int = RECENT_ACTIVITY) -> list[ActivityLine]:
    """The latest ledger entries of all the user's memberships, newest first."""
    rows = db.session.execute(
        select(
            LedgerEntry.created_at,
            LedgerEntry.amount,
            LedgerEntry.kind,
            LedgerEntry.note,
            Program.id,
            Program.name,
            Shop.name,
        )
        .join(Membership, Membership.id == LedgerEntry.membership_id)
        .join(Program, Program.id == Membership.program_id)
        .join(Shop, Shop.id == Program.shop_id)
        .where(Membership.user_id == user_id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    ).all()
    return [ActivityLine(*row) for row in rows]


def favourite_rewards(user_id: int, limit: int = FAVOURITES) -> list[FavouriteLine]:
    rows = db.session.execute(
        select(Reward.id, Reward.name, Reward.cost, Shop.id, Shop.name)
        .join(Favorite, Favorite.reward_id == Reward.id)
        .join(Shop, Shop.id == Reward.shop_id)
        .where(
            Favorite.user_id == user_id,
            Reward.deleted_at.is_(None),
            Shop.deleted_at.is_(None),
        )
        .order_by(Shop.name, Reward.name)
        .limit(limit)
    ).all()
    return [FavouriteLine(*row) for row in rows]


def shop_name(shop_id: int | None) -> str | None:
    if shop_id is None:
        return None
    return db.session.scalar(select(Shop.name).where(Shop.id == shop_id))


def tasks_of(program_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """The live tasks of several programs, ``{program_id: [(task_id, name)]}``, in one query."""
    ids = sorted(set(program_ids))
    found: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(Task.program_id, Task.id, Task.name)
        .where(Task.program_id.in_(ids), Task.deleted_at.is_(None))
        .order_by(Task.name, Task.id)
    ).all()
    for program_id, task_id, name in rows:
        found[program_id].append((task_id, name))
    return found


def user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()
    return {row[0]: row[1] for row in rows}


def membership_owners(membership_ids: Iterable[int]) -> dict[int, str]:
    """``{membership_id: owner's name}`` (unclaimed customers have none), in one query."""
    ids = sorted(set(membership_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Membership.id, User.name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.id.in_(ids))
    ).all()
    return {row[0]: row[1] for row in rows}
