"""Notifications' terms in plain words: kinds and channels as the pages name them."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

KIND_WORDS: dict[str, Any] = {
    "points_earned": _l("Points I earn"),
    "points_expiring": _l("Points expiring in a few weeks"),
    "points_last_chance": _l("Points expiring in a few days"),
    "redemption_receipt": _l("My receipts"),
    "redemption_cancelled": _l("Cancelled receipts"),
    "tier_changed": _l("Reaching a VIP tier"),
    "referral_completed": _l("A friend joined through my referral"),
    "consultation_booked": _l("Consultations booked"),
    "consultation_cancelled": _l("Consultations cancelled"),
    "event_registered": _l("Event registrations and tickets"),
    "event_promoted": _l("A seat from an event's waiting list"),
    "payment_received": _l("Payments received for my seats and consultations"),
    "buddy_request": _l("Buddy requests"),
    "new_message": _l("New messages"),
    "webhook_endpoint_disabled": _l("A shop's webhook endpoint stopped"),
    "shop_news": _l("News from shops (marketing)"),
}

CHANNEL_WORDS: dict[str, Any] = {
    "in_app": _l("In the app"),
    "email": _l("Email"),
}


def kind_words(name: str) -> str:
    return str(KIND_WORDS.get(name, name))


def channel_words(name: str) -> str:
    return str(CHANNEL_WORDS.get(name, name))
