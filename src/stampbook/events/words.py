"""Events in words: a registration's status and payment as a reader reads them, an event's
time in its shop's zone, and its price."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from stampbook.core.money import display
from stampbook.core.zones import zone
from stampbook.events.models import Event
from stampbook.events.rules import EventPaymentStatus, RegistrationStatus

STATUS_WORDS: dict[str, Any] = {
    RegistrationStatus.REGISTERED: _l("Registered"),
    RegistrationStatus.WAITLISTED: _l("On the waiting list"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
    RegistrationStatus.ATTENDED: _l("Checked in"),
    RegistrationStatus.NO_SHOW: _l("Did not come"),
}

PAYMENT_WORDS: dict[str, Any] = {
    EventPaymentStatus.UNPAID: _l("Not paid yet"),
    EventPaymentStatus.PAID: _l("Paid"),
    EventPaymentStatus.REFUNDED: _l("Refunded"),
}


def status_words(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


def payment_words(status: str) -> str:
    return str(PAYMENT_WORDS.get(status, ""))


def when(moment: datetime | None, time_zone: str, pattern: str = "EEE d MMM yyyy, HH:mm") -> str:
    """A moment as the shop's wall clock shows it (an event is in its shop's zone)."""
    if moment is None:
        return ""
    return str(format_datetime(moment.astimezone(zone(time_zone)), pattern, rebase=False))


def price(event: Event) -> str | None:
    """The event's price in the reader's words, or None for a free one."""
    if not event.price:
        return None
    return display(event.price, event.currency, str(get_locale() or "en"))


def display_money(minor: int, currency: str) -> str:
    return display(minor, currency, str(get_locale() or "en"))
