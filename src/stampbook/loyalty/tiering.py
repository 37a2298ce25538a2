"""A member's VIP tier multiplies what they earn (``tiers``): the extra points of the tier's
multiplier on a purchase's or an activity's base points, as their own ledger entry (kind
``bonus``, cause ``tier``, so their total shows in the history), held with the base points
when those are pending. An order keeps them in ``points_tier`` (and in ``points_earned``),
so a refund's proportional clawback takes back exactly what was earned."""

from __future__ import annotations

from datetime import datetime

from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.tiers.queries import multiplier_percent
from stampbook.tiers.rules import extra_points

TIER_CAUSE = "tier"


def tier_bonus(
    membership_id: int,
    base: int,
    *,
    cause_id: int,
    held: tuple[str, int, datetime] | None = None,
) -> int:
    """Post (or hold, with ``held``) the member's tier's extra points on ``base``; their
    number (0 without a tier, or at a multiplier of 1)."""
    extra = extra_points(base, multiplier_percent(membership_id))
    if extra <= 0:
        return 0
    if held is not None:
        source_type, source_id, release_at = held
        ledger.hold(
            membership_id=membership_id,
            amount=extra,
            kind=EntryKind.BONUS,
            cause_type=TIER_CAUSE,
            cause_id=cause_id,
            source_type=source_type,
            source_id=source_id,
            release_at=release_at,
        )
    else:
        ledger.post(
            membership_id=membership_id,
            amount=extra,
            kind=EntryKind.BONUS,
            actor_id=None,
            cause_type=TIER_CAUSE,
            cause_id=cause_id,
        )
    return extra
