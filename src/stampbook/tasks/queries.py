"""Reads of tasks for the API: task lists, stamp histories, a program's group stats."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import may_see_section, visible_owners
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.pagination import PageQuery, newest_first, within
from stampbook.core.policy import can, require
from stampbook.ledger.models import LedgerEntry
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.policy import membership_of, program_team, shop_of
from stampbook.programs.queries import get_program
from stampbook.tasks.models import Stamp, Task, TaskOverride, TaskPrivacy
from stampbook.tasks.policy import RevokeAttempt, program_of, sees_all_history
from stampbook.tasks.rules import (
    BonusValues,
    StreakBonus,
    StreakPeriod,
    local_date,
    streak_in_progress,
)
from stampbook.tasks.schemas import StampQuery, StatsQuery
from stampbook.tasks.services import get_task, member_zone


def list_tasks(
    actor: User | None, program_id: int, page: PageQuery
) -> tuple[Sequence[Task], str | None]:
    program = get_program(program_id)
    require(actor, "program.view", program)
    query = select(Task).where(Task.program_id == program.id, Task.deleted_at.is_(None))
    if not sees_all_history(actor, program):
        privacies = [TaskPrivacy.PUBLIC]
        if membership_of(actor, program) is not None:
            privacies.append(TaskPrivacy.MEMBERS)
        query = query.where(Task.privacy_mode.in_(privacies))
    return newest_first(query, Task.id, page)


def _owner_visible(actor: User | None, user_id: int | None) -> bool:
    if user_id is None:  # an unclaimed customer: the team's business only
        return False
    if actor is not None and actor.id == user_id:
        return True
    owner = db.session.get(User, user_id)
    return owner is not None and may_see_section(actor, owner, Section.TASK_HISTORY)


def stamp_history(
    actor: User | None, task_id: int, query: StampQuery
) -> tuple[Sequence[Stamp], str | None]:
    """A task's stamps, newest first: the team sees all; others their own and, per user,
    as that user's task-history privacy allows (a hidden history answers 404)."""
    task = get_task(actor, task_id)
    program = program_of(task)
    stamps: Select[Any] = select(Stamp).where(Stamp.task_id == task.id)
    in_program = and_(Membership.id == Stamp.membership_id, Membership.program_id == program.id)
    if query.membership_id is not None:
        stamps = stamps.where(Stamp.membership_id == query.membership_id)
    if query.user_id is not None:
        stamps = stamps.join(Membership, in_program).where(Membership.user_id == query.user_id)
    if not sees_all_history(actor, program):
        if query.membership_id is not None or query.user_id is not None:
            owner_id = query.user_id
            if query.membership_id is not None:
                membership = db.session.get(Membership, query.membership_id)
                if membership is None or membership.program_id != program.id:
                    raise NotFound("No such membership in this task's program.")
                if owner_id is not None and membership.user_id != owner_id:
                    return [], None
                owner_id = membership.user_id
            if not _owner_visible(actor, owner_id):
                raise NotFound("This history is not visible to you.")
        else:
            # Every owner's privacy decided together: two queries, however many stamped.
            owners = db.session.scalars(
                select(User).where(
                    User.id.in_(
                        select(Membership.user_id)
                        .join(Stamp, Stamp.membership_id == Membership.id)
                        .where(Stamp.task_id == task.id, Membership.user_id.is_not(None))
                    )
                )
            ).all()
            visible = visible_owners(actor, owners, Section.TASK_HISTORY)
            stamps = stamps.join(Membership, in_program).where(
                Membership.user_id.in_(sorted(visible))
            )
    return newest_first(within(stamps, Stamp.created_at, query), Stamp.id, query)


def _in_period(column: Any, query: StatsQuery) -> list[ColumnElement[bool]]:
    conditions = []
    if query.since is not None:
        conditions.append(column >= query.since)
    if query.until is not None:
        conditions.append(column < query.until)
    return conditions


def program_stats(actor: User | None, program_id: int, query: StatsQuery) -> dict[str, Any]:
    """Members, points issued and spent, and stamps per task. All time, the totals are the
    memberships' running ones (a row per member); for a period, the entries of that period."""
    program = get_program(program_id)
    require(actor, "program.view_stats", program)
    in_program = Membership.program_id == program.id
    active = func.count(case((Membership.status == MembershipStatus.ACTIVE, 1)))
    if query.since is None and query.until is None:
        members, issued, spent = db.session.execute(
            select(
                active,
                func.coalesce(func.sum(Membership.points_earned), 0),
                func.coalesce(func.sum(Membership.points_spent), 0),
            ).where(in_program)
        ).one()
    else:
        members = db.session.execute(select(active).where(in_program)).scalar_one()
        issued, spent = db.session.execute(
            select(
                func.coalesce(
                    func.sum(case((LedgerEntry.amount > 0, LedgerEntry.amount), else_=0)), 0
                ),
                func.coalesce(
                    func.sum(case((LedgerEntry.amount < 0, -LedgerEntry.amount), else_=0)), 0
                ),
            ).where(
                LedgerEntry.membership_id.in_(select(Membership.id).where(in_program)),
                *_in_period(LedgerEntry.created_at, query),
            )
        ).one()
    # Per task through its own index (correlated subqueries): a join grouped by task lets the
    # planner hash every stamp of every program.
    live = (
        Stamp.task_id == Task.id,
        Stamp.revoked_at.is_(None),
        *_in_period(Stamp.created_at, query),
    )
    per_task = db.session.execute(
        select(
            Task.id,
            Task.name,
            select(func.count()).select_from(Stamp).where(*live).scalar_subquery(),
            select(func.coalesce(func.sum(Stamp.quantity), 0)).where(*live).scalar_subquery(),
        )
        .where(Task.program_id == program.id, Task.deleted_at.is_(None))
        .order_by(Task.id)
    ).all()
    return {
        "program_id": program.id,
        "members": int(members or 0),
        "points_issued": int(issued),
        "points_spent": int(spent),
        "tasks": [
            {"task_id": row[0], "name": row[1], "stamps": int(row[2]), "quantity": int(row[3])}
            for row in per_task
        ],
    }


