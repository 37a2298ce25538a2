"""The events' background work: series kept ahead, expired unpaid holds released (a
registration or payment releases its event's lazily too), no-shows when events end."""

from __future__ import annotations

from huey import crontab

from stampbook.core import clock
from stampbook.core.jobs import periodic
from stampbook.events import paying, registering, services


@periodic(crontab(minute="*/5"))
def release_expired_holds() -> int:
    return registering.release_all_expired(clock.now())


@periodic(crontab(minute="*/15"))
def retry_late_refunds() -> int:
    return paying.retry_late_refunds()


@periodic(crontab(minute="*/15"))
def mark_no_shows() -> int:
    return registering.close_ended(clock.now())


@periodic(crontab(minute="41", hour="3"))
def extend_event_series() -> int:
    return services.extend_all_series(clock.now())
