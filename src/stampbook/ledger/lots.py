"""Where a membership's points sit in time: the lots of a program whose points expire lot by
lot (``PointLot``), and points held pending (``HeldPoints``). ``posting`` and ``maturing``
keep them in step with the balance; nothing else writes them.

Statements are built once and run without the ORM: a redemption in an expiring program runs
the consuming loop, which reads a member's soonest-expiring live lots straight off the
partial index ``ix_point_lots_live`` however many lots the member has.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, insert, select, update

from stampbook.core.db import db, execute_core
from stampbook.core.zones import zone
from stampbook.programs.models import (
    LOT_MODES,
    ExpiryMode,
    Membership,
    PointLot,
    Program,
)
from stampbook.programs.rules import lot_expires_at
from stampbook.shops.models import Shop

# How many live lots one read takes while spending (most debits need one or two).
_BATCH = 8

_LIVE = (
    select(PointLot.id, PointLot.remaining)
    .where(PointLot.membership_id == bindparam("membership_id"), PointLot.remaining > 0)
    .order_by(PointLot.expires_at, PointLot.id)
    .limit(_BATCH)
)
_TAKE = (
    update(PointLot)
    .where(PointLot.id == bindparam("lot_id"))
    .values(remaining=PointLot.remaining - bindparam("take"))
)
_ADD = insert(PointLot)
# ``due_at`` only ever moves earlier here: the earliest of what it was and ``due``.
_DUE_NO_LATER = (
    update(Membership)
    .where(Membership.id == bindparam("membership_id"))
    .values(
        due_at=case(
            (Membership.due_at.is_(None), bindparam("due")),
            (Membership.due_at > bindparam("due"), bindparam("due")),
            else_=Membership.due_at,
        )
    )
)


def consume(membership_id: int, amount: int) -> None:
    """Take ``amount`` from the live lots, soonest-expiring first. Points in no lot (earned
    before expiry was on) are spent last: they never expire."""
    left = amount
    while left > 0:
        live = execute_core(_LIVE, {"membership_id": membership_id}).all()
        if not live:
            return
        for lot_id, remaining in live:
            take = min(left, remaining)
            execute_core(_TAKE, {"lot_id": lot_id, "take": take})
            left -= take
            if left == 0:
                return


def expires_at(program: Program, earned_at: datetime) -> datetime | None:
    """When points earned at ``earned_at`` expire in ``program`` (lot modes), or the
    deadline they set in a program whose balance expires with inactivity; None: never."""
    days = program.expiry_days
    if days is None or program.expiry_mode == ExpiryMode.NEVER:
        return None
    start = max(earned_at, program.expiry_since or earned_at)
    if program.expiry_mode == ExpiryMode.INACTIVITY:
        return start + timedelta(days=days)
    shop = db.session.get(Shop, program.shop_id)
    assert shop is not None  # a foreign key guarantees it
    return lot_expires_at(start, program.expiry_mode, days, zone(shop.time_zone))


def credited(
    program: Program,
    membership_id: int,
    amount: int,
    *,
    earned_at: datetime,
    entry_id: int | None,
    due_at: datetime | None,
) -> None:
    """Points were credited in an expiring program: their lot, and the membership's next
    due moment no later than their expiry (``due_at``: what it was, to skip a no-op)."""
    expiry = expires_at(program, earned_at)
    if expiry is None:
        return
    if program.expiry_mode in LOT_MODES:
        execute_core(
            _ADD,
            {
                "membership_id": membership_id,
                "amount": amount,
                "remaining": amount,
                "earned_at": earned_at,
                "expires_at": expiry,
                "entry_id": entry_id,
            },
        )
    if due_at is None or due_at > expiry:
        execute_core(_DUE_NO_LATER, {"membership_id": membership_id, "due": expiry})
