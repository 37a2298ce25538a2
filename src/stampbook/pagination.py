"""Cursor pagination: ``?limit=`` (1 to 200, default 50) and an opaque ``cursor``.

Keyset, not offset: a page costs the same however deep it is, and new rows never shift it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from stampbook.db import db
from stampbook.errors import ValidationFailed


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200, description="Items per page (1 to 200).")
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of the last page.")


class HistoryQuery(PageQuery):
    since: AwareDatetime | None = Field(None, description="Only items at or after this time.")
    until: AwareDatetime | None = Field(None, description="Only items before this time.")


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["id"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        value = None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationFailed(
            [{"location": "query", "field": "cursor", "message": "Not a cursor from this API."}]
        )
    return value


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
