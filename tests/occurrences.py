"""What the outbox recorded, for the tests of the services that record occurrences."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.core.outbox import Occurrence


def recorded(session: Session, after: int = 0) -> list[tuple[str, int | None, dict[str, Any]]]:
    """Every occurrence with an id above ``after``: (type, shop_id, payload), in order."""
    rows = session.scalars(select(Occurrence).where(Occurrence.id > after).order_by(Occurrence.id))
    return [(row.type, row.shop_id, row.payload) for row in rows]


def last_id(session: Session) -> int:
    return max(session.scalars(select(Occurrence.id)).all(), default=0)