# --- Reads for the pages --------------------------------------------------------------------


@dataclass(frozen=True)
class StreakProgress:
    """A streak a member has going on a task, and the task's streak bonuses of its period."""

    task_id: int
    task_name: str
    period: str
    length: int  # consecutive periods with a stamp so far
    current: bool  # the current period holds a stamp already
    bonuses: tuple[StreakBonus, ...]


def my_streaks(
    actor: User | None, program: Program, tasks: Sequence[Task], now: datetime
) -> list[StreakProgress]:
    """The actor's streaks in progress on ``tasks`` (visible tasks of ``program``) that pay
    streak bonuses, counted on the member's calendar as stamps count them; one query."""
    mine = membership_of(actor, program)
    with_streaks = {t.id: t for t in tasks if (t.bonus_values or {}).get("streaks")}
    if mine is None or not with_streaks:
        return []
    dates: dict[int, list[date]] = {task_id: [] for task_id in with_streaks}
    for task_id, day in db.session.execute(
        select(Stamp.task_id, Stamp.local_date)
        .distinct()
        .where(
            Stamp.membership_id == mine.id,
            Stamp.task_id.in_(sorted(with_streaks)),
            Stamp.revoked_at.is_(None),
        )
    ):
        dates[task_id].append(day)
    today = local_date(now, member_zone(mine, shop_of(program)))
    found = []
    for task_id, task in sorted(with_streaks.items(), key=lambda item: item[1].name):
        streaks = BonusValues.model_validate(task.bonus_values).streaks
        for period in StreakPeriod:
            of_period = tuple(s for s in streaks if s.period == period)
            if not of_period:
                continue
            length, current = streak_in_progress(dates[task_id], period, today)
            if length:
                found.append(
                    StreakProgress(task_id, task.name, period.value, length, current, of_period)
                )
    return found


def task_progress(task: Task, membership_id: int | None) -> tuple[int, int]:
    """``(the group's total, the member's total)``: quantities of live stamps, one query."""
    mine = (
        case((Stamp.membership_id == membership_id, Stamp.quantity), else_=0)
        if membership_id is not None
        else literal(0)
    )
    group, own = db.session.execute(
        select(func.coalesce(func.sum(Stamp.quantity), 0), func.coalesce(func.sum(mine), 0)).where(
            Stamp.task_id == task.id, Stamp.revoked_at.is_(None)
        )
    ).one()
    return int(group), int(own)


def revocable(actor: User | None, stamps: Sequence[Stamp], task: Task, now: datetime) -> set[int]:
    """The ids of ``stamps`` (of ``task``) that the actor may revoke now, in at most one query.

    Only the team and whoever made a stamp can ever be allowed, so the policy is asked about
    those stamps only, after their memberships are loaded together.
    """
    if actor is None:
        return set()
    team = actor.is_admin or program_team(actor, program_of(task)) is not None
    asked = [s for s in stamps if team or s.stamped_by == actor.id]
    ids = sorted({s.membership_id for s in asked})
    if ids:
        db.session.scalars(select(Membership).where(Membership.id.in_(ids))).all()
    return {s.id for s in asked if can(actor, "stamp.revoke", RevokeAttempt(s, task, now))}


def list_overrides(actor: User | None, task_id: int) -> tuple[Task, list[TaskOverride]]:
    """A task's per-member overrides, for whoever may set them; one query."""
    task = get_task(actor, task_id, "task.override")
    rows = db.session.scalars(
        select(TaskOverride).where(TaskOverride.task_id == task.id).order_by(TaskOverride.id)
    ).all()
    return task, list(rows)


def get_override(actor: User | None, task_id: int, membership_id: int) -> TaskOverride | None:
    """One member's override of a task, for whoever may set it (None if there is none)."""
    task = get_task(actor, task_id, "task.override")
    return db.session.scalars(
        select(TaskOverride).where(
            TaskOverride.task_id == task.id, TaskOverride.membership_id == membership_id
        )
    ).first()


def stamp_tasks(stamp_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """``{stamp_id: (task_id, task name)}``, to say what a ledger entry was for; one query."""
    ids = sorted(set(stamp_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Stamp.id, Task.id, Task.name)
        .join(Task, Task.id == Stamp.task_id)
        .where(Stamp.id.in_(ids), Task.deleted_at.is_(None))
    ).all()
    return {stamp_id: (task_id, name) for stamp_id, task_id, name in rows}


def get_stamp(stamp_id: int) -> Stamp | None:
    """A stamp by id, for a page to find its task; the services decide who may act on it."""
    return db.session.get(Stamp, stamp_id)


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
