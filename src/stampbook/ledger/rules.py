"""The ledger's time rules without a database: when a balance left unused expires."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def inactivity_expiries(
    *,
    balance: int,
    last_activity: datetime,
    days: int,
    releases: Iterable[tuple[datetime, int]],
    now: datetime,
) -> tuple[list[tuple[datetime, int]], datetime]:
    """Replay a membership's clock up to ``now`` in a program whose balance expires after
    ``days`` without activity: the expiries due (when, how many points) and the last activity.

    ``balance`` is the balance before ``releases`` (held points released, in any order: each
    counts as activity when it happened). Whenever the balance went unused for ``days``, all
    of it expired then, so points released later are not taken by an earlier deadline. The
    answer depends only on the times, never on when it is computed: the lazy path and the
    job agree.
    """
    span = timedelta(days=days)
    expiries: list[tuple[datetime, int]] = []
    for at, amount in sorted(releases):
        deadline = last_activity + span
        if deadline <= at and balance > 0:
            expiries.append((deadline, balance))
            balance = 0
        balance += amount
        last_activity = max(last_activity, at)
    deadline = last_activity + span
    if deadline <= now and balance > 0:
        expiries.append((deadline, balance))
    return expiries, last_activity
