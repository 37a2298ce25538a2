"""Reads of the ledger for the API and pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from stampbook.accounts.models import User
from stampbook.db import db
from stampbook.errors import NotFound
from stampbook.ledger.models import LedgerEntry
from stampbook.pagination import HistoryQuery, newest_first, within
from stampbook.policy import require
from stampbook.programs.models import Membership


def history(
    actor: User | None, membership_id: int, query: HistoryQuery
) -> tuple[Sequence[LedgerEntry], str | None]:
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        raise NotFound("No such membership.")
    require(actor, "membership.view_entries", membership)
    entries: Select[Any] = within(
        select(LedgerEntry).where(LedgerEntry.membership_id == membership_id),
        LedgerEntry.created_at,
        query,
    )
    return newest_first(entries, LedgerEntry.id, query)
