"""What the clocks do to a membership's points: held points released when their window ends,
points expiring (lot by lot, or the whole balance after inactivity), as ledger entries.

``mature`` is the one place it happens, whoever asks: a write that finds the membership due
(``book``), a read (``core.due``), the sweeping job. It locks the membership's row first, so
two of them racing take turns and the second finds nothing due: a release or an expiry
happens once. Each release and expiry is placed at the time its clock says, never at the time
``mature`` runs, so the answer does not depend on whether the job ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select, update

from stampbook.core import clock, due
from stampbook.core.db import db, execute_core
from stampbook.ledger import lots, posting
from stampbook.ledger.models import EntryKind
from stampbook.ledger.rules import inactivity_expiries
from stampbook.programs.models import (
    LOT_MODES,
    ExpiryMode,
    HeldPoints,
    Membership,
    PointLot,
    Program,
)
from stampbook.programs.queries import MEMBERSHIP_CLOCKS

EXPIRY_CAUSE = "expiry"

_LOCK = (
    select(
        Membership.balance,
        Membership.due_at,
        Membership.last_activity_at,
        Membership.program_id,
    )
    .where(Membership.id == bindparam("membership_id"))
    .with_for_update()
)
_DUE_LOTS = (
    select(PointLot.id, PointLot.remaining, PointLot.expires_at)
    .where(
        PointLot.membership_id == bindparam("membership_id"),
        PointLot.remaining > 0,
        PointLot.expires_at <= bindparam("now"),
    )
    .order_by(PointLot.expires_at, PointLot.id)
    .with_for_update()
)
_SPEND_LOT = update(PointLot).where(PointLot.id == bindparam("lot_id")).values(remaining=0)
_NEXT_LOT = select(func.min(PointLot.expires_at)).where(
    PointLot.membership_id == bindparam("membership_id"), PointLot.remaining > 0
)
_NEXT_RELEASE = select(func.min(HeldPoints.release_at)).where(
    HeldPoints.membership_id == bindparam("membership_id"), HeldPoints.released_at.is_(None)
)


def mature_all(membership_ids: Sequence[int]) -> None:
    """``mature`` each, in id order (the lock order of memberships)."""
    for membership_id in sorted(membership_ids):
        mature(membership_id)


def mature(membership_id: int, *, now: datetime | None = None) -> None:
    """Release and expire what is due on the membership at ``now``; set its next due time."""
    now = now or clock.now()
    state = execute_core(_LOCK, {"membership_id": membership_id}).one_or_none()
    if state is None:
        return
    balance, due_at, last_activity, program_id = state
    if due_at is None or due_at > now:
        return
    program = db.session.get(Program, program_id)
    assert program is not None  # a foreign key guarantees it
    held = db.session.scalars(
        select(HeldPoints)
        .where(
            HeldPoints.membership_id == membership_id,
            HeldPoints.released_at.is_(None),
            HeldPoints.release_at <= now,
        )
        .order_by(HeldPoints.release_at, HeldPoints.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    mode, days = program.expiry_mode, program.expiry_days
    if mode == ExpiryMode.INACTIVITY and days is not None:
        last_activity = _inactive(membership_id, program, held, balance, last_activity, now)
    else:
        for points in held:
            _release(points, program)
        if mode in LOT_MODES:
            _expire_lots(membership_id, now)
    released = sum(points.amount for points in held)
    balance = posting.balance_of(membership_id)
    next_due = _next_due(membership_id, program, balance, last_activity)
    pending = execute_core(
        update(Membership)
        .where(Membership.id == membership_id)
        .values(
            pending=Membership.pending - released, due_at=next_due, last_activity_at=last_activity
        )
        .returning(Membership.pending)
    ).scalar_one()
    posting.sync_cached(
        membership_id, pending=pending, due_at=next_due, last_activity_at=last_activity
    )


def _release(points: HeldPoints, program: Program) -> None:
    """Held points become points: an entry of their kind and cause, then their lot."""
    points.released_at = points.release_at
    if points.amount == 0:  # a refund cancelled them all
        return
    entry = posting.write(
        membership_id=points.membership_id,
        amount=points.amount,
        kind=EntryKind(points.kind),
        actor_id=None,
        cause_type=points.cause_type,
        cause_id=points.cause_id,
        by_clock=points.release_at,
    )
    points.entry_id = entry.id
    lots.credited(
        program,
        points.membership_id,
        points.amount,
        earned_at=points.release_at,
        entry_id=entry.id,
        due_at=None,
    )


def _expire_lots(membership_id: int, now: datetime) -> None:
    due = execute_core(_DUE_LOTS, {"membership_id": membership_id, "now": now}).all()
    total = sum(remaining for _, remaining, _ in due)
    for lot_id, _, _ in due:
        execute_core(_SPEND_LOT, {"lot_id": lot_id})
    if total > 0:
        _expire(membership_id, total, due[-1][2])


def _inactive(
    membership_id: int,
    program: Program,
    held: Sequence[HeldPoints],
    balance: int,
    last_activity: datetime | None,
    now: datetime,
) -> datetime | None:
    """Replay the inactivity clock over the releases (``rules.inactivity_expiries``)."""
    assert program.expiry_days is not None
    assert program.expiry_since is not None
    start = max(last_activity or program.expiry_since, program.expiry_since)
    expiries, last = inactivity_expiries(
        balance=balance,
        last_activity=start,
        days=program.expiry_days,
        releases=[(points.release_at, points.amount) for points in held],
        now=now,
    )
    # Post in the order things happened, so each entry's balance_after is as it was then.
    events: list[tuple[datetime, int, HeldPoints | int]] = [
        *((points.release_at, 0, points) for points in held),
        *((at, 1, amount) for at, amount in expiries),
    ]
    for at, _, what in sorted(events, key=lambda event: (event[0], event[1])):
        if isinstance(what, HeldPoints):
            _release(what, program)
        else:
            _expire(membership_id, what, at)
    return last if held else last_activity


def _expire(membership_id: int, amount: int, at: datetime) -> None:
    posting.write(
        membership_id=membership_id,
        amount=-amount,
        kind=EntryKind.EXPIRY,
        actor_id=None,
        cause_type=EXPIRY_CAUSE,
        cause_id=at.date().isoformat(),
        by_clock=at,
    )


def _next_due(
    membership_id: int, program: Program, balance: int, last_activity: datetime | None
) -> datetime | None:
    params = {"membership_id": membership_id}
    times = [execute_core(_NEXT_RELEASE, params).scalar()]
    if program.expiry_mode in LOT_MODES:
        times.append(execute_core(_NEXT_LOT, params).scalar())
    elif program.expiry_mode == ExpiryMode.INACTIVITY and balance > 0:
        times.append(lots.expires_at(program, last_activity or program.expiry_since or clock.now()))
    return min((time for time in times if time is not None), default=None)


due.register(MEMBERSHIP_CLOCKS, mature_all)
