"""The referrals' background work: pending referrals past their window expire (reads expire
them lazily too, and completion checks the window itself)."""

from __future__ import annotations

from huey import crontab

from stampbook.core import clock
from stampbook.core.jobs import periodic
from stampbook.referrals import queries


@periodic(crontab(minute="23"))
def expire_pending_referrals() -> int:
    """Hourly."""
    return queries.expire_due(clock.now())
