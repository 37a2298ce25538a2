"""Reads of the ledger for the API and pages."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, select

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
from stampbook.programs.models import Membership


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
        raise NotFound("No such membership.")
    require(actor, "membership.view_entries", membership)
    statement = _entries(
        since=query.since is not None,
        until=query.until is not None,
        after_cursor=query.cursor is not None,
    )
    params = {"membership_id": membership_id, **within_params(query)}
    return fetch_page(statement, LedgerEntry.id, query, params)
