"""Notifications' periodic jobs: sending what is due, pruning what was read long ago."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from huey import crontab
from sqlalchemy import delete

from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.jobs import periodic
from stampbook.notifications import delivering
from stampbook.notifications.models import Notification


@periodic(crontab())
def send_due_deliveries() -> int:
    """Every minute: retries whose time has come, points batches whose minute is over, and
    deliveries whose job was lost (a crash between commit and enqueue)."""
    return delivering.send_due()


def prune(*, days: int) -> int:
    """Forget notifications read more than ``days`` days ago; returns how many went."""
    cutoff = clock.now() - timedelta(days=days)
    result = db.session.execute(
        delete(Notification).where(Notification.read_at.is_not(None), Notification.read_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@periodic(crontab(minute="41", hour="3"))
def prune_read_notifications() -> int:
    """Daily: read notifications older than NOTIFICATION_RETENTION_DAYS (90) go."""
    return prune(days=current_app.config["NOTIFICATION_RETENTION_DAYS"])
