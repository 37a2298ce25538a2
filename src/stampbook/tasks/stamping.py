"""Stamping, revoking and annotating stamps, with the paying (and taking back) of bonuses and
the locks that keep their counts exact. Who may stamp is decided by ``stampbook.tasks.policy``,
when and how often by ``stampbook.tasks.rules``; this module checks the state of the membership
and the program, asks both, and writes.

Lock order. Stamping and revoking count stamps and then write; to count exactly under
concurrent requests they lock, in this order:

1. the membership rows involved, in id order (``SELECT ... FOR UPDATE``): the stamped
   membership, plus the payees of group bonuses the stamp pays (or whose payment a
   revocation takes back);
2. then the task row, for tasks with group bonuses.

Every stamp of a membership locks that membership first, so its own stamps are counted
exactly; every stamp of a task with group bonuses also locks the task, so the group's stamps
are counted exactly. The payees of a group bonus are predicted from a read made before
locking and locked, in id order, with the stamped membership. Payees the locked
re-evaluation finds beyond that prediction (members whose stamps committed while this
request waited for the task) are locked with ``NOWAIT``: never waiting, so this cannot
deadlock; if one of them is busy the transaction is retried (``RetryTransaction``) and
locks in order from the start. On SQLite the whole database is locked at BEGIN for
writes, so there these locks are no-ops.

Beyond locks, each bonus paid is a ``TaskBonusAward`` row, unique per (task, membership,
key), and each group bonus reached a ``TaskGroupAward`` row, unique per (task, key): the
database itself refuses to pay a bonus twice.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db, execute_core
from stampbook.core.errors import Conflict, Forbidden, NotFound
from stampbook.core.policy import Decision, decide, require
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.programs.models import Membership, MembershipStatus
from stampbook.shops.models import Shop
from stampbook.tasks import rules
from stampbook.tasks.models import Stamp, Task, TaskBonusAward, TaskGroupAward
from stampbook.tasks.policy import RevokeAttempt, StampAttempt, TaskAction, program_of
from stampbook.tasks.queries import effective_settings, member_zone, membership_in, task_to_stamp
from stampbook.tasks.rules import Evaluation, PastStamp, TaskSettings

CAUSE = "stamp"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's answer to FOR UPDATE NOWAIT on a busy row


def _shop_of(task: Task) -> Shop:
    shop = db.session.get(Shop, program_of(task).shop_id)
    assert shop is not None  # a foreign key guarantees it
    return shop


# --- Reading what a stamp is evaluated against -----------------------------------------------

# The statements a stamp runs are built once (see ``stampbook.core.db.with_parents``); those of
# plain columns run without the ORM (``stampbook.core.db.execute_core``).


@functools.cache
def _past_stamps_query(*, of_membership: bool, excluding: bool) -> Select[int, datetime, date, int]:
    query = select(Stamp.membership_id, Stamp.created_at, Stamp.local_date, Stamp.quantity).where(
        Stamp.task_id == bindparam("task_id"), Stamp.revoked_at.is_(None)
    )
    if of_membership:
        query = query.where(Stamp.membership_id == bindparam("membership_id"))
    if excluding:
        query = query.where(Stamp.id != bindparam("exclude_stamp_id"))
    return query.order_by(Stamp.id)


def _past_stamps(
    task_id: int, membership_id: int | None = None, exclude_stamp_id: int | None = None
) -> list[PastStamp]:
    query = _past_stamps_query(
        of_membership=membership_id is not None, excluding=exclude_stamp_id is not None
    )
    params = {
        "task_id": task_id,
        "membership_id": membership_id,
        "exclude_stamp_id": exclude_stamp_id,
    }
    return [PastStamp(*row) for row in execute_core(query, params)]


_AWARDED_KEYS = select(TaskBonusAward.bonus_key).where(
    TaskBonusAward.task_id == bindparam("task_id"),
    TaskBonusAward.membership_id == bindparam("membership_id"),
)
_GROUP_KEYS = select(TaskGroupAward.bonus_key).where(TaskGroupAward.task_id == bindparam("task_id"))


def _awarded_keys(task_id: int, membership_id: int) -> set[str]:
    params = {"task_id": task_id, "membership_id": membership_id}
    return set(execute_core(_AWARDED_KEYS, params).scalars())


def _group_keys(task_id: int) -> set[str]:
    return set(execute_core(_GROUP_KEYS, {"task_id": task_id}).scalars())


def _evaluate(
    task: Task,
    settings: TaskSettings,
    membership_id: int,
    *,
    quantity: int,
    partial: bool,
    now: datetime,
    tz: ZoneInfo,
) -> Evaluation:
    group = settings.bonus_values.has_group_bonuses
    return rules.evaluate_stamp(
        settings,
        membership_id=membership_id,
        quantity=quantity,
        partial=partial,
        history=_past_stamps(task.id, membership_id),
        group_history=_past_stamps(task.id) if group else (),
        awarded=_awarded_keys(task.id, membership_id),
        group_awarded=_group_keys(task.id) if group else frozenset(),
        now=now,
        tz=tz,
    )


_ACTIVE = select(Membership.id).where(
    Membership.id.in_(bindparam("ids", expanding=True)),
    Membership.status == MembershipStatus.ACTIVE,
)
_LOCK_MEMBERSHIPS = (
    select(Membership)
    .where(Membership.id.in_(bindparam("ids", expanding=True)))
    .order_by(Membership.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _active(membership_ids: Iterable[int]) -> set[int]:
    ids = set(membership_ids)
    if not ids:
        return set()
    return set(execute_core(_ACTIVE, {"ids": list(ids)}).scalars())


def _lock_memberships(membership_ids: Iterable[int]) -> dict[int, Membership]:
    """Lock (and reload) memberships in id order: step 1 of the lock order."""
    rows = db.session.scalars(_LOCK_MEMBERSHIPS, {"ids": sorted(set(membership_ids))}).all()
    return {row.id: row for row in rows}


def _lock_without_waiting(membership_ids: set[int]) -> None:
    """Lock memberships found only after the task lock, without waiting for them.

    They belong to members whose stamps committed while this request waited for the task,
    so their rows are normally free. Not waiting means taking them out of order cannot
    deadlock; if one is busy (its member is stamping again), the transaction is retried
    and locks them in order from the start.
    """
    if not membership_ids:
        return
    try:
        db.session.execute(
            select(Membership.id)
            .where(Membership.id.in_(sorted(membership_ids)))
            .order_by(Membership.id)
            .with_for_update(nowait=True)
        ).all()
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise RetryTransaction() from error
        raise


_LOCK_TASK = (
    select(Task)
    .where(Task.id == bindparam("task_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _lock_task(task_id: int) -> Task:
    """Lock (and reload) the task: step 2 of the lock order."""
    return db.session.scalars(_LOCK_TASK, {"task_id": task_id}).one()


# --- Stamping -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StampResult:
    stamp: Stamp
    points: int
    breakdown: list[dict[str, Any]]


def stamp_task(
    actor: User | None,
    *,
    task_id: int,
    membership_id: int,
    quantity: int = 1,
    partial: bool = False,
    note: str | None = None,
    now: datetime | None = None,
) -> StampResult:
    """Credit one completion of the task to a membership, with its base value and bonuses."""
    now = now or clock.now()
    task = task_to_stamp(actor, task_id, membership_id)
    membership = membership_in(task, membership_id)
    decision = decide(actor, TaskAction.TASK_STAMP, StampAttempt(task, membership))
    if decision is Decision.HIDDEN:
        raise NotFound(thing="task_membership")
    _require_active(membership)
    if decision is Decision.DENY:
        raise Forbidden(code="stamp_not_allowed")
    assert actor is not None  # the rule lets no anonymous caller through
    if program_of(task).is_archived:
        raise Conflict(code="program_archived")
    tz = member_zone(membership, _shop_of(task))

    settings = effective_settings(task, membership.id)
    predicted: set[int] = set()
    if settings.bonus_values.has_group_bonuses:
        preview = _evaluate(
            task, settings, membership.id, quantity=quantity, partial=partial, now=now, tz=tz
        )
        predicted = _active(preview.group_payees)
    locked = _lock_memberships({membership.id} | predicted)
    task_locked = settings.bonus_values.has_group_bonuses
    if task_locked:
        task = _lock_task(task.id)
    membership = locked[membership.id]
    _require_active(membership)

    settings = effective_settings(task, membership.id)
    if settings.bonus_values.has_group_bonuses and not task_locked:
        raise RetryTransaction()  # group bonuses were added meanwhile: lock the task too
    evaluation = _evaluate(
        task, settings, membership.id, quantity=quantity, partial=partial, now=now, tz=tz
    )
    if evaluation.refusal is not None:
        refusal = evaluation.refusal
        raise Conflict(code=refusal.code, extra=refusal.details, **refusal.params)
    payees = {membership.id} | _active(evaluation.group_payees)
    _lock_without_waiting(payees - locked.keys())

    stamp = Stamp(
        task_id=task.id,
        membership_id=membership.id,
        stamped_by=actor.id,
        quantity=quantity,
        partial=partial,
        points=evaluation.points_for(membership.id),
        note=note,
        local_date=evaluation.local_date,
        time_zone=tz.key,
        created_at=now,
    )
    # All or nothing through the caller's unit of work (or the page's ``attempt`` savepoint).
    db.session.add(stamp)
    db.session.flush()
    _pay(task, stamp, evaluation, payees, actor_id=actor.id)
    breakdown = [
        {"kind": award.kind, "name": award.name, "points": award.points}
        for award in evaluation.awards
        if membership.id in award.payees
    ]
    return StampResult(stamp, stamp.points, breakdown)


def _require_active(membership: Membership) -> None:
    if membership.status != MembershipStatus.ACTIVE:
        raise Conflict(code="membership_inactive")


def _pay(
    task: Task, stamp: Stamp, evaluation: Evaluation, payees: set[int], *, actor_id: int
) -> None:
    """The base entry and one entry per bonus and payee, each recorded as an award row."""
    base, bonuses = evaluation.awards[0], evaluation.awards[1:]
    if base.points:
        entry = ledger.post(
            membership_id=stamp.membership_id,
            amount=base.points,
            kind=EntryKind.STAMP,
            actor_id=actor_id,
            cause_type=CAUSE,
            cause_id=stamp.id,
            note=task.name,
        )
        stamp.entry_id = entry.id
    for award in bonuses:
        assert award.key is not None  # every bonus has a key
        for payee in sorted(award.payees & payees):
            entry = ledger.post(
                membership_id=payee,
                amount=award.points,
                kind=EntryKind.BONUS,
                actor_id=actor_id,
                cause_type=CAUSE,
                cause_id=stamp.id,
                note=f"{task.name}: {award.name}",
            )
            db.session.add(
                TaskBonusAward(
                    task_id=task.id,
                    membership_id=payee,
                    bonus_key=award.key,
                    stamp_id=stamp.id,
                    entry_id=entry.id,
                    points=award.points,
                )
            )
        if award.is_group:
            db.session.add(TaskGroupAward(task_id=task.id, bonus_key=award.key, stamp_id=stamp.id))
    try:
        db.session.flush()
    except IntegrityError as error:
        # The unique award rows caught a second payment; run again, it will not pay it.
        raise RetryTransaction() from error


# --- Revoking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevokeResult:
    stamp: Stamp
    points: int
    reversals: list[LedgerEntry]


@dataclass(frozen=True)
class _Plan:
    awards: list[TaskBonusAward]
    group_awards: list[TaskGroupAward]

    @property
    def membership_ids(self) -> set[int]:
        return {award.membership_id for award in self.awards}


def _revocation_plan(task: Task, stamp: Stamp, settings: TaskSettings) -> _Plan:
    """The awards to take back: the stamp's own, and one-time ones that no longer hold."""
    session = db.session
    own = list(session.scalars(select(TaskBonusAward).where(TaskBonusAward.stamp_id == stamp.id)))
    own_group = list(
        session.scalars(select(TaskGroupAward).where(TaskGroupAward.stamp_id == stamp.id))
    )
    group = settings.bonus_values.has_group_bonuses
    own_keys = {a.bonus_key for a in own if a.membership_id == stamp.membership_id}
    lost, group_lost = rules.lost_awards(
        settings,
        history=_past_stamps(task.id, stamp.membership_id, exclude_stamp_id=stamp.id),
        group_history=_past_stamps(task.id, exclude_stamp_id=stamp.id) if group else (),
        awarded=_awarded_keys(task.id, stamp.membership_id) - own_keys,
        group_awarded=_group_keys(task.id) - {g.bonus_key for g in own_group},
    )
    others: list[TaskBonusAward] = []
    if lost:
        others += session.scalars(
            select(TaskBonusAward).where(
                TaskBonusAward.task_id == task.id,
                TaskBonusAward.membership_id == stamp.membership_id,
                TaskBonusAward.bonus_key.in_(lost),
            )
        )
    other_groups: list[TaskGroupAward] = []
    if group_lost:
        others += session.scalars(
            select(TaskBonusAward).where(
                TaskBonusAward.task_id == task.id, TaskBonusAward.bonus_key.in_(group_lost)
            )
        )
        other_groups += session.scalars(
            select(TaskGroupAward).where(
                TaskGroupAward.task_id == task.id, TaskGroupAward.bonus_key.in_(group_lost)
            )
        )
    awards = {a.id: a for a in [*own, *others]}
    groups = {g.id: g for g in [*own_group, *other_groups]}
    return _Plan(
        sorted(awards.values(), key=lambda a: (a.membership_id, a.id)), list(groups.values())
    )


