"""Loyalty's background work."""

from __future__ import annotations

from huey import crontab

from stampbook.core.jobs import periodic
from stampbook.loyalty.birthdays import credit_birthdays
from stampbook.loyalty.webhooks_in import process_delivery, purge, sweep


@periodic(crontab(minute="5"))
def credit_due_birthdays() -> int:
    """Hourly, so each member's birthday is credited soon after it begins in their zone."""
    return credit_birthdays()


@periodic(crontab())
def process_pending_deliveries() -> int:
    """Every minute: a store's webhook deliveries still pending a minute after they came (a
    job lost with its worker, or one that failed and may try again)."""
    return sweep()


@periodic(crontab(minute="41", hour="3"))
def purge_store_deliveries() -> int:
    """Daily: the store webhook log keeps a month of worked deliveries."""
    return purge()


__all__ = [
    "credit_due_birthdays",
    "process_delivery",
    "process_pending_deliveries",
    "purge_store_deliveries",
]
