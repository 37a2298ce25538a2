"""VIP tiers without a database (DESIGN 8.5): which tier a qualifying total reaches, the
period a tier is held for and when it ends, keeping a tier with the retention margin, the
next tier and what is missing, and the multiplier's extra points.

A program's tiers are given as their thresholds in ascending order; a member's tier is an
index into them (-1: no tier).

Periods. A total is kept per *bucket*: one for ``lifetime`` (0), one per local year for
``calendar_year``, one per local day (its ordinal) for ``rolling_12_months``, so the rolling
window is a sum of at most 366 small rows. A tier is *held* for a period: the calendar year
it was reached (or kept) in; for the rolling window the 12 months from the local day it was
reached (or from the end of the previous held period); a lifetime tier is never reviewed.
When the held period ends, the member keeps the tier if what qualified during that period is
at least ``retention`` percent of its threshold, and then holds it for the next period;
otherwise they fall one tier (at most one per period end), never below a manual floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

MAX_MULTIPLIER_PERCENT = 10_000  # 100x
NO_TIER = -1
ROLLING_DAYS = 365


class Basis(StrEnum):
    POINTS = "points"  # points earned (refunds and reversals of them taken off)
    MONEY = "money"  # the eligible amount of paid orders less refunds, minor units


class PeriodKind(StrEnum):
    LIFETIME = "lifetime"
    CALENDAR_YEAR = "calendar_year"
    ROLLING_12_MONTHS = "rolling_12_months"


class TierProblem(ValueError):
    """A program's tiers as given cannot stand: ``code`` is the problem's code."""

    def __init__(self, code: str, index: int | None = None) -> None:
        super().__init__(code, index)
        self.code, self.index = code, index


# --- multipliers -----------------------------------------------------------------------


def parse_multiplier(text: str) -> int:
    """``"1.5"`` -> 150 (percent). At most two decimals; ``0 < m <= 100``."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise TierProblem("tier_multiplier_invalid") from None
    if not value.is_finite() or value <= 0 or value > 100:
        raise TierProblem("tier_multiplier_invalid")
    percent = value * 100
    if percent != percent.to_integral_value():
        raise TierProblem("tier_multiplier_invalid")
    return int(percent)


def multiplier_text(percent: int) -> str:
    """150 -> ``"1.5"``, 100 -> ``"1"``, 125 -> ``"1.25"``."""
    value = Decimal(percent) / 100
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def extra_points(base: int, percent: int) -> int:
    """The points a multiplier adds to ``base`` (rounded down; never negative: a multiplier
    below 1 gives nothing extra rather than taking points away)."""
    if base <= 0 or percent <= 100:
        return 0
    return base * percent // 100 - base


# --- the ladder ------------------------------------------------------------------------


def check_ladder(thresholds: Sequence[int]) -> None:
    """Thresholds are positive and strictly ascending (so unique); raise the first problem."""
    previous = 0
    for index, threshold in enumerate(thresholds):
        if threshold <= 0:
            raise TierProblem("tier_threshold_invalid", index)
        if threshold <= previous:
            raise TierProblem("tier_threshold_unordered", index)
        previous = threshold


def reached(thresholds: Sequence[int], total: int) -> int:
    """The highest tier whose threshold ``total`` reaches (``NO_TIER`` for none)."""
    index = NO_TIER
    for i, threshold in enumerate(thresholds):
        if total >= threshold:
            index = i
        else:
            break
    return index


def keeps(threshold: int, total: int, retention_percent: int) -> bool:
    """Whether ``total`` keeps a tier of ``threshold``: at least ``retention`` percent of it."""
    return total * 100 >= threshold * retention_percent


@dataclass(frozen=True)
class Progress:
    next_index: int | None  # None at the top
    missing: int  # what the total lacks for the next tier (0 at the top)


def progress(thresholds: Sequence[int], current: int, total: int) -> Progress:
    """The tier above ``current`` and what ``total`` still lacks to reach it."""
    following = current + 1
    if following >= len(thresholds):
        return Progress(None, 0)
    return Progress(following, max(0, thresholds[following] - total))


# --- periods ---------------------------------------------------------------------------


def bucket(kind: str, day: date) -> int:
    """The bucket a qualifying amount on local ``day`` is added to."""
    if kind == PeriodKind.LIFETIME:
        return 0
    if kind == PeriodKind.CALENDAR_YEAR:
        return day.year
    if kind == PeriodKind.ROLLING_12_MONTHS:
        return day.toordinal()
    raise ValueError(f"unknown period {kind!r}")


def window(kind: str, day: date) -> tuple[int, int]:
    """The buckets (first, last, inclusive) whose sum is the qualifying total on ``day``."""
    if kind == PeriodKind.ROLLING_12_MONTHS:
        return day.toordinal() - ROLLING_DAYS + 1, day.toordinal()
    current = bucket(kind, day)
    return current, current


def add_year(day: date) -> date:
    """The same date a year later (29 February becomes 1 March)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


def held_start(kind: str, day: date) -> date:
    """The first local day of the period a tier reached on ``day`` is held for."""
    if kind == PeriodKind.LIFETIME:
        return date.min
    if kind == PeriodKind.CALENDAR_YEAR:
        return date(day.year, 1, 1)
    return day


def held_end(kind: str, start: date) -> date | None:
    """The local day on which a period held from ``start`` ends (None: never)."""
    if kind == PeriodKind.LIFETIME:
        return None
    if kind == PeriodKind.CALENDAR_YEAR:
        return date(start.year + 1, 1, 1)
    return add_year(start)


def period_buckets(kind: str, start: date, end: date) -> tuple[int, int]:
    """The buckets (inclusive) that qualify for keeping a tier held from ``start`` to ``end``:
    the held year itself, or the 12 months of the rolling window ending the day before."""
    if kind == PeriodKind.ROLLING_12_MONTHS:
        return window(kind, end - timedelta(days=1))
    return bucket(kind, start), bucket(kind, start)


@dataclass(frozen=True)
class Review:
    """A held period that ended: the tier after it, and the period now held."""

    ended: date  # the local day the period ended on
    before: int
    after: int
    start: date  # the new held period's first day


def review(
    *,
    kind: str,
    thresholds: Sequence[int],
    current: int,
    start: date,
    today: date,
    totals: dict[int, int],
    retention_percent: int,
    floor: int = NO_TIER,
) -> list[Review]:
    """Every held period of ``current`` (held from ``start``) that ended on or before local
    ``today``, in order, with the tier each left: kept with ``retention`` percent of its
    threshold in that period, else one tier lower, never below ``floor``. ``totals`` maps
    buckets to their qualifying amounts (missing buckets count 0)."""
    reviews: list[Review] = []
    tier = min(current, len(thresholds) - 1)
    while tier > NO_TIER:
        end = held_end(kind, start)
        if end is None or end > today:
            break
        first, last = period_buckets(kind, start, end)
        total = sum(amount for b, amount in totals.items() if first <= b <= last)
        after = tier if keeps(thresholds[tier], total, retention_percent) else tier - 1
        after = max(after, min(floor, len(thresholds) - 1))
        reviews.append(Review(end, tier, after, end))
        tier, start = after, end
    return reviews


def after_refund(
    *, thresholds: Sequence[int], current: int, total: int, demote: bool, floor: int = NO_TIER
) -> int:
    """The tier after a refund lowered the total: the same unless the program lets refunds
    demote mid-period, then what the total still reaches, never below ``floor``."""
    if not demote:
        return current
    return min(current, max(reached(thresholds, total), floor))
