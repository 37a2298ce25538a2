"""What referrals do with what others announce: a paid order (``order.paid``) may carry a
referral code (the friend's first order refers them) or complete a referral waiting for the
friend's first purchase (``referring.on_order``)."""

from __future__ import annotations

from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.referrals import referring

CONSUMER_NAME = "referrals"
TYPES = frozenset({OccurrenceType.ORDER_PAID})


def handle(occurrence: Occurrence) -> None:
    payload = occurrence.payload
    referring.on_order(
        program_id=int(payload["program_id"]),
        membership_id=int(payload["membership_id"]),
        order_id=int(payload["order_id"]),
        code_text=payload.get("referral_code"),
        network=payload.get("network"),
        at=occurrence.occurred_at,
    )
