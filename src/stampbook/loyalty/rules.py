"""The arithmetic of earning and taking back, without a database: what amount of an order
earns, how many points it earns, what a refund takes back, and when a limit's period began."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from stampbook.loyalty.models import Period
from stampbook.schedules.periods import local_date, local_midnight, period_index, period_start

# A birthday set less than this many days before it comes earns from the next year on.
BIRTHDAY_NOTICE_DAYS = 30


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


@dataclass(frozen=True)
class Boost:
    """A running campaign as the arithmetic needs it."""

    campaign_id: int
    rule_kinds: frozenset[str]  # empty: every kind
    multiplier_percent: int | None = None
    bonus_points: int | None = None


def boosts(base: int, rule_kind: str, running: list[Boost]) -> list[tuple[int, int]]:
    """``(campaign_id, points)`` the running campaigns add to ``base`` points earned by a
    rule of ``rule_kind``: the highest multiplier alone (the earliest campaign on a tie:
    multipliers never stack), and every bonus."""
    matching = [b for b in running if not b.rule_kinds or rule_kind in b.rule_kinds]
    added: list[tuple[int, int]] = []
    multipliers = [b for b in matching if b.multiplier_percent is not None]
    if multipliers and base > 0:
        best = max(multipliers, key=lambda b: (b.multiplier_percent, -b.campaign_id))
        assert best.multiplier_percent is not None
        extra = base * (best.multiplier_percent - 100) // 100
        if extra > 0:
            added.append((best.campaign_id, extra))
    added += [(b.campaign_id, b.bonus_points) for b in matching if b.bonus_points]
    return added


def birthday_in(year: int, birthday: str) -> date:
    """The date of ``birthday`` ("MM-DD") in ``year``; 29 February is the 28th in other years."""
    month, day = int(birthday[:2]), int(birthday[3:])
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def birthday_year_due(birthday: str, set_on: date | None, today: date) -> int | None:
    """The year whose birthday points are due on ``today`` (the member's local date): this
    year's birthday has come, and it was set at least 30 days before it (one set later earns
    from next year). Due until the year ends, so a day the job missed is made up."""
    this_year = birthday_in(today.year, birthday)
    if today < this_year:
        return None
    if set_on is not None and (this_year - set_on).days < BIRTHDAY_NOTICE_DAYS:
        return None
    return today.year
