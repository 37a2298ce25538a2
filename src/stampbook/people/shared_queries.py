"""Reads the people modules share: users' names, a user whose page the viewer may see, the
names of what posts and messages are about, and the navigation's badges every page shows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, literal, select, union_all

from stampbook.accounts.models import User
from stampbook.accounts.policy import AccountAction
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.policy import require
from stampbook.people.models import BuddyRequest, Message, RequestStatus
from stampbook.people.policy import seen_programs, seen_rewards, seen_tasks
from stampbook.people.schemas import UserRef
from stampbook.programs.models import Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from stampbook.shops.policy import visible_shops_clause
from stampbook.tasks.models import Task


def refs(user_ids: Iterable[int]) -> dict[int, UserRef]:
    """Names of users, in one query."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all()
    return {uid: UserRef(id=uid, name=name) for uid, name in rows}


def visible_owner(viewer: User | None, user_id: int) -> User:
    """A user whose page ``viewer`` may see (404 when there is none or it is hidden)."""
    owner = db.session.get(User, user_id)
    if owner is None:
        raise NotFound(thing="user")
    require(viewer, AccountAction.USER_VIEW, owner)
    return owner


def subject_names(
    viewer: User | None,
    *,
    shop_ids: Iterable[int | None] = (),
    program_ids: Iterable[int | None] = (),
    reward_ids: Iterable[int | None] = (),
    task_ids: Iterable[int | None] = (),
) -> dict[tuple[str, int], str]:
    """``{(kind, id): name}`` of the shops, programs, rewards and tasks that posts and
    messages are about, those the viewer may see only; one query for all."""
    wanted = {
        "shop": sorted({i for i in shop_ids if i is not None}),
        "program": sorted({i for i in program_ids if i is not None}),
        "reward": sorted({i for i in reward_ids if i is not None}),
        "task": sorted({i for i in task_ids if i is not None}),
    }
    parts: list[Any] = []
    if wanted["shop"]:
        parts.append(
            select(literal("shop"), Shop.id, Shop.name).where(
                Shop.id.in_(wanted["shop"]), visible_shops_clause(viewer)
            )
        )
    if wanted["program"]:
        parts.append(
            select(literal("program"), Program.id, Program.name).where(
                Program.id.in_(wanted["program"]), Program.id.in_(seen_programs(viewer))
            )
        )
    if wanted["reward"]:
        parts.append(
            select(literal("reward"), Reward.id, Reward.name).where(
                Reward.id.in_(wanted["reward"]), seen_rewards(viewer)
            )
        )
    if wanted["task"]:
        parts.append(
            select(literal("task"), Task.id, Task.name).where(
                Task.id.in_(wanted["task"]), seen_tasks(viewer)
            )
        )
    if not parts:
        return {}
    query: Any = parts[0]
    if len(parts) > 1:
        query = union_all(parts[0], *parts[1:])
    return {(str(kind), int(i)): str(name) for kind, i, name in db.session.execute(query)}


def waiting_counts(user_id: int) -> tuple[int, int]:
    """(unread messages, buddy requests waiting for my answer), in one query: the badges of
    every page's navigation."""
    unread = (
        select(func.count())
        .select_from(Message)
        .where(Message.to_user_id == user_id, Message.read_at.is_(None))
        .scalar_subquery()
    )
    asked = (
        select(func.count())
        .select_from(BuddyRequest)
        .where(BuddyRequest.to_user_id == user_id, BuddyRequest.status == RequestStatus.PENDING)
        .scalar_subquery()
    )
    row = db.session.execute(select(unread, asked)).one()
    return int(row[0] or 0), int(row[1] or 0)
