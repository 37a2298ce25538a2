"""Reads of tasks: loading a task for an actor (and, for a stamp, the membership and override
read with it) and a member's settings of it; for the API, task lists, stamp histories and a
program's group stats; and the pages' reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, literal, select
from sqlalchemy.orm import aliased

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import may_see_section, visible_owners
from stampbook.core.db import AnyRow, AnySelect, cached_read, db, load_with, with_parents
from stampbook.core.errors import NotFound
from stampbook.core.pagination import MAX_ID, PageQuery, newest_first, within
from stampbook.core.policy import can, require
from stampbook.core.zones import zone
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.policy import (
    ProgramAction,
    membership_of,
    program_team,
    remember_actor_parts,
    shop_of,
    with_actor_parts,
)
from stampbook.programs.queries import get_program
from stampbook.schedules.periods import local_date
from stampbook.shops.models import Shop
from stampbook.tasks import rules
from stampbook.tasks.models import Stamp, Task, TaskOverride, TaskPrivacy
from stampbook.tasks.policy import RevokeAttempt, TaskAction, program_of, sees_all_history
from stampbook.tasks.rules import (
    BonusValues,
    StreakBonus,
    StreakPeriod,
    TaskSettings,
    streak_in_progress,
)
from stampbook.tasks.schemas import StampQuery, StatsQuery

# --- Loading a task -------------------------------------------------------------------------


_TASK = with_actor_parts(
    with_parents(Task, (Program, Program.id == Task.program_id), (Shop, Shop.id == Program.shop_id))
)
# A stamp also reads the stamped membership (the bind parameter ``membership_id``) and its
# override of the task with the task, which the permission check and the stamp ask next: a
# round trip fewer each (the membership is the actor's own when members stamp themselves).
_Stamped = aliased(Membership, name="stamped")
_TASK_TO_STAMP = (
    _TASK.add_columns(_Stamped, TaskOverride)
    .outerjoin(_Stamped, _Stamped.id == bindparam("membership_id"))
    .outerjoin(
        TaskOverride,
        and_(TaskOverride.task_id == Task.id, TaskOverride.membership_id == _Stamped.id),
    )
)


def _load_task(
    query: AnySelect, actor: User | None, task_id: int, action: str, **params: Any
) -> AnyRow:
    row = load_with(query, task_id, actor_id=actor.id if actor else None, **params)
    if row is None or row[0].deleted_at is not None:
        raise NotFound(thing="task")
    task, program, shop, role, mine = row[:5]
    remember_actor_parts(actor, program, shop, role, mine)
    require(actor, action, task)
    return row


def get_task(actor: User | None, task_id: int, action: str = TaskAction.TASK_VIEW) -> Task:
    """A live task, read with its program and shop and the actor's part in them, if the actor
    may do ``action`` on it (404 for a task they do not see, 403 for one they may not act on)."""
    task: Task = _load_task(_TASK, actor, task_id, action)[0]
    return task


def task_to_stamp(actor: User | None, task_id: int, membership_id: int) -> Task:
    """:func:`get_task`, and the stamped membership and its override read with it."""
    # An id no row can have is left to the membership's own lookup to refuse, as before.
    stamped_id = membership_id if 1 <= membership_id <= MAX_ID else None
    row = _load_task(_TASK_TO_STAMP, actor, task_id, TaskAction.TASK_VIEW, membership_id=stamped_id)
    task: Task = row[0]
    stamped, override = row[5:]
    if stamped is not None:
        _remember_override(task.id, stamped.id, override)
    return task


def membership_in(task: Task, membership_id: int) -> Membership:
    """A membership of the task's program (404 otherwise); who may act on it is the caller's."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.program_id != task.program_id:
        raise NotFound(thing="task_membership")
    return membership


def member_zone(membership: Membership, shop: Shop) -> ZoneInfo:
    """The member's time zone; the shop's for a customer without an account."""
    user = db.session.get(User, membership.user_id) if membership.user_id is not None else None
    return zone(user.time_zone if user else None, shop.time_zone)


# --- A member's settings of a task ----------------------------------------------------------


_OVERRIDE = select(TaskOverride).where(
    TaskOverride.task_id == bindparam("task_id"),
    TaskOverride.membership_id == bindparam("membership_id"),
)


def override_row(task_id: int, membership_id: int) -> TaskOverride | None:
    """A member's override of a task, if any; unchecked (the caller loaded the task)."""
    return db.session.scalars(
        _OVERRIDE, {"task_id": task_id, "membership_id": membership_id}
    ).first()


def effective_settings(task: Task, membership_id: int) -> TaskSettings:
    """The task's settings for one member: the task's, with the member's override on top."""
    # Asked by the permission check and again by the stamp itself: one read per request.
    row = cached_read(
        ("task_override", task.id, membership_id), lambda: override_row(task.id, membership_id)
    )
    return rules.effective_settings(task.settings(), row.settings() if row else None)


