"""The ledger's own use cases: a manual correction by a shop's team."""

from __future__ import annotations

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.policy import require
from stampbook.ledger.book import post
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.policy import LedgerAction
from stampbook.programs.models import Membership


def adjust(actor: User | None, membership_id: int, *, amount: int, note: str) -> LedgerEntry:
    """A manual correction by the shop team, recorded with who made it and why."""
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        raise NotFound(thing="membership")
    require(actor, LedgerAction.MEMBERSHIP_ADJUST, membership)
    return post(
        membership_id=membership_id,
        amount=amount,
        kind=EntryKind.ADJUSTMENT,
        actor_id=actor.id if actor else None,
        note=note,
    )
