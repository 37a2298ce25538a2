"""The book every domain writes points to, and the one way points move: every change is a
ledger entry plus a conditional balance update (``posting``).

When two memberships change together (a transfer), they are updated in id order so
concurrent transfers lock rows in one order and cannot deadlock each other. Points held
pending (an order's return window) are not in the balance: ``hold`` keeps them aside and the
membership's clock releases them (``maturing``); ``cancel_held`` takes them back first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, case, or_, select, update

from stampbook.core import clock
from stampbook.core.db import db, execute_core
from stampbook.core.errors import Conflict, NotFound
from stampbook.ledger import maturing
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.posting import (
    ANNOUNCED,
    MAX_AMOUNT,
    MAX_BALANCE,
    MembershipDue,
    sync_cached,
    write,
)
from stampbook.programs.models import HeldPoints, Membership

__all__ = ["ANNOUNCED", "MAX_AMOUNT", "MAX_BALANCE", "post", "reverse", "transfer"]


def post(
    *,
    membership_id: int,
    amount: int,
    kind: EntryKind,
    actor_id: int | None,
    cause_type: str | None = None,
    cause_id: str | int | None = None,
    note: str | None = None,
    reverses_id: int | None = None,
) -> LedgerEntry:
    """Write one entry and move the cached balance with it, or refuse and change nothing. A
    membership whose clocks are due is matured first (``maturing``)."""
    for attempt in (1, 2):
        try:
            return write(
                membership_id=membership_id,
                amount=amount,
                kind=kind,
                actor_id=actor_id,
                cause_type=cause_type,
                cause_id=cause_id,
                note=note,
                reverses_id=reverses_id,
            )
        except MembershipDue:
            if attempt == 2:
                raise
            maturing.mature(membership_id)
    raise AssertionError("unreachable")


def current(membership_id: int) -> Membership:
    """The membership, its row locked and its clocks matured: what it holds now."""
    maturing.mature(membership_id)
    member = db.session.scalars(
        select(Membership)
        .where(Membership.id == membership_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if member is None:
        raise NotFound(thing="membership")
    return member


_HOLD = (
    update(Membership)
    .where(
        Membership.id == bindparam("membership_id"),
        or_(Membership.due_at.is_(None), Membership.due_at > bindparam("now")),
    )
    .values(
        pending=Membership.pending + bindparam("amount"),
        last_activity_at=bindparam("now"),
        due_at=case(
            (Membership.due_at.is_(None), bindparam("release_at")),
            (Membership.due_at > bindparam("release_at"), bindparam("release_at")),
            else_=Membership.due_at,
        ),
    )
    .returning(Membership.pending, Membership.due_at)
)


def hold(
    *,
    membership_id: int,
    amount: int,
    kind: EntryKind,
    cause_type: str,
    cause_id: str | int,
    source_type: str,
    source_id: str | int,
    release_at: datetime,
) -> HeldPoints:
    """Set ``amount`` points aside, pending until ``release_at``, when the membership's
    clock posts them as an entry of ``kind`` (an order's return window)."""
    if amount <= 0:
        raise ValueError("held points are a positive amount")
    if amount > MAX_AMOUNT:
        raise Conflict(code="amount_too_large")
    now = clock.now()
    params = {
        "membership_id": membership_id,
        "amount": amount,
        "now": now,
        "release_at": release_at,
    }
    moved = execute_core(_HOLD, params).one_or_none()
    if moved is None:
        maturing.mature(membership_id)
        moved = execute_core(_HOLD, params).one()
    sync_cached(membership_id, pending=moved[0], due_at=moved[1], last_activity_at=now)
    held = HeldPoints(
        membership_id=membership_id,
        amount=amount,
        kind=kind,
        cause_type=cause_type,
        cause_id=str(cause_id),
        source_type=source_type,
        source_id=str(source_id),
        held_at=now,
        release_at=release_at,
    )
    db.session.add(held)
    db.session.flush()
    return held


def cancel_held(*, source_type: str, source_id: str | int, amount: int) -> int:
    """Cancel up to ``amount`` of what ``source`` still holds pending (a refund before the
    release); answers how much was cancelled. Held points whose time has come are released
    first, so a refund after the window takes back from the balance instead."""
    where = (
        HeldPoints.source_type == source_type,
        HeldPoints.source_id == str(source_id),
        HeldPoints.released_at.is_(None),
    )
    for membership_id in sorted(
        set(db.session.scalars(select(HeldPoints.membership_id).where(*where)))
    ):
        maturing.mature(membership_id)
    open_rows = db.session.scalars(
        select(HeldPoints)
        .where(*where, HeldPoints.amount > 0)
        .order_by(HeldPoints.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    left = amount
    for held in open_rows:
        take = min(left, held.amount)
        if take == 0:
            break
        held.amount -= take
        left -= take
        pending = execute_core(
            update(Membership)
            .where(Membership.id == held.membership_id)
            .values(pending=Membership.pending - take)
            .returning(Membership.pending)
        ).scalar_one()
        sync_cached(held.membership_id, pending=pending)
    db.session.flush()
    return amount - left


def reverse(
    entry_id: int,
    *,
    actor_id: int | None,
    kind: EntryKind = EntryKind.REVERSAL,
    note: str | None = None,
    membership_id: int | None = None,
) -> LedgerEntry:
    """Undo one entry with an opposite entry; an entry is reversed at most once.

    ``membership_id``: post the reversal there instead of on the entry's own membership,
    which a program merge archived after moving its points to this one.
    """
    original = db.session.get(LedgerEntry, entry_id)
    if original is None:
        raise NotFound(thing="ledger_entry")
    already = db.session.execute(
        select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry_id)
    ).first()
    if already is not None or original.reverses_id is not None:
        raise Conflict(code="already_reversed")
    return post(
        membership_id=original.membership_id if membership_id is None else membership_id,
        amount=-original.amount,
        kind=kind,
        actor_id=actor_id,
        cause_type=original.cause_type,
        cause_id=original.cause_id,
        note=note,
        reverses_id=original.id,
    )


def transfer(
    *,
    from_membership_id: int,
    to_membership_id: int,
    amount: int,
    kind: EntryKind,
    actor_id: int | None,
    cause_type: str | None = None,
    cause_id: str | int | None = None,
    note: str | None = None,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move points between two memberships: a debit and a credit, locked in id order."""
    if amount <= 0:
        raise ValueError("a transfer moves a positive amount")
    if from_membership_id == to_membership_id:
        raise ValueError("a transfer needs two memberships")
    legs = {from_membership_id: -amount, to_membership_id: amount}
    entries = {
        membership_id: post(
            membership_id=membership_id,
            amount=legs[membership_id],
            kind=kind,
            actor_id=actor_id,
            cause_type=cause_type,
            cause_id=cause_id,
            note=note,
        )
        for membership_id in sorted(legs)
    }
    return entries[from_membership_id], entries[to_membership_id]
