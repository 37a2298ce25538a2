"""Reads of the ledger for the API and pages."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, case, func, or_, select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.pagination import (
    HistoryQuery,
    fetch_page,
    newest_first_statement,
    within_params,
    within_statement,
)
from stampbook.core.policy import require
from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.policy import LedgerAction
from stampbook.programs.models import Membership, Program
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
        )
        .join(Membership, Membership.id == LedgerEntry.membership_id)
        .join(Program, Program.id == Membership.program_id)
        .join(Shop, Shop.id == Program.shop_id)
        .where(Membership.user_id == user_id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    ).all()
    return [ActivityLine(*row) for row in rows]
