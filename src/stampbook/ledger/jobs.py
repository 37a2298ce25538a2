"""The ledger's background work: the points' clocks (``clocks``)."""

from __future__ import annotations

from huey import crontab

from stampbook.core.jobs import periodic
from stampbook.ledger.clocks import mature_due, remind


@periodic(crontab(minute="*/10"))
def mature_due_memberships() -> int:
    """Held points released and points expired even for members nobody reads (a read or a
    write of a membership does it first anyway)."""
    return mature_due()


@periodic(crontab(minute="7,37"))
def remind_expiring_points() -> int:
    """The warning and the last chance before points expire, each once."""
    return remind()


__all__ = ["mature_due_memberships", "remind_expiring_points"]
