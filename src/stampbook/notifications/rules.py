"""Pure rules of notifications: the batching window, the retry schedule, and the words of
a points batch. No database here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Points earned by one member in one program within this long make one notification.
BATCH_WINDOW = timedelta(minutes=1)
# After a failed attempt that may pass (the mail server down), the next one waits this long;
# a failure after the last wait fails the delivery.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# A claimed delivery is not claimed again for this long (a worker killed while sending).
SENDING_LEASE = timedelta(minutes=10)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(moment: datetime) -> datetime:
    """The start of the fixed batching window holding ``moment``: the key two concurrent
    dispatches agree on when neither finds a batch still open."""
    windows = (moment - _EPOCH) // BATCH_WINDOW
    return _EPOCH + windows * BATCH_WINDOW


def batch_key(user_id: int, program_id: int, opened_at: datetime) -> str:
    """The unique key of a points batch: one user, one program, one window."""
    return f"{user_id}:{program_id}:{int(window_start(opened_at).timestamp())}"


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed attempts that may pass; None: give up."""
    if attempts < 1 or attempts > len(BACKOFF):
        return None
    return now + BACKOFF[attempts - 1]
