"""Points for tests, written as the ledger writes them (so `doctor` stays happy)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.programs.models import Membership


def give_points(
    session: Session, membership: Membership, amount: int, kind: EntryKind = EntryKind.ADJUSTMENT
) -> LedgerEntry:
    membership.balance += amount
    membership.points_earned += max(amount, 0)
    membership.points_spent += max(-amount, 0)
    entry = LedgerEntry(
        membership_id=membership.id,
        amount=amount,
        balance_after=membership.balance,
        kind=kind,
        note="test",
    )
    session.add(entry)
    session.flush()
    return entry
