"""Loyalty's background work."""

from __future__ import annotations

from huey import crontab

from stampbook.core.jobs import periodic
from stampbook.loyalty.birthdays import credit_birthdays, credit_seen_birthdays
from stampbook.loyalty.importing import run_import
from stampbook.loyalty.importing import sweep as sweep_imports
from stampbook.loyalty.webhooks_in import process_delivery, purge, sweep


@periodic(crontab(minute="5"))
def credit_due_birthdays() -> int:
    """Hourly, so each member's birthday is credited soon after it begins in their zone
    (a member seen before then is credited at once: ``credit_seen_birthdays``)."""
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


@periodic(crontab())
def resume_customer_imports() -> int:
    """Every minute: customer imports whose job was lost (queued, or running without a
    heartbeat for a while) get a job again, which goes on from the last committed batch."""
    return sweep_imports()


__all__ = [
    "credit_due_birthdays",
    "credit_seen_birthdays",
    "process_delivery",
    "process_pending_deliveries",
    "purge_store_deliveries",
    "resume_customer_imports",
    "run_import",
]
