"""A tier's entry reward as a free receipt: the grant (``tier_entry_grants``) keeps the
receipt the rewards domain made for it (``flows.granting``, after ``tier.reward_granted``)."""

from __future__ import annotations

from stampbook.core.db import db
from stampbook.tiers.models import TierEntryGrant

# The cause the rewards domain's grant row names: the ``tier_entry_grants`` row's id.
CAUSE = "tier_entry_grant"


def note_receipt(grant_id: int, redemption_id: int) -> None:
    grant = db.session.get(TierEntryGrant, grant_id)
    if grant is not None and grant.redemption_id is None:
        grant.redemption_id = redemption_id
        db.session.flush()
