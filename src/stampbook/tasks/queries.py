"""Reads of tasks for the API: task lists, stamp histories, a program's group stats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select

from stampbook.accounts.models import Section, User
from stampbook.db import db
from stampbook.errors import NotFound
from stampbook.ledger.models import LedgerEntry
from stampbook.pagination import PageQuery, newest_first, within
from stampbook.policy import require
from stampbook.policy.accounts import may_see_section
from stampbook.policy.programs import membership_of
from stampbook.policy.tasks import program_of, sees_all_history
from stampbook.programs.models import Membership, MembershipStatus
from stampbook.tasks.models import Stamp, Task, TaskPrivacy
from stampbook.tasks.schemas import StampQuery, StatsQuery
from stampbook.tasks.services import get_program, get_task


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
            user_ids = db.session.scalars(
                select(Membership.user_id)
                .distinct()
                .join(Stamp, Stamp.membership_id == Membership.id)
                .where(Stamp.task_id == task.id, Membership.user_id.is_not(None))
            )
            visible = [uid for uid in user_ids if _owner_visible(actor, uid)]
            stamps = stamps.join(Membership, in_program).where(Membership.user_id.in_(visible))
    return newest_first(within(stamps, Stamp.created_at, query), Stamp.id, query)


def _in_period(column: Any, query: StatsQuery) -> list[ColumnElement[bool]]:
    conditions = []
    if query.since is not None:
        conditions.append(column >= query.since)
    if query.until is not None:
        conditions.append(column < query.until)
    return conditions


def program_stats(actor: User | None, program_id: int, query: StatsQuery) -> dict[str, Any]:
    program = get_program(program_id)
    require(actor, "program.view_stats", program)
    members = db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.program_id == program.id, Membership.status == MembershipStatus.ACTIVE)
    )
    entries: Select[Any] = select(
        func.coalesce(func.sum(case((LedgerEntry.amount > 0, LedgerEntry.amount), else_=0)), 0),
        func.coalesce(func.sum(case((LedgerEntry.amount < 0, -LedgerEntry.amount), else_=0)), 0),
    ).where(
        LedgerEntry.membership_id.in_(
            select(Membership.id).where(Membership.program_id == program.id)
        )
    )
    issued, spent = db.session.execute(
        entries.where(*_in_period(LedgerEntry.created_at, query))
    ).one()
    stamp_filter = [
        Stamp.task_id == Task.id,
        Stamp.revoked_at.is_(None),
        *_in_period(Stamp.created_at, query),
    ]
    per_task = db.session.execute(
        select(Task.id, Task.name, func.count(Stamp.id), func.coalesce(func.sum(Stamp.quantity), 0))
        .outerjoin(Stamp, and_(*stamp_filter))
        .where(Task.program_id == program.id, Task.deleted_at.is_(None))
        .group_by(Task.id, Task.name)
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
