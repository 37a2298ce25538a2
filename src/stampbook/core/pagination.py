"""Cursor pagination: ``?limit=`` (1 to 200, default 50) and an opaque ``cursor``.

Keyset, not offset: a page costs the same however deep it is, and new rows never shift it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Integer, Select, bindparam
from sqlalchemy.orm import InstrumentedAttribute

from stampbook.core.db import db
from stampbook.core.schemas import Moment

# A cursor is the last id of the page written in base 36: opaque to clients, never invalid.
CURSOR_PATTERN = r"^[0-9a-z]{1,13}$"
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
MAX_ID = 2**63 - 1


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200, description="Items per page (1 to 200).")
    cursor: str | None = Field(
        None, pattern=CURSOR_PATTERN, description="`next_cursor` of the previous page."
    )


class HistoryQuery(PageQuery):
    since: Moment | None = Field(None, description="Only items at or after this time.")
    until: Moment | None = Field(None, description="Only items before this time.")


def encode_cursor(last_id: int) -> str:
    digits = []
    while True:
        last_id, digit = divmod(last_id, 36)
        digits.append(_ALPHABET[digit])
        if last_id == 0:
            return "".join(reversed(digits))


def decode_cursor(cursor: str) -> int:
    # Every string the pattern admits is a valid cursor, so no well-formed request is refused.
    return min(int(cursor, 36), MAX_ID)


def newest_first(
    query: Select[Any], id_column: InstrumentedAttribute[int], page: PageQuery
) -> tuple[Sequence[Any], str | None]:
    """One page of ``query`` ordered by id descending, and the cursor of the next page."""
    statement = newest_first_statement(query, id_column, after_cursor=page.cursor is not None)
    return fetch_page(statement, id_column, page)


def newest_first_statement(
    query: Select[Any], id_column: InstrumentedAttribute[int], *, after_cursor: bool
) -> Select[Any]:
    """``query`` as :func:`newest_first` pages it, with bind parameters for the page: build it
    once per shape (say, with ``functools.cache``) for a hot list, and run it with
    :func:`fetch_page` (see ``stampbook.core.db.with_parents``)."""
    if after_cursor:
        query = query.where(id_column < bindparam("page_cursor", type_=id_column.type))
    return query.order_by(id_column.desc()).limit(bindparam("page_limit", type_=Integer))


def fetch_page(
    statement: Select[Any],
    id_column: InstrumentedAttribute[int],
    page: PageQuery,
    params: Mapping[str, Any] | None = None,
) -> tuple[Sequence[Any], str | None]:
    """One page of a :func:`newest_first_statement` (``params`` binds the rest of it)."""
    bound = {**(params or {}), "page_limit": page.limit + 1}
    if page.cursor is not None:
        bound["page_cursor"] = decode_cursor(page.cursor)
    rows = db.session.scalars(statement, bound).all()
    items, more = rows[: page.limit], len(rows) > page.limit
    next_cursor = encode_cursor(_id_of(items[-1], id_column)) if more else None
    return items, next_cursor


def within(query: Select[Any], column: Any, history: HistoryQuery) -> Select[Any]:
    if history.since is not None:
        query = query.where(column >= history.since)
    if history.until is not None:
        query = query.where(column < history.until)
    return query


def within_statement(query: Select[Any], column: Any, *, since: bool, until: bool) -> Select[Any]:
    """:func:`within` with bind parameters (``since``, ``until``), for statements built once;
    :func:`within_params` gives their values."""
    if since:
        query = query.where(column >= bindparam("since", type_=column.type))
    if until:
        query = query.where(column < bindparam("until", type_=column.type))
    return query


def within_params(history: HistoryQuery) -> dict[str, datetime]:
    bound = {}
    if history.since is not None:
        bound["since"] = history.since
    if history.until is not None:
        bound["until"] = history.until
    return bound


def _id_of(item: Any, id_column: InstrumentedAttribute[int]) -> int:
    value: int = getattr(item, id_column.key)
    return value


class Page(BaseModel):
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


__all__ = [
    "HistoryQuery",
    "Page",
    "PageQuery",
    "fetch_page",
    "newest_first",
    "newest_first_statement",
    "within",
    "within_params",
    "within_statement",
]
