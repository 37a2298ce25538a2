"""One ledger entry and its balance move: a conditional update and an insert.

``balance + amount >= 0`` is checked by the UPDATE itself, and its row count decides: no
read-modify-write race exists, on SQLite or PostgreSQL, however many clients race. The same
UPDATE refuses a membership whose clocks are due (``Membership.due_at`` past): ``book``
matures it (``maturing``) and writes again, so no point is spent after it expired or before
it was released. ``book`` is the API; ``maturing`` writes here unguarded.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from sqlalchemy import ColumnElement, Update, bindparam, or_, select, update
from sqlalchemy.orm import attributes
from sqlalchemy.orm.util import identity_key

from stampbook.core import clock, outbox
from stampbook.core.db import db, execute_core
from stampbook.core.errors import Conflict, InsufficientPoints, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.ledger import lots
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.programs.models import LOT_MODES, ExpiryMode, Membership, Program

# Far above any real balance, far below 2**63: sums and products can never overflow BIGINT.
MAX_BALANCE = 10**15
MAX_AMOUNT = 10**12

# What a posted entry announces (``core.outbox``), by its kind and sign: points earned by
# doing something, points spent on a reward, points expired, points earned taken back by a
# reversal (a revoked stamp, a deleted review: what counted toward a VIP tier no longer does).
# Refunds, transfers, merges and reversals that give points back announce nothing of their own
# (a cancelled redemption is announced as ``redemption.cancelled`` by the rewards domain, an
# order's clawback as ``order.refunded``), so no effect is announced twice.
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
            EntryKind.ATTENDANCE,
            EntryKind.CAMPAIGN,
            EntryKind.ADJUSTMENT,
        )
    },
    (EntryKind.REDEMPTION, False): OccurrenceType.POINTS_SPENT,
    (EntryKind.CONTRIBUTION, False): OccurrenceType.POINTS_SPENT,
    (EntryKind.EXPIRY, False): OccurrenceType.POINTS_EXPIRED,
    (EntryKind.REVERSAL, False): OccurrenceType.POINTS_REVERSED,
}


class MembershipDue(Exception):
    """The membership's clocks are due: mature it, then write again."""


_NOT_DUE = or_(Membership.due_at.is_(None), Membership.due_at > bindparam("now"))


def _move(guard: ColumnElement[bool], *, by_member: bool) -> Update:
    """The conditional balance update: ``guard`` keeps the balance within its bounds. The
    earned and spent totals move with it (one of ``earned`` and ``spent`` is zero). A move
    ``by_member`` (not a clock's) also waits for the clocks and counts as activity."""
    values = {
        "balance": Membership.balance + bindparam("amount"),
        "points_earned": Membership.points_earned + bindparam("earned"),
        "points_spent": Membership.points_spent + bindparam("spent"),
    }
    where = [Membership.id == bindparam("membership_id"), guard]
    if by_member:
        values["last_activity_at"] = bindparam("now")
        where.append(_NOT_DUE)
    return (
        update(Membership)
        .where(*where)
        .values(values)
        .returning(
            Membership.balance,
            Membership.points_earned,
            Membership.points_spent,
            Membership.program_id,
            Membership.user_id,
            Membership.due_at,
            # The shop, for the occurrence the entry may announce, and whether points expire
            # there: no statement of their own.
            select(Program.shop_id).where(Program.id == Membership.program_id).scalar_subquery(),
            select(Program.expiry_mode)
            .where(Program.id == Membership.program_id)
            .scalar_subquery(),
        )
    )


# Built once, run without the ORM: every stamp and redemption runs them (see
# ``stampbook.core.db.with_parents`` and ``execute_core``).
_DEBIT = _move(Membership.balance + bindparam("amount") >= 0, by_member=True)
_CREDIT = _move(Membership.balance <= bindparam("ceiling"), by_member=True)
_CLOCK_DEBIT = _move(Membership.balance + bindparam("amount") >= 0, by_member=False)
_CLOCK_CREDIT = _move(Membership.balance <= bindparam("ceiling"), by_member=False)
_STATE = select(Membership.balance, Membership.due_at).where(
    Membership.id == bindparam("membership_id")
)


def write(
    *,
    membership_id: int,
    amount: int,
    kind: EntryKind,
    actor_id: int | None,
    cause_type: str | None = None,
    cause_id: str | int | None = None,
    note: str | None = None,
    reverses_id: int | None = None,
    by_clock: datetime | None = None,
) -> LedgerEntry:
    """Write one entry and move the cached balance with it, or refuse and change nothing.

    ``by_clock``: the entry is a clock's (held points released, points expired) at that
    time; it neither waits for the clocks nor counts as activity, and its lots are the
    caller's to keep (``maturing``).
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ValueError(f"a ledger amount is a non-zero integer, not {amount!r}")
    if abs(amount) > MAX_AMOUNT:
        raise Conflict(code="amount_too_large")
    now = clock.now()
    params = {
        "membership_id": membership_id,
        "amount": amount,
        "earned": max(amount, 0),
        "spent": max(-amount, 0),
        "ceiling": MAX_BALANCE - amount,
        "now": now,
    }
    if by_clock is None:
        statement = _DEBIT if amount < 0 else _CREDIT
    else:
        statement = _CLOCK_DEBIT if amount < 0 else _CLOCK_CREDIT
    moved = execute_core(statement, params).one_or_none()
    if moved is None:
        _refused(params, amount, guarded=by_clock is None)
    new_balance, earned, spent, program_id, user_id, due_at, shop_id, expiry_mode = moved
    sync_cached(membership_id, balance=new_balance, points_earned=earned, points_spent=spent)
    if by_clock is None:
        sync_cached(membership_id, last_activity_at=now)
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
    db.session.add(entry)
    db.session.flush()
    if by_clock is None and expiry_mode != ExpiryMode.NEVER:
        if amount < 0 and expiry_mode in LOT_MODES:
            lots.consume(membership_id, -amount)
        elif amount > 0:
            program = db.session.get(Program, program_id)
            assert program is not None  # a foreign key guarantees it
            lots.credited(
                program, membership_id, amount, earned_at=now, entry_id=entry.id, due_at=due_at
            )
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


def balance_of(membership_id: int) -> int:
    state = execute_core(_STATE, {"membership_id": membership_id}).one_or_none()
    if state is None:
        raise NotFound(thing="membership")
    return int(state[0])


def _refused(params: dict[str, object], amount: int, *, guarded: bool) -> NoReturn:
    state = execute_core(_STATE, params).one_or_none()
    if state is None:
        raise NotFound(thing="membership")
    balance, due_at = state
    if guarded and due_at is not None and due_at <= params["now"]:
        raise MembershipDue()
    if amount < 0:
        shortfall = {"balance": balance, "needed": -amount}
        raise InsufficientPoints(extra=shortfall, **shortfall)
    raise Conflict(code="balance_limit")


def sync_cached(membership_id: int, **values: object) -> None:
    """Keep a Membership already loaded in this session in step with an UPDATE."""
    loaded = db.session.identity_map.get(identity_key(Membership, membership_id))
    if loaded is not None:
        for name, value in values.items():
            attributes.set_committed_value(loaded, name, value)
