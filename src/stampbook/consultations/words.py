"""The consultations' terms in plain words: statuses, payment statuses, verification, kinds
of session, and the days of the week, as the pages name them."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

STATUS_WORDS: dict[str, Any] = {
    "booked": _l("Booked"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Completed"),
    "no_show": _l("Did not come"),
}

PAYMENT_WORDS: dict[str, Any] = {
    "not_required": _l("Free of charge"),
    "unpaid": _l("Not paid yet"),
    "paid": _l("Paid"),
    "refunded": _l("Refunded"),
}

VERIFICATION_WORDS: dict[str, Any] = {
    "pending": _l("Waiting for verification"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
}

SESSION_WORDS: dict[str, Any] = {
    "video": _l("Video call"),
    "phone": _l("Phone call"),
    "chat": _l("Chat"),
    "in_person": _l("In person"),
}

DAY_WORDS: tuple[Any, ...] = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


def status_words(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


def payment_words(status: str) -> str:
    return str(PAYMENT_WORDS.get(status, status))


def verification_words(status: str) -> str:
    return str(VERIFICATION_WORDS.get(status, status))


def session_words(kind: str) -> str:
    return str(SESSION_WORDS.get(kind, kind))
