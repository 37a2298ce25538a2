"""Replacing a member's card code: a new one, the old one kept as retired so that a scan of
it says "replaced" (``cards.queries.card_in``) and it is never given out again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from stampbook.accounts.models import User
from stampbook.cards.models import RetiredCardCode
from stampbook.cards.policy import CardAction
from stampbook.core import clock
from stampbook.core.codes import new_code
from stampbook.core.db import db
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.programs.models import Membership
from stampbook.programs.queries import load_membership


def replace_card(actor: User | None, *, membership_id: int, now: datetime | None = None) -> str:
    """Give the caller's membership a new card code; answers it. The member only."""
    now = now or clock.now()
    membership = load_membership(actor, membership_id, CardAction.REPLACE)
    old = membership.card_code
    fresh = new_code()
    # Conditional on the code read: of two replacements at once, the second runs again
    # from the start (on the new code) rather than leaving a code neither live nor retired.
    done = db.session.execute(
        update(Membership)
        .where(Membership.id == membership.id, Membership.card_code == old)
        .values(card_code=fresh)
        .execution_options(synchronize_session=False)
    )
    if not getattr(done, "rowcount", 0):
        raise RetryTransaction()
    db.session.add(RetiredCardCode(code=old, membership_id=membership.id, retired_at=now))
    db.session.flush()
    db.session.refresh(membership)
    return membership.card_code
