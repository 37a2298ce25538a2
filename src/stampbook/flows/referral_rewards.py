"""A completed referral's rewards that are a reward of the shop (a discount, a free item),
not points: the consumer "referral_rewards" of ``referral.completed`` makes each side's free
receipt through ``rewards.granting`` after the completion commits, once per side (the grant
is unique per cause: ``referral_advocate`` or ``referral_friend`` and the referral's id). An
unclaimed store customer's grant waits for their account (``flows.granting``)."""

from __future__ import annotations

from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.rewards import granting

CONSUMER_NAME = "referral_rewards"
TYPES = frozenset({OccurrenceType.REFERRAL_COMPLETED})
ADVOCATE_CAUSE = "referral_advocate"
FRIEND_CAUSE = "referral_friend"


def handle(occurrence: Occurrence) -> None:
    data = occurrence.payload
    referral_id = int(data["referral_id"])
    sides = (
        (data["membership_id"], data["advocate_reward_id"], ADVOCATE_CAUSE),
        (data["friend_membership_id"], data["friend_reward_id"], FRIEND_CAUSE),
    )
    for membership_id, reward_id, cause in sides:
        if reward_id is not None:
            granting.grant(
                membership_id=int(membership_id),
                reward_id=int(reward_id),
                cause_type=cause,
                cause_id=referral_id,
            )
