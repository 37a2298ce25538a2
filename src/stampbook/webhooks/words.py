"""Outgoing webhooks in words: the occurrence types an endpoint subscribes to, why one
stopped, a message's status and why an attempt failed (stored as codes, said at display
time in the viewer's language)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

# By the type's name (a type added to the catalogue later shows as its name until it has words).
EVENT_TYPE_WORDS: dict[str, Any] = {
    "points.earned": _l("Points earned"),
    "points.spent": _l("Points spent"),
    "points.expired": _l("Points expired"),
    "points.expiring": _l("Points about to expire (reminder)"),
    "points.reversed": _l("Points taken back (a revoked stamp, a deleted review)"),
    "tier.changed": _l("VIP tier changed"),
    "tier.reward_granted": _l("VIP tier's entry reward given"),
    "customer.added": _l("Customer added"),
    "customer.email_changed": _l("Customer's email changed"),
    "order.paid": _l("Order paid"),
    "order.refunded": _l("Order refunded or cancelled"),
    "referral.completed": _l("Referral completed (a friend joined or first bought)"),
    "consultation.booked": _l("Consultation booked"),
    "consultation.cancelled": _l("Consultation cancelled"),
    "consultation.completed": _l("Consultation completed"),
    "redemption.created": _l("Reward redeemed"),
    "redemption.cancelled": _l("Redemption cancelled"),
    "member.joined": _l("Member joined"),
    "buddy.requested": _l("Buddy request sent"),
    "buddy.accepted": _l("Buddy request accepted"),
    "message.received": _l("Private message received"),
    "webhook_endpoint.disabled": _l("Webhook endpoint disabled"),
    "webhook.test": _l("Test message"),
    "post.published": _l("News posted by the shop's team"),
}

DISABLED_REASONS = {
    "manual": _l("Disabled by the team."),
    "gone": _l("Disabled: the receiver answered 410 Gone."),
    "failing": _l("Disabled: no delivery succeeded for days."),
}

STATUS_WORDS = {
    "pending": _l("pending"),
    "delivered": _l("delivered"),
    "failed": _l("failed"),
}

ERROR_WORDS = {
    "timeout": _l("no answer in time"),
    "connection": _l("could not connect"),
    "url_not_allowed": _l("address not allowed"),
}
