"""The book every domain writes points to, and the one way points move: every change is a
ledger entry plus a conditional balance update.

``balance + amount >= 0`` is checked by the UPDATE itself, and its row count decides: no
read-modify-write race exists, on SQLite or PostgreSQL, however many clients race. When two
memberships change together (a transfer), they are updated in id order so concurrent
transfers lock rows in one order and cannot deadlock each other.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Update, bindparam, select, update
from sqlalchemy.orm import attributes
from sqlalchemy.orm.util import identity_key

from stampbook.core import outbox
from stampbook.core.db import db, execute_core
from stampbook.core.errors import Conflict, InsufficientPoints, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.programs.models import Membership, Program

# Far above any real balance, far below 2**63: sums and products can never overflow BIGINT.
MAX_BALANCE = 10**15
MAX_AMOUNT = 10**12

# What a posted entry announces (``core.outbox``), by its kind and sign: points earned by
# doing something, points spent on a reward. Reversals, refunds, transfers and merges move
# points back or between accounts and announce nothing of their own (a cancelled redemption
# is announced as ``redemption.cancelled`` by the rewards domain; a revoked stamp not at all),
# so no effect is announced twice.
ANNOUNCED: dict[tuple[EntryKind, bool], OccurrenceType] = {
    **{
        (kind, True): OccurrenceType.POINTS_EARNED
        for kind in (
            EntryKind.STAMP,
            EntryKind.BONUS,
            EntryKind.PURCHASE,
            EntryKind.SIGNUP,
            EntryKind.BIRTHDAY,
            EntryKind.REVIEW,
            EntryKind.REFERRAL,
            EntryKind.CAMPAIGN,
            EntryKind.ADJUSTMENT,
        )
    },
    (EntryKind.REDEMPTION, False): OccurrenceType.POINTS_SPENT,
    (EntryKind.CONTRIBUTION, False): OccurrenceType.POINTS_SPENT,
}


def _move(guard: ColumnElement[bool]) -> Update:
    """The conditional balance update: ``guard`` keeps the balance within its bounds. The
    earned and spent totals move with it (one of ``earned`` and ``spent`` is zero)."""
    return (
        update(Membership)
        .where(Membership.id == bindparam("membership_id"), guard)
        .values(
            balance=Membership.balance + bindparam("amount"),
            points_earned=Membership.points_earned + bindparam("earned"),
            points_spent=Membership.points_spent + bindparam("spent"),
        )
        .returning(
            Membership.balance,
            Membership.points_earned,
            Membership.points_spent,
            Membership.program_id,
            Membership.user_id,
            # The shop, for the occurrence the entry may announce: no statement of its own.
            select(Program.shop_id).where(Program.id == Membership.program_id).scalar_subquery(),
        )
    )


# Built once, run without the ORM: every stamp and redemption runs them (see
# ``stampbook.core.db.with_parents`` and ``execute_core``).
_DEBIT = _move(Membership.balance + bindparam("amount") >= 0)
_CREDIT = _move(Membership.balance <= bindparam("ceiling"))
_BALANCE = select(Membership.balance).where(Membership.id == bindparam("membership_id"))


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
    """Write one entry and move the cached balance with it, or refuse and change nothing."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ValueError(f"a ledger amount is a non-zero integer, not {amount!r}")
    if abs(amount) > MAX_AMOUNT:
        raise Conflict(code="amount_too_large")
    session = db.session
    params = {
        "membership_id": membership_id,
        "amount": amount,
        "earned": max(amount, 0),
        "spent": max(-amount, 0),
        "ceiling": MAX_BALANCE - amount,
    }
    moved = execute_core(_DEBIT if amount < 0 else _CREDIT, params).one_or_none()
    if moved is None:
        balance = execute_core(_BALANCE, params).scalar_one_or_none()
        if balance is None:
            raise NotFound(thing="membership")
        if amount < 0:
            shortfall = {"balance": balance, "needed": -amount}
            raise InsufficientPoints(extra=shortfall, **shortfall)
        raise Conflict(code="balance_limit")
    new_balance, earned, spent, program_id, user_id, shop_id = moved
    _sync_cached_balance(membership_id, new_balance, earned, spent)
    entry = LedgerEntry(
        membership_id=membership_id,
        amount=amount,
        balance_after=new_balance,
        kind=kind,
        cause_type=cause_type,
        cause_id=None if cause_id is None else str(cause_id),
        actor_id=actor_id,
        note=note,
        reverses_id=reverses_id,
    )
    session.add(entry)
    session.flush()
    announced = ANNOUNCED.get((EntryKind(kind), amount > 0))
    if announced is not None:
        outbox.record(
            announced,
            shop_id=shop_id,
            membership_id=membership_id,
            program_id=program_id,
            user_id=user_id,
            entry_id=entry.id,
            kind=kind,
            amount=abs(amount),
            balance=new_balance,
            cause_type=cause_type,
            cause_id=entry.cause_id,
        )
    return entry


def _sync_cached_balance(membership_id: int, balance: int, earned: int, spent: int) -> None:
    """Keep a Membership already loaded in this session in step with the UPDATE."""
    loaded = db.session.identity_map.get(identity_key(Membership, membership_id))
    if loaded is not None:
        attributes.set_committed_value(loaded, "balance", balance)
        attributes.set_committed_value(loaded, "points_earned", earned)
        attributes.set_committed_value(loaded, "points_spent", spent)


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
