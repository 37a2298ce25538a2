"""Cursor pagination: ``?limit=`` (1 to 200, default 50) and an opaque ``cursor``.

Keyset, not offset: a page costs the same however deep it is, and new rows never shift it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from stampbook.db import db
from stampbook.schemas import Moment

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
    if page.cursor is not None:
        query = query.where(id_column < decode_cursor(page.cursor))
    rows = db.session.scalars(query.order_by(id_column.desc()).limit(page.limit + 1)).all()
    items, more = rows[: page.limit], len(rows) > page.limit
    next_cursor = encode_cursor(_id_of(items[-1], id_column)) if more else None
    return items, next_cursor


def within(query: Select[Any], column: Any, history: HistoryQuery) -> Select[Any]:
    if history.since is not None:
        query = query.where(column >= history.since)
    if history.until is not None:
        query = query.where(column < history.until)
    return query


def _id_of(item: Any, id_column: InstrumentedAttribute[int]) -> int:
    value: int = getattr(item, id_column.key)
    return value


class Page(BaseModel):
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


__all__ = ["HistoryQuery", "Page", "PageQuery", "newest_first", "within"]
