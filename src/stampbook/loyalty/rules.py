"""The arithmetic of earning and taking back, without a database: what amount of an order
earns, how many points it earns, what a refund takes back, and when a limit's period began."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from stampbook.loyalty.models import Period
from stampbook.schedules.periods import local_date, local_midnight, period_index, period_start


@dataclass(frozen=True)
class Rate:
    """A purchase rule as an order earned by it: ``points`` per ``per_amount`` minor units,
    nothing under ``minimum``. Stored on the order, so its refunds use it as it was."""

    points: int
    per_amount: int
    minimum: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"points": self.points, "per_amount": self.per_amount, "minimum": self.minimum}


def eligible_amount(
    subtotal: int, shipping: int, taxes: int, *, with_shipping: bool, with_taxes: bool
) -> int:
    """What earns: the subtotal after discounts, plus shipping and taxes where switched on."""
    return subtotal + (shipping if with_shipping else 0) + (taxes if with_taxes else 0)


def purchase_points(eligible: int, rate: Rate) -> int:
    """Points for ``eligible`` minor units at ``rate``, rounded down."""
    if eligible <= 0 or eligible < rate.minimum:
        return 0
    return eligible * rate.points // rate.per_amount


def clawback_due(earned: int, eligible: int, refunded: int, clawed_back: int) -> int:
    """What a refund takes back now: the order's points in proportion to all it had refunded
    (``refunded``, this refund included), rounded down, capped at what it earned, less what
    earlier refunds took. Counting the total, not each refund, keeps rounding from adding
    up: refunding the whole order in any number of parts takes back exactly ``earned``."""
    if earned <= 0 or refunded <= 0:
        return 0
    share = earned if eligible <= 0 else earned * min(refunded, eligible) // eligible
    return max(share - clawed_back, 0)


def limit_start(period: str, at: datetime, zone: ZoneInfo) -> datetime | None:
    """When the limit's current period began at ``at`` on the member's wall clock (None:
    the limit counts since ever)."""
    if period == Period.EVER:
        return None
    day = local_date(at, zone)
    return local_midnight(period_start(period_index(day, period), period), zone)


def in_window(starts_at: datetime | None, ends_at: datetime | None, at: datetime) -> bool:
    return (starts_at is None or starts_at <= at) and (ends_at is None or at < ends_at)
