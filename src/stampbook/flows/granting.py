"""Rewards given for free across domains: a tier's entry reward (``tier.reward_granted``)
becomes a receipt of ``rewards.granting`` once the rise commits, and the grants that waited
for an account (an unclaimed store customer's) are made when an account claims the
membership (``member.joined``).

The tiers domain may not call rewards' services, so the grant travels as an occurrence; the
rewards' grant is once per cause (``reward_grants``), so a consumer run twice gives one
receipt. What stops a grant (out of stock, a deleted reward) is its outcome, recorded and
logged by ``rewards.granting``, never an exception the outbox would retry.

Another cause (a referral's reward) adds its type to :data:`NOTED`: who keeps the receipt's id
once a waiting grant is made.
"""

from __future__ import annotations

from collections.abc import Callable

from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.rewards import granting
from stampbook.tiers import entry_rewards

CONSUMER_NAME = "granting"
TYPES = frozenset({OccurrenceType.TIER_REWARD_GRANTED, OccurrenceType.MEMBER_JOINED})

# cause type -> what notes a receipt made for a cause of that type (cause id, receipt id).
NOTED: dict[str, Callable[[int, int], None]] = {
    entry_rewards.CAUSE: entry_rewards.note_receipt,
}


def _give(membership_id: int, reward_id: int, cause_type: str, cause_id: int) -> None:
    redemption = granting.grant(
        membership_id=membership_id,
        reward_id=reward_id,
        cause_type=cause_type,
        cause_id=cause_id,
    )
    note = NOTED.get(cause_type)
    if redemption is not None and note is not None:
        note(cause_id, redemption.id)


def handle(occurrence: Occurrence) -> None:
    payload = occurrence.payload
    membership_id = int(payload["membership_id"])
    if occurrence.type == OccurrenceType.TIER_REWARD_GRANTED:
        _give(
            membership_id, int(payload["reward_id"]), entry_rewards.CAUSE, int(payload["grant_id"])
        )
        return
    for row in granting.waiting(membership_id):
        _give(membership_id, row.reward_id, row.cause_type, row.cause_id)
