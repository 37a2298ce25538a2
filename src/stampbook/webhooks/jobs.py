"""Outgoing webhooks' periodic job: the attempts that are due (see ``delivery``)."""

from __future__ import annotations

from huey import crontab

from stampbook.core.jobs import periodic
from stampbook.webhooks import delivery


@periodic(crontab())
def send_due_webhooks() -> int:
    """Every minute: queue the attempts due (retries, and any a lost worker left behind)."""
    return delivery.send_due()
