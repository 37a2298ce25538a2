"""Reads of the ledger for the API and pages."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, or_, select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.pagination import (
    HistoryQuery,
    fetch_page,
    newest_first,
    newest_first_statement,
    within,
    within_params,
    within_statement,
)
from stampbook.core.policy import require
from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.policy import LedgerAction
from stampbook.ledger.schemas import ProgramEntryQuery
from stampbook.programs.models import LOT_MODES, HeldPoints, Membership, PointLot, Program
from stampbook.programs.queries import load_program
from stampbook.shops.models import Shop


@functools.cache
def _entries(*, since: bool, until: bool, after_cursor: bool) -> Select[Any]:
    """A page of one membership's entries, built once per shape (see ``pagination``)."""
    entries = select(LedgerEntry).where(LedgerEntry.membership_id == bindparam("membership_id"))
    entries = within_statement(entries, LedgerEntry.created_at, since=since, until=until)
    return newest_first_statement(entries, LedgerEntry.id, after_cursor=after_cursor)


def history(
    actor: User | None, membership_id: int, query: HistoryQuery
) -> tuple[Sequence[LedgerEntry], str | None]:
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        raise NotFound(thing="membership")
    require(actor, LedgerAction.MEMBERSHIP_VIEW_ENTRIES, membership)
    statement = _entries(
        since=query.since is not None,
        until=query.until is not None,
        after_cursor=query.cursor is not None,
    )
    params = {"membership_id": membership_id, **within_params(query)}
    return fetch_page(statement, LedgerEntry.id, query, params)


def program_history(
    actor: User | None, program_id: int, query: ProgramEntryQuery
) -> tuple[Sequence[LedgerEntry], str | None]:
    """A program's points activity for its team: every member's entries, newest first, of
    one member with ``membership_id``, within ``since`` and ``until``."""
    program = load_program(actor, program_id, LedgerAction.PROGRAM_VIEW_ENTRIES)
    entries = (
        select(LedgerEntry)
        .join(Membership, Membership.id == LedgerEntry.membership_id)
        .where(Membership.program_id == program.id)
    )
    if query.membership_id is not None:
        entries = entries.where(LedgerEntry.membership_id == query.membership_id)
    return newest_first(within(entries, LedgerEntry.created_at, query), LedgerEntry.id, query)


@dataclass(frozen=True)
class Discrepancy:
    membership_id: int
    balance: int
    ledger_sum: int
    # The cached totals of positive and negative entries, and what the entries say.
    earned: int = 0
    ledger_earned: int = 0
    spent: int = 0
    ledger_spent: int = 0


def find_discrepancies() -> list[Discrepancy]:
    """Every membership whose cached balance, or earned or spent total, differs from what its
    entries add up to."""
    positive = case((LedgerEntry.amount > 0, LedgerEntry.amount), else_=0)
    negative = case((LedgerEntry.amount < 0, -LedgerEntry.amount), else_=0)
    sums = (
        select(
            LedgerEntry.membership_id,
            func.sum(LedgerEntry.amount).label("total"),
            func.sum(positive).label("earned"),
            func.sum(negative).label("spent"),
        )
        .group_by(LedgerEntry.membership_id)
        .subquery()
    )
    total, earned, spent = (
        func.coalesce(c, 0) for c in (sums.c.total, sums.c.earned, sums.c.spent)
    )
    rows = db.session.execute(
        select(
            Membership.id,
            Membership.balance,
            total,
            Membership.points_earned,
            earned,
            Membership.points_spent,
            spent,
        )
        .outerjoin(sums, sums.c.membership_id == Membership.id)
        .where(
            or_(
                Membership.balance != total,
                Membership.points_earned != earned,
                Membership.points_spent != spent,
            )
        )
        .order_by(Membership.id)
    ).all()
    return [
        Discrepancy(row[0], row[1], int(row[2]), row[3], int(row[4]), row[5], int(row[6]))
        for row in rows
    ]


@dataclass(frozen=True)
class HeldDiscrepancy:
    membership_id: int
    pending: int  # the cached pending points
    held: int  # what its open held points add up to
    balance: int
    in_lots: int  # what its live lots hold (never more than the balance)


def find_held_discrepancies() -> list[HeldDiscrepancy]:
    """Every membership whose cached pending points differ from its open held points, or
    whose live lots hold more than its balance (in a program expiring lot by lot)."""
    held = (
        select(HeldPoints.membership_id, func.sum(HeldPoints.amount).label("held"))
        .where(HeldPoints.released_at.is_(None))
        .group_by(HeldPoints.membership_id)
        .subquery()
    )
    lots = (
        select(PointLot.membership_id, func.sum(PointLot.remaining).label("in_lots"))
        .where(PointLot.remaining > 0)
        .group_by(PointLot.membership_id)
        .subquery()
    )
    held_sum = func.coalesce(held.c.held, 0)
    lots_sum = func.coalesce(lots.c.in_lots, 0)
    in_lot_mode = Program.expiry_mode.in_([mode.value for mode in LOT_MODES])
    rows = db.session.execute(
        select(Membership.id, Membership.pending, held_sum, Membership.balance, lots_sum)
        .join(Program, Program.id == Membership.program_id)
        .outerjoin(held, held.c.membership_id == Membership.id)
        .outerjoin(lots, lots.c.membership_id == Membership.id)
        .where(
            or_(Membership.pending != held_sum, and_(in_lot_mode, lots_sum > Membership.balance))
        )
        .order_by(Membership.id)
    ).all()
    return [HeldDiscrepancy(row[0], row[1], int(row[2]), row[3], int(row[4])) for row in rows]


RECENT_ACTIVITY = 10


@dataclass(frozen=True)
class ActivityLine:
    created_at: datetime
    amount: int
    kind: str
    note: str | None
    program_id: int
    program_name: str
    shop_name: str
    # The program's names for its points (``programs.words.points``).
    points_currency_singular: str | None = None
    points_currency_plural: str | None = None


def recent_activity(user_id: int, limit: int = RECENT_ACTIVITY) -> list[ActivityLine]:
    """The latest ledger entries of all the user's memberships, newest first."""
    rows = db.session.execute(
        select(
            LedgerEntry.created_at,
            LedgerEntry.amount,
            LedgerEntry.kind,
            LedgerEntry.note,
            Program.id,
            Program.name,
            Shop.name,
            Program.points_currency_singular,
            Program.points_currency_plural,
        )
        .join(Membership, Membership.id == LedgerEntry.membership_id)
        .join(Program, Program.id == Membership.program_id)
        .join(Shop, Shop.id == Program.shop_id)
        .where(Membership.user_id == user_id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    ).all()
    return [ActivityLine(*row) for row in rows]