def _remember_override(task_id: int, membership_id: int, row: TaskOverride | None) -> None:
    """An override read with other rows answers :func:`effective_settings` for this request."""
    cached_read(("task_override", task_id, membership_id), lambda: row)


# --- Reads for the API ----------------------------------------------------------------------


def list_tasks(
    actor: User | None, program_id: int, page: PageQuery
) -> tuple[Sequence[Task], str | None]:
    program = get_program(program_id)
    require(actor, ProgramAction.PROGRAM_VIEW, program)
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
                    raise NotFound(thing="task_membership")
                if owner_id is not None and membership.user_id != owner_id:
                    return [], None
                owner_id = membership.user_id
            if not _owner_visible(actor, owner_id):
                raise NotFound(thing="history")
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
    memberships' running ones (a row per member); for a period, the entries of that period.

    A refund (a cancelled receipt's points, a pot's contribution given back) is not an
    earning: it undoes a spending, so it counts in neither total (``points_spent`` is what
    stayed spent), and issued minus spent still matches what the members hold."""
    program = get_program(program_id)
    require(actor, TaskAction.PROGRAM_VIEW_STATS, program)
    in_program = Membership.program_id == program.id
    active = func.count(case((Membership.status == MembershipStatus.ACTIVE, 1)))
    member = aliased(Membership)  # not correlated with the statement's own memberships
    refunded = (
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .where(
            LedgerEntry.membership_id.in_(select(member.id).where(member.program_id == program.id)),
            LedgerEntry.kind == EntryKind.REFUND,
            LedgerEntry.amount > 0,
            *_in_period(LedgerEntry.created_at, query),
        )
        .scalar_subquery()
    )
    if query.since is None and query.until is None:
        members, issued, spent, refunds = db.session.execute(
            select(
                active,
                func.coalesce(func.sum(Membership.points_earned), 0),
                func.coalesce(func.sum(Membership.points_spent), 0),
                refunded,
            ).where(in_program)
        ).one()
    else:
        members = db.session.execute(select(active).where(in_program)).scalar_one()
        issued, spent, refunds = db.session.execute(
            select(
                func.coalesce(
                    func.sum(case((LedgerEntry.amount > 0, LedgerEntry.amount), else_=0)), 0
                ),
                func.coalesce(
                    func.sum(case((LedgerEntry.amount < 0, -LedgerEntry.amount), else_=0)), 0
                ),
                refunded,
            ).where(
                LedgerEntry.membership_id.in_(select(Membership.id).where(in_program)),
                *_in_period(LedgerEntry.created_at, query),
            )
        ).one()
    issued, spent = int(issued) - int(refunds), int(spent) - int(refunds)
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
    return {s.id for s in asked if can(actor, TaskAction.STAMP_REVOKE, RevokeAttempt(s, task, now))}


def list_overrides(actor: User | None, task_id: int) -> tuple[Task, list[TaskOverride]]:
    """A task's per-member overrides, for whoever may set them; one query."""
    task = get_task(actor, task_id, TaskAction.TASK_OVERRIDE)
    rows = db.session.scalars(
        select(TaskOverride).where(TaskOverride.task_id == task.id).order_by(TaskOverride.id)
    ).all()
    return task, list(rows)


def get_override(actor: User | None, task_id: int, membership_id: int) -> TaskOverride | None:
    """One member's override of a task, for whoever may set it (None if there is none)."""
    task = get_task(actor, task_id, TaskAction.TASK_OVERRIDE)
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
    """A stamp by id, for a page to find its task; ``stampbook.tasks.stamping`` decides who may
    act on it."""
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


def stamps_since(since: Mapping[int, datetime]) -> dict[int, int]:
    """Stamps (by quantity, revoked ones left out) given in each shop since its own instant:
    ``{shop_id: start}`` in, ``{shop_id: stamps}`` out (one query; a shop without stamps is
    left out). The owner's home asks with each shop's local midnight."""
    if not since:
        return {}
    rows = db.session.execute(
        select(Program.shop_id, func.coalesce(func.sum(Stamp.quantity), 0))
        .join(Task, Task.id == Stamp.task_id)
        .join(Program, Program.id == Task.program_id)
        .where(
            Program.shop_id.in_(list(since)),
            Stamp.revoked_at.is_(None),
            Stamp.created_at
            >= case(
                {shop: literal(start, Stamp.created_at.type) for shop, start in since.items()},
                value=Program.shop_id,
            ),
        )
        .group_by(Program.shop_id)
    ).all()
    return {int(shop_id): int(count) for shop_id, count in rows}
