"""The rewards' background jobs."""

from __future__ import annotations

from huey import crontab

from stampbook.core.jobs import periodic
from stampbook.rewards import settling


@periodic(crontab(minute="*/5"))
def refund_expired_group_rewards() -> None:
    """Give back the contributions to group rewards that expired before they were complete."""
    settling.refund_expired_group_rewards()