def revoke_stamp(actor: User | None, *, stamp_id: int, now: datetime | None = None) -> RevokeResult:
    """Take a stamp back: reverse its entries and the one-time bonuses that no longer hold.

    All or nothing: if a reversal would take a balance below zero (the points were spent),
    ``InsufficientPoints`` is raised and nothing changes.
    """
    now = now or clock.now()
    stamp = db.session.get(Stamp, stamp_id)
    if stamp is None:
        raise NotFound(thing="stamp")
    task = db.session.get(Task, stamp.task_id)
    assert task is not None  # a foreign key guarantees it
    decision = decide(actor, TaskAction.STAMP_REVOKE, RevokeAttempt(stamp, task, now))
    if decision is Decision.HIDDEN:
        raise NotFound(thing="stamp")
    if decision is Decision.DENY:
        if actor is not None and stamp.stamped_by == actor.id:
            raise Forbidden(code="grace_period_over")
        raise Forbidden(code="revoke_not_allowed")
    assert actor is not None
    if stamp.revoked_at is not None:
        raise Conflict(code="already_revoked")

    with db.session.begin_nested():
        settings = effective_settings(task, stamp.membership_id)
        plan = _revocation_plan(task, stamp, settings)
        locked = _lock_memberships(plan.membership_ids | {stamp.membership_id})
        if settings.bonus_values.has_group_bonuses:
            task = _lock_task(task.id)
        stamp = db.session.scalars(
            select(Stamp).where(Stamp.id == stamp_id).execution_options(populate_existing=True)
        ).one()
        if stamp.revoked_at is not None:
            raise Conflict(code="already_revoked")
        plan = _revocation_plan(task, stamp, settings)
        _lock_without_waiting(plan.membership_ids - locked.keys())

        stamp.revoked_at = now
        stamp.revoked_by = actor.id
        note = f"{task.name}: stamp {stamp.id} revoked"
        reversals: list[LedgerEntry] = []
        # Taken from the membership holding the stamp and award now (a merge may have moved
        # them, and their points, off the membership the entries were posted on).
        if stamp.entry_id is not None:
            reversals.append(
                ledger.reverse(
                    stamp.entry_id, actor_id=actor.id, note=note, membership_id=stamp.membership_id
                )
            )
        for award in plan.awards:
            reversals.append(
                ledger.reverse(
                    award.entry_id, actor_id=actor.id, note=note, membership_id=award.membership_id
                )
            )
            db.session.delete(award)
        for group_award in plan.group_awards:
            db.session.delete(group_award)
        db.session.flush()
    taken = -sum(e.amount for e in reversals if e.membership_id == stamp.membership_id)
    return RevokeResult(stamp, taken, reversals)


def annotate_stamp(actor: User | None, *, stamp_id: int, note: str | None) -> Stamp:
    """The member's personal note on one of their stamps."""
    stamp = db.session.get(Stamp, stamp_id)
    if stamp is None:
        raise NotFound(thing="stamp")
    require(actor, TaskAction.STAMP_ANNOTATE, stamp)
    stamp.note = note
    db.session.flush()
    return stamp
