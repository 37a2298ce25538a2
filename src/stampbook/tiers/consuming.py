"""What tiers do with what others announce: qualifying amounts (DESIGN 8.5).

Points basis: a ``points.earned`` of an earning kind counts (stamps, bonuses, purchases,
campaigns, signups, birthdays, reviews, referrals; held points count when released, since
their entry is announced then); staff adjustments and the tiers' own entry points do not.
Spending, expiry and transfers are never announced as earned, so they never count. A refund
or cancellation of an order (``order.refunded``) takes off what it should have taken back
(``points`` and the ``shortfall`` the member had spent), on the refund's local day.
A reversal of an earning entry (``points.reversed``: a revoked stamp, a deleted review) takes
off what that entry had added, on the reversal's local day, like a refund (never demoting
mid-period unless the program says so).

Money basis: ``order.paid`` adds the eligible amount (minor units of the program's currency),
``order.refunded`` takes off the refunded amount.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from stampbook.core.db import db
from stampbook.core.money import to_minor
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.tiers import queries, standing
from stampbook.tiers.rules import Basis

CONSUMER_NAME = "tiers"
Reversal = aliased(LedgerEntry)
TYPES = frozenset(
    {
        OccurrenceType.POINTS_EARNED,
        OccurrenceType.POINTS_REVERSED,
        OccurrenceType.ORDER_PAID,
        OccurrenceType.ORDER_REFUNDED,
    }
)
QUALIFYING_KINDS = frozenset(
    {
        EntryKind.STAMP,
        EntryKind.BONUS,
        EntryKind.PURCHASE,
        EntryKind.CAMPAIGN,
        EntryKind.SIGNUP,
        EntryKind.BIRTHDAY,
        EntryKind.REVIEW,
        EntryKind.REFERRAL,
        EntryKind.ATTENDANCE,
    }
)


def qualifies(kind: str, cause_type: str | None) -> bool:
    """Whether an entry of ``kind`` counts toward a points-basis tier."""
    return kind in QUALIFYING_KINDS and cause_type != standing.ENTRY_CAUSE


def _reversed_amount(reversal_id: int) -> int:
    """What the entry a reversal undoes had added to the total (0 if it did not count)."""
    original = db.session.scalar(
        select(LedgerEntry)
        .join(Reversal, Reversal.reverses_id == LedgerEntry.id)
        .where(Reversal.id == reversal_id)
    )
    if original is None or not qualifies(original.kind, original.cause_type):
        return 0
    return original.amount


def amount_of(occurrence: Occurrence, basis: str) -> int:
    """What ``occurrence`` adds to a qualifying total of ``basis`` (negative: takes off)."""
    payload = occurrence.payload
    kind = occurrence.type
    if basis == Basis.POINTS:
        if kind == OccurrenceType.POINTS_EARNED:
            return (
                int(payload["amount"]) if qualifies(payload["kind"], payload["cause_type"]) else 0
            )
        if kind == OccurrenceType.POINTS_REVERSED:
            return -_reversed_amount(int(payload["entry_id"]))
        if kind == OccurrenceType.ORDER_REFUNDED:
            return -(int(payload["points"]) + int(payload["shortfall"]))
        return 0
    if kind == OccurrenceType.ORDER_PAID:
        return to_minor(payload["eligible_amount"], payload["currency"])
    if kind == OccurrenceType.ORDER_REFUNDED:
        return -to_minor(payload["amount"], payload["currency"])
    return 0


def handle(occurrence: Occurrence) -> None:
    settings = queries.settings_of(int(occurrence.payload["program_id"]))
    if settings is None:
        return  # the program has no tiers
    amount = amount_of(occurrence, settings.basis)
    if amount:
        standing.qualify(
            membership_id=int(occurrence.payload["membership_id"]),
            amount=amount,
            at=occurrence.occurred_at,
        )
